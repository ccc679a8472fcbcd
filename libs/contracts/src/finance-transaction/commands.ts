/**
 * The finance transaction's commands and reply (NATS: PATTERNS.ledgerCommands). A transaction
 * moves an amount between two accounts (events.ts); these are the four ways to ask for one.
 * Amounts travel as decimal strings, user ids as strings; the rules of the fields are values
 * (../values): user ids, amounts, currencies, descriptions.
 */
import type { Command } from '../envelope';
import type { TransactionStatus, TransactionType } from './events';

export interface PostTransactionData {
  user_id: string;
  /** The finance event it belongs to (pending until it closes), or null: posted at once. */
  event_id: number | null;
  /** The transaction's type, as in the API, the domain event, the reply and the column. */
  type: Extract<TransactionType, 'credit' | 'debit'>;
  amount: string;
  currency: string;
  description: string | null;
}

export type PostTransaction = Command<'PostTransaction', PostTransactionData>;

export interface TransferData {
  from_user_id: string;
  to_user_id: string;
  amount: string;
  currency: string;
  description: string | null;
}

export type Transfer = Command<'Transfer', TransferData>;

export interface GrantData {
  user_id: string;
  amount: string;
  currency: string;
  description: string | null;
}

export type Grant = Command<'Grant', GrantData>;

/**
 * An achievement's reward, paid by the achievements service and obeyed from it alone: a posted
 * credit from the house account of the app in meta.app_id. It carries no API key: the app set
 * the reward with its key when it defined the achievement.
 */
export type PayReward = Command<'PayReward', GrantData>;

export interface ReverseTransactionData {
  /** The posted transaction to reverse (its reversal's `reverses_transaction_id`). */
  transaction_id: number;
  /** How much to move back; null: all that is left to reverse of it. */
  amount: string | null;
  description: string | null;
}

/**
 * Moves (part of) a posted transaction's amount back: a new posted transaction of type
 * 'reversal' from its credit account to its debit account. Sent by the app that made the
 * original, or by the admin (no app): never more than the original in total.
 */
export type ReverseTransaction = Command<'ReverseTransaction', ReverseTransactionData>;

export type TransactionCommand = PostTransaction | Transfer | Grant | PayReward | ReverseTransaction;

/** A transaction as the API answers it (also inside a finance event's details). */
export interface TransactionReply {
  transaction_id: number;
  event_id: number | null;
  user_id: string;
  to_user_id?: string;
  type: TransactionType;
  amount: string;
  currency: string;
  status: TransactionStatus;
  description: string | null;
  /** The transaction a reversal moves back (null for every other type). */
  reverses_transaction_id: number | null;
  created_at: string;
}
