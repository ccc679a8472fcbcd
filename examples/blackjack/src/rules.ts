/**
 * Blackjack's rules, with no coins and no I/O: a round is a value, and each move returns the next
 * one. The table (table.ts) decides what the coins do from the outcome alone, so the money code
 * never needs to know a card.
 *
 * House rules: one deck, the dealer stands on every 17 (soft too), a natural pays 3:2 (rounded
 * down to whole coins), no doubling, splitting or insurance (an example, not a casino).
 */
import { handValue, isBlackjack, type Card } from './cards';

/** blackjack: a natural beat the dealer; win, push, lose: as the cards say. */
export type Outcome = 'blackjack' | 'win' | 'push' | 'lose';

export interface Hands {
  player: Card[];
  dealer: Card[];
  /** The cards still to be dealt, top first. */
  deck: Card[];
  /** Set once the round is over; until then it is the player's turn. */
  outcome: Outcome | null;
}

const DEALER_STANDS_ON = 17;

function draw(hands: Hands, who: 'player' | 'dealer'): Hands {
  const [card, ...rest] = hands.deck;
  // 52 cards cannot run out in one hand of one player against the dealer (at most 11 + 10 cards).
  if (card === undefined) throw new Error('the deck ran out');
  return { ...hands, [who]: [...hands[who], card], deck: rest };
}

/** Deals two cards each, alternating as at a table; a natural on either side ends the round at once. */
export function deal(deck: readonly Card[]): Hands {
  let hands: Hands = { player: [], dealer: [], deck: [...deck], outcome: null };
  hands = draw(draw(draw(draw(hands, 'player'), 'dealer'), 'player'), 'dealer');
  const playerNatural = isBlackjack(hands.player);
  const dealerNatural = isBlackjack(hands.dealer);
  if (playerNatural && dealerNatural) return { ...hands, outcome: 'push' };
  if (playerNatural) return { ...hands, outcome: 'blackjack' };
  if (dealerNatural) return { ...hands, outcome: 'lose' };
  return hands;
}

/** One more card for the player: a bust loses; 21 stands by itself (no card can improve it). */
export function hit(hands: Hands): Hands {
  if (hands.outcome !== null) throw new Error('the round is over');
  const next = draw(hands, 'player');
  const { total } = handValue(next.player);
  if (total > 21) return { ...next, outcome: 'lose' };
  if (total === 21) return stand(next);
  return next;
}

/** The player stops; the dealer draws to 17, then the totals decide. */
export function stand(hands: Hands): Hands {
  if (hands.outcome !== null) throw new Error('the round is over');
  let next = hands;
  while (handValue(next.dealer).total < DEALER_STANDS_ON) next = draw(next, 'dealer');
  const player = handValue(next.player).total;
  const dealer = handValue(next.dealer).total;
  const outcome: Outcome = dealer > 21 || player > dealer ? 'win' : player === dealer ? 'push' : 'lose';
  return { ...next, outcome };
}

/**
 * What the round credits back to the player, the stake included (the stake itself was debited
 * when the bet was placed): win 2×, natural 2.5× rounded down, push 1× (the stake back), lose 0.
 */
export function payout(stake: bigint, outcome: Outcome): bigint {
  switch (outcome) {
    case 'blackjack':
      return stake + (stake * 3n) / 2n;
    case 'win':
      return stake * 2n;
    case 'push':
      return stake;
    case 'lose':
      return 0n;
  }
}
