import type { Card } from './cards';
import { deal, hit, payout, stand } from './rules';

/** A stacked deck, dealt player, dealer, player, dealer, then the rest in order. */
const deck = (...ranks: Card['rank'][]): Card[] => ranks.map((rank) => ({ rank, suit: '♠' }));

describe('a round of blackjack', () => {
  it('deals alternately and waits for the player', () => {
    const hands = deal(deck('10', '9', '7', '8', '5'));
    expect(hands.player.map((card) => card.rank)).toEqual(['10', '7']);
    expect(hands.dealer.map((card) => card.rank)).toEqual(['9', '8']);
    expect(hands.outcome).toBeNull();
  });

  it('ends at the deal on a natural: the player\'s pays 3:2, the dealer\'s loses, both push', () => {
    expect(deal(deck('A', '9', 'K', '8')).outcome).toBe('blackjack');
    expect(deal(deck('9', 'A', '8', 'K')).outcome).toBe('lose');
    expect(deal(deck('A', 'A', 'K', 'Q')).outcome).toBe('push');
  });

  it('loses on a bust without the dealer drawing', () => {
    const hands = hit(deal(deck('10', '9', '6', '8', 'K', '2')));
    expect(hands.outcome).toBe('lose');
    expect(hands.dealer).toHaveLength(2);
  });

  it('stands by itself at 21', () => {
    const hands = hit(deal(deck('10', '9', '6', '8', '5')));
    expect(hands.outcome).toBe('win');
  });

  it('has the dealer draw to 17 and stand on a soft 17', () => {
    const drawn = stand(deal(deck('10', '10', '8', '4', '2', '5')));
    expect(drawn.dealer.map((card) => card.rank)).toEqual(['10', '4', '2', '5']);
    expect(drawn.outcome).toBe('lose'); // 21 against 18
    const soft = stand(deal(deck('10', 'A', '7', '6', '9')));
    expect(soft.dealer).toHaveLength(2); // A+6 is 17: no card
    expect(soft.outcome).toBe('push');
  });

  it('wins when the dealer busts, pushes on equal totals, loses below', () => {
    expect(stand(deal(deck('10', '10', '2', '6', 'K'))).outcome).toBe('win'); // dealer 26
    expect(stand(deal(deck('10', '10', '8', '8'))).outcome).toBe('push');
    expect(stand(deal(deck('10', '10', '7', '8'))).outcome).toBe('lose');
  });

  it('refuses a move once the round is over', () => {
    const over = stand(deal(deck('10', '10', '7', '8')));
    expect(() => hit(over)).toThrow('the round is over');
    expect(() => stand(over)).toThrow('the round is over');
  });

  it('pays back the stake included: 2x, 2.5x rounded down, 1x, nothing', () => {
    expect(payout(30n, 'win')).toBe(60n);
    expect(payout(30n, 'blackjack')).toBe(75n);
    expect(payout(15n, 'blackjack')).toBe(37n);
    expect(payout(30n, 'push')).toBe(30n);
    expect(payout(30n, 'lose')).toBe(0n);
  });
});
