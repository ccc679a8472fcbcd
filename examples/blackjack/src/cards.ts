/**
 * A real 52-card deck, shuffled with crypto randomness in play, or from a seed so a test (or a
 * player disputing a hand) can replay exactly the same order.
 */
import { randomInt } from 'node:crypto';

export const SUITS = ['♠', '♥', '♦', '♣'] as const;
export const RANKS = ['A', '2', '3', '4', '5', '6', '7', '8', '9', '10', 'J', 'Q', 'K'] as const;

export type Suit = (typeof SUITS)[number];
export type Rank = (typeof RANKS)[number];
export interface Card {
  rank: Rank;
  suit: Suit;
}

/** The 52 cards in a fixed order (suit by suit), before any shuffle. */
export function orderedDeck(): Card[] {
  return SUITS.flatMap((suit) => RANKS.map((rank) => ({ rank, suit })));
}

/** A card as players read it: "10♥". */
export const cardName = (card: Card): string => `${card.rank}${card.suit}`;

/** A random integer in [0, bound). */
export type RandomIndex = (bound: number) => number;

/**
 * mulberry32: a tiny, well-mixed 32-bit generator. Not for secrets: it only makes a seeded deck
 * reproducible; real play uses crypto.randomInt.
 */
export function seededRandom(seed: number): RandomIndex {
  let state = seed >>> 0;
  return (bound) => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const unit = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    return Math.floor(unit * bound);
  };
}

/** Fisher–Yates: every order equally likely when `random` is uniform. */
export function shuffle(cards: readonly Card[], random: RandomIndex = (bound) => randomInt(bound)): Card[] {
  const deck = [...cards];
  for (let i = deck.length - 1; i > 0; i--) {
    const j = random(i + 1);
    [deck[i], deck[j]] = [deck[j], deck[i]];
  }
  return deck;
}

/** A fresh shuffled deck per round: from the seed (plus the round's number, so rounds differ) or at random. */
export function shuffledDeck(seed?: number, round = 0): Card[] {
  return shuffle(orderedDeck(), seed === undefined ? undefined : seededRandom(seed + round));
}

/**
 * A hand's best total: aces count 11 unless that busts the hand, then 1 each. `soft` says an ace
 * still counts 11 (the dealer's rule and a player's advice both depend on it).
 */
export function handValue(cards: readonly Card[]): { total: number; soft: boolean } {
  let total = 0;
  let aces = 0;
  for (const card of cards) {
    if (card.rank === 'A') {
      aces++;
      total += 11;
    } else if (card.rank === 'J' || card.rank === 'Q' || card.rank === 'K') total += 10;
    else total += Number(card.rank);
  }
  while (total > 21 && aces > 0) {
    total -= 10;
    aces--;
  }
  return { total, soft: aces > 0 };
}

/** Two cards worth 21: a natural, which pays 3:2 and ends the round at once. */
export const isBlackjack = (cards: readonly Card[]): boolean => cards.length === 2 && handValue(cards).total === 21;
