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
