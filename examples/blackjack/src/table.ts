/**
 * The table: blackjack rounds whose coins live in Coffer. Each round is one SDK session (a finance
 * event that the SDK keeps pinging):
 *
 *   open   -> the session; if this process dies from here on, the event expires and Coffer voids
 *             whatever the round left pending: the player gets the stake back without us.
 *   bet    -> a pending debit of the stake (Coffer refuses it beyond the available balance).
 *   deal   -> cards from a fresh deck (seeded for tests).
 *   settle -> a pending credit of the payout (2x on a win, 2.5x on a natural, 1x on a push; nothing
 *             on a loss), then close: the debit and the credit post together.
 *
 * The stake and the payout are separate transactions, rather than one net amount, so the player's
 * statement shows "bet 30, won 60" and the stake stays held from the first card on.
 */
import { CofferError, EventNotOpenError, InsufficientFundsError, type Balance, type Coffer, type Session } from '@coffer/sdk';
import { cardName, handValue, shuffledDeck, type Card } from './cards';
import { GameError, invalid } from './errors';
import { deal, hit, payout, stand, type Hands, type Outcome } from './rules';

export interface TableOptions {
  coffer: Coffer;
  /** The shuffled deck of the n-th round (default: crypto shuffle, or from `seed`). */
  deckForRound?: (round: number) => Card[];
  /** Shuffle every deck from this seed (plus the round's number): reproducible hands. */
  seed?: number;
  /** The largest bet taken (default 1,000,000 coins). */
  maxBet?: bigint;
  /** Rounds in play at once, all players together (default 1,000): each holds a pinging session. */
  maxRoundsInPlay?: number;
  /** Finished rounds kept for GET /rounds/:id (default 1,000, the oldest forgotten first). */
  finishedRoundsKept?: number;
  log?: (line: string) => void;
}

/** playing: the player's turn; settling: over, the coins not yet settled (a retry of stand settles them); settled: done. */
export type RoundStatus = 'playing' | 'settling' | 'settled';

interface Round {
  id: number;
  player: string;
  stake: bigint;
  session: Session;
  hands: Hands;
  status: RoundStatus;
  /** A move or a settlement is under way: a second request for the round waits its turn by being refused. */
  busy: boolean;
}

export interface HandView {
  cards: string[];
  total: number | null;
}

export interface RoundView {
  round_id: number;
  player: string;
  bet: string;
  status: RoundStatus;
  player_hand: HandView;
  dealer_hand: HandView;
  outcome: Outcome | null;
  /** What the round pays back, stake included (once settled). */
  payout: string | null;
  /** What the player can do next. */
  moves: Array<'hit' | 'stand'>;
}

const PLAYER_ID = /^[A-Za-z0-9_.:-]{1,64}$/;
const DIGITS = /^[0-9]{1,30}$/;

export class Table {
  private readonly rounds = new Map<number, Round>();
  /** player -> the round they are playing: one at a time, so a bet cannot outrun the last round's settlement. */
  private readonly seats = new Map<string, number | 'opening'>();
  private roundsDealt = 0;
  private readonly coffer: Coffer;
  private readonly deckForRound: (round: number) => Card[];
  private readonly maxBet: bigint;
  private readonly maxRoundsInPlay: number;
  private readonly finishedRoundsKept: number;
  private readonly log: (line: string) => void;

  constructor(options: TableOptions) {
    this.coffer = options.coffer;
    this.deckForRound = options.deckForRound ?? ((round) => shuffledDeck(options.seed, round));
    this.maxBet = options.maxBet ?? 1_000_000n;
    this.maxRoundsInPlay = options.maxRoundsInPlay ?? 1000;
    this.finishedRoundsKept = options.finishedRoundsKept ?? 1000;
    this.log = options.log ?? ((line) => console.log(line));
  }

  /** Opens a round, places the bet and deals. */
  async start(player: unknown, bet: unknown): Promise<RoundView> {
    const playerId = parsePlayer(player);
    const stake = this.parseBet(bet);
    if (this.seats.has(playerId)) {
      throw new GameError(409, 'ROUND_IN_PROGRESS', `player ${playerId} is already playing a round: finish it first`, {
        round_id: this.seats.get(playerId),
      });
    }
    if (this.seats.size >= this.maxRoundsInPlay) {
      throw new GameError(503, 'TABLE_FULL', `the table has ${this.maxRoundsInPlay} rounds in play: try again shortly`);
    }
    // Taken before the first await, so two quick bets of one player cannot both open a round.
    this.seats.set(playerId, 'opening');
    try {
      const session = await this.coffer.sessions.open({
        description: `blackjack: ${playerId} bets ${stake}`,
        onError: (error) => this.log(`round of ${playerId}: a ping failed (${describe(error)})`),
      });
      try {
        await session.debit(playerId, stake, { description: 'blackjack bet' });
      } catch (error) {
        if (isRefusal(error)) {
          // Coffer said no: nothing is pending in the event, so closing it posts nothing.
          await session.close().catch(() => session.stop());
        } else {
          // No answer: the debit may have landed. Closing would post it for a round never dealt;
          // left to expire, the event voids it if it did. The player is refunded either way.
          session.stop();
        }
        throw betRefusal(error, playerId, stake);
      }
      const round: Round = {
        id: session.eventId,
        player: playerId,
        stake,
        session,
        hands: deal(this.deckForRound(this.roundsDealt++)),
        status: 'playing',
        // A natural settles before this answer: no move may overtake it meanwhile.
        busy: true,
      };
      this.rounds.set(round.id, round);
      this.seats.set(playerId, round.id);
      this.log(`round ${round.id}: ${playerId} bets ${stake}, dealt ${round.hands.player.map(cardName).join(' ')}`);
      try {
        if (round.hands.outcome !== null) await this.settle(round);
      } finally {
        round.busy = false;
      }
      return view(round);
    } catch (error) {
      if (this.seats.get(playerId) === 'opening') this.seats.delete(playerId);
      throw error;
    }
  }

  hit(roundId: unknown): Promise<RoundView> {
    return this.move(roundId, hit);
  }

  stand(roundId: unknown): Promise<RoundView> {
    return this.move(roundId, stand);
  }

  show(roundId: unknown): RoundView {
    return view(this.find(roundId));
  }

  /** The player's balances, from the ledger itself: right after a round the read models may lag. */
  async balance(player: unknown): Promise<Balance> {
    return this.coffer.balances.get(parsePlayer(player), { consistency: 'strong' });
  }

  /** Stops every round's heartbeat without closing: for tests that stop the table (each round then expires and refunds). */
  abandonAll(): void {
    for (const round of this.rounds.values()) round.session.stop();
  }

  private async move(roundId: unknown, play: (hands: Hands) => Hands): Promise<RoundView> {
    const round = this.find(roundId);
    if (round.busy) throw new GameError(409, 'ROUND_BUSY', `round ${round.id} is handling another move`);
    round.busy = true;
    try {
      // A round whose settlement failed (Coffer unavailable) is settled again by the next move;
      // the payout's idempotency key makes sure it is paid once.
      if (round.status === 'settling') await this.settle(round);
      else if (round.status === 'settled') {
        throw new GameError(409, 'ROUND_OVER', `round ${round.id} is over (${round.hands.outcome})`);
      } else {
        round.hands = play(round.hands);
        if (round.hands.outcome !== null) await this.settle(round);
      }
      return view(round);
    } finally {
      round.busy = false;
    }
  }

  private async settle(round: Round): Promise<void> {
    const outcome = round.hands.outcome;
    if (outcome === null) throw new Error(`round ${round.id} settled before it was over`);
    round.status = 'settling';
    const amount = payout(round.stake, outcome);
    if (amount > 0n) {
      await round.session.credit(round.player, amount, {
        description: `blackjack ${outcome}`,
        idempotencyKey: `blackjack-payout-${round.id}`,
      });
    }
    await this.close(round);
    round.status = 'settled';
    this.seats.delete(round.player);
    this.log(`round ${round.id}: ${round.player} ${outcome}, pays ${amount} for a bet of ${round.stake}`);
    this.forgetOldRounds();
  }

  /**
   * Closes the round's event. A close whose answer was lost may have happened: the close tried
   * again is then refused EVENT_NOT_OPEN, and the event's own state says whether it closed.
   */
  private async close(round: Round): Promise<void> {
    try {
      await round.session.close();
    } catch (error) {
      if (!(error instanceof EventNotOpenError)) throw error;
      const event = await this.coffer.events.get(round.id, { consistency: 'strong' });
      if (event.status !== 'closed') throw error;
    }
  }

  private forgetOldRounds(): void {
    let settled = 0;
    for (const round of this.rounds.values()) if (round.status === 'settled') settled++;
    for (const [id, round] of this.rounds) {
      if (settled <= this.finishedRoundsKept) break;
      if (round.status === 'settled') {
        this.rounds.delete(id);
        settled--;
      }
    }
  }

  private find(roundId: unknown): Round {
    const id = typeof roundId === 'string' && DIGITS.test(roundId) ? Number(roundId) : roundId;
    const round = typeof id === 'number' ? this.rounds.get(id) : undefined;
    if (!round) throw new GameError(404, 'NOT_FOUND', `no round ${String(roundId).slice(0, 40)} at this table`);
    return round;
  }

  private parseBet(bet: unknown): bigint {
    const text = typeof bet === 'number' && Number.isSafeInteger(bet) ? String(bet) : bet;
    if (typeof text !== 'string' || !DIGITS.test(text) || BigInt(text) < 1n) {
      throw invalid('bet must be a positive whole number of coins (a JSON number or a digit string)');
    }
    const stake = BigInt(text);
    if (stake > this.maxBet) throw invalid(`bet must be at most ${this.maxBet} coins`, { max_bet: String(this.maxBet) });
    return stake;
  }
}

function parsePlayer(player: unknown): string {
  // Strings only: a Discord snowflake as a JSON number has already lost its last digits.
  if (typeof player !== 'string' || !PLAYER_ID.test(player)) {
    throw invalid('player must be a string of 1-64 characters of [A-Za-z0-9_.:-] (a Discord snowflake as a string)');
  }
  return player;
}

/** Coffer answered no (a 4xx): the call changed nothing. Anything else may or may not have happened. */
function isRefusal(error: unknown): boolean {
  const status = error instanceof CofferError ? (error.status ?? 0) : 0;
  return status >= 400 && status < 500;
}

/** Coffer's refusal of a bet, said in the table's words. */
function betRefusal(error: unknown, player: string, stake: bigint): unknown {
  if (!(error instanceof InsufficientFundsError)) return error;
  const available = (error.details as { available?: string } | undefined)?.available;
  return new GameError(
    422,
    'INSUFFICIENT_FUNDS',
    `${player} cannot bet ${stake}: only ${available ?? 'fewer'} coins available`,
    { available: available ?? null, bet: String(stake) },
  );
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function hand(cards: Card[], hideHoleCard: boolean): HandView {
  if (hideHoleCard) return { cards: [cardName(cards[0]), '??'], total: null };
  return { cards: cards.map(cardName), total: handValue(cards).total };
}

function view(round: Round): RoundView {
  const over = round.hands.outcome !== null;
  return {
    round_id: round.id,
    player: round.player,
    bet: String(round.stake),
    status: round.status,
    player_hand: hand(round.hands.player, false),
    // The dealer's second card stays face down while the player decides.
    dealer_hand: hand(round.hands.dealer, !over),
    outcome: round.hands.outcome,
    payout: round.status === 'settled' && over ? String(payout(round.stake, round.hands.outcome!)) : null,
    moves: over ? [] : ['hit', 'stand'],
  };
}
