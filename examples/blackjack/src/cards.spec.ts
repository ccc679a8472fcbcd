import { cardName, handValue, isBlackjack, orderedDeck, seededRandom, shuffle, shuffledDeck, type Card } from './cards';

const cards = (...names: string[]): Card[] =>
  names.map((name) => ({ rank: name.slice(0, -1) as Card['rank'], suit: name.slice(-1) as Card['suit'] }));

describe('the deck', () => {
  it('has 52 different cards, and every shuffle is a permutation of them', () => {
    const names = orderedDeck().map(cardName);
    expect(new Set(names).size).toBe(52);
    for (const seed of [undefined, 1, 2, 99]) {
      expect(shuffledDeck(seed).map(cardName).sort()).toEqual([...names].sort());
    }
  });

  it('shuffles the same from the same seed and round, differently otherwise', () => {
    const order = (seed: number, round: number) => shuffledDeck(seed, round).map(cardName).join(' ');
    expect(order(42, 3)).toBe(order(42, 3));
    expect(order(42, 3)).not.toBe(order(42, 4));
    expect(order(42, 3)).not.toBe(order(7, 3));
    expect(order(42, 3)).not.toBe(orderedDeck().map(cardName).join(' '));
  });

  it('puts each card first about equally often (a biased shuffle would not)', () => {
    const random = seededRandom(2026);
    const firsts = new Map<string, number>();
    const deals = 52 * 400;
    for (let i = 0; i < deals; i++) {
      const first = cardName(shuffle(orderedDeck(), random)[0]);
      firsts.set(first, (firsts.get(first) ?? 0) + 1);
    }
    expect(firsts.size).toBe(52);
    // 400 expected per card; a standard deviation is about 20.
    for (const count of firsts.values()) expect(Math.abs(count - 400)).toBeLessThan(120);
  });
});

describe('a hand', () => {
  it.each([
    [['10♠', '7♥'], 17, false],
    [['A♠', '6♥'], 17, true],
    [['A♠', '6♥', '10♦'], 17, false],
    [['A♠', 'A♥', '9♦'], 21, true],
    [['K♠', 'Q♥', '2♦'], 22, false],
    [['A♠', 'A♥', 'A♦', 'A♣'], 14, true],
  ])('%j is worth %i (soft: %s)', (names, total, soft) => {
    expect(handValue(cards(...names))).toEqual({ total, soft });
  });

  it('is a blackjack only with two cards making 21', () => {
    expect(isBlackjack(cards('A♠', 'K♥'))).toBe(true);
    expect(isBlackjack(cards('7♠', '7♥', '7♦'))).toBe(false);
    expect(isBlackjack(cards('A♠', '9♥'))).toBe(false);
  });
});
