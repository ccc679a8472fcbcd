/**
 * A user's balance: no command of its own (transactions change it), one query the ledger answers
 * from its state (strong reads) and the read models answer too (eventual reads).
 */

export type GetBalance = { type: 'GetBalance'; user_id: string };

export interface BalanceLine {
  currency: string;
  available: string;
  posted: string;
  pending_debit: string;
  pending_credit: string;
}

export interface BalanceReply {
  user_id: string;
  balances: BalanceLine[];
}

/**
 * A posted movement of a wallet in a statement: what the transaction moved for this user (+ in,
 * − out) and the posted balance right after it (the running balance), in posted order.
 */
export interface StatementMovement {
  transaction_id: number;
  event_id: number | null;
  type: string;
  description: string | null;
  /** On a reversal: the transaction it moves back; null otherwise. */
  reverses_transaction_id: number | null;
  amount: string;
  balance: string;
  posted_at: string;
}

/**
 * A statement of one wallet in one currency over [from, to): the posted balance just before the
 * period, every posted movement in it with its running balance, the posted balance at its end.
 */
export interface StatementReply {
  user_id: string;
  currency: string;
  from: string | null;
  to: string | null;
  opening_balance: string;
  movements: StatementMovement[];
  closing_balance: string;
}

/**
 * The most movements one statement answers. A statement is complete or refused: a period with
 * more is 422 LIMIT_EXCEEDED naming where to split it, never a silently shortened statement.
 */
export const MAX_STATEMENT_MOVEMENTS = 10_000;

/** The formats a statement comes in. */
export const STATEMENT_FORMATS = ['json', 'csv'] as const;
export type StatementFormat = (typeof STATEMENT_FORMATS)[number];
