/**
 * What the API answers, as the SDK returns it. These mirror libs/contracts (the ledger's replies
 * and the gateway's views); contracts.spec.ts holds each equal to its contract type, so a field
 * added there fails the type check here until it is added too. They are copies, not imports: a
 * published SDK cannot ask its users to install the server's contracts.
 *
 * User ids come back as strings, amounts as strings of digits (exact: BigInt(amount)).
 */

/**
 * withdrawal and deposit: held pending until an operator accepts or declines them (API.md,
 * "Withdrawals and deposits"); reversal: moves a posted transaction's money back, naming it in
 * `reverses_transaction_id`.
 */
export type TransactionType = 'credit' | 'debit' | 'transfer' | 'grant' | 'withdrawal' | 'deposit' | 'reversal';
export type TransactionStatus = 'pending' | 'posted' | 'voided';
export type FinanceEventStatus = 'open' | 'closed' | 'expired' | 'aborted';
export type Consistency = 'strong' | 'eventual';

export interface Transaction {
  transaction_id: number;
  event_id: number | null;
  user_id: string;
  /** The receiving user, when the money moved from one user to another (a transfer, or a transfer's reversal); user_id is the sender. */
  to_user_id?: string;
  type: TransactionType;
  amount: string;
  currency: string;
  status: TransactionStatus;
  description: string | null;
  /** On a reversal: the transaction it moves back; null otherwise. */
  reverses_transaction_id: number | null;
  created_at: string;
}

export interface Transfer {
  transaction_id: number;
  from_user_id: string;
  to_user_id: string;
  type: 'transfer';
  amount: string;
  currency: string;
  status: string;
  description: string | null;
  created_at: string;
}

export interface BalanceLine {
  currency: string;
  /** posted − pending_debit: what the user can spend now. */
  available: string;
  posted: string;
  pending_debit: string;
  pending_credit: string;
}

export interface Balance {
  user_id: string;
  balances: BalanceLine[];
}

export interface FinanceEventOpened {
  event_id: number;
  status: string;
  expires_at: string;
}

export interface FinanceEventClosed {
  event_id: number;
  status: string;
  closed_at: string;
}

export interface FinanceEventAborted {
  event_id: number;
  status: string;
  aborted_at: string;
}

export interface FinanceEvent {
  event_id: number;
  app_id: string;
  description: string | null;
  status: FinanceEventStatus;
  opened_at: string;
  last_ping_at: string | null;
  expires_at: string;
  closed_at: string | null;
  expired_at: string | null;
  aborted_at: string | null;
  transactions: Transaction[];
}

export interface AchievementReward {
  amount: string;
  currency: string;
}

export interface Achievement {
  app_id: string;
  key: string;
  name: string;
  description: string | null;
  icon_url: string | null;
  goal: number;
  hidden: boolean;
  reward: AchievementReward | null;
  /** The Discord role given on unlock, or null. */
  discord_role_id: string | null;
  created_at: string;
  updated_at: string;
}

export interface Progress {
  key: string;
  user_id: string;
  progress: number;
  goal: number;
  unlocked: boolean;
  unlocked_at: string | null;
}

export interface UserAchievement {
  app_id: string;
  key: string;
  name: string;
  description: string | null;
  icon_url: string | null;
  progress: number;
  goal: number;
  unlocked: boolean;
  unlocked_at: string | null;
}

export interface AchievementStats {
  key: string;
  users_with_progress: number;
  unlocked_count: number;
  unlock_rate: number;
}

/** One page of a list: pass next_cursor as cursor for the next (null on the last). */
export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

/** What a webhook may hear; `*` is every type, present and future. */
export type WebhookEventType = 'transaction.posted' | 'transaction.voided' | 'event.expired' | 'achievement.unlocked' | 'withdrawal.updated' | 'deposit.updated' | 'daily.summary';

export interface Webhook {
  webhook_id: number;
  url: string;
  events: string[];
  created_at: string;
}

/** The answer to a registration: the only time the secret is shown (verifyWebhook needs it). */
export interface CreatedWebhook extends Webhook {
  secret: string;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

/** One notification to one webhook, with its latest attempt. */
export interface Delivery {
  delivery_id: string;
  /** The delivered body's `id`: the same on every attempt (drop doubles by it). */
  event_id: string;
  type: WebhookEventType;
  status: DeliveryStatus;
  attempts: number;
  last_attempt_at: string | null;
  response_code: number | null;
  error: string | null;
  next_attempt_at: string | null;
  created_at: string;
}

/** A posted movement in a statement: + in, − out for the user, and the posted balance after it. */
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

/** One wallet in one currency over [from, to): opening balance, movements, closing balance. */
export interface Statement {
  user_id: string;
  currency: string;
  from: string | null;
  to: string | null;
  opening_balance: string;
  movements: StatementMovement[];
  closing_balance: string;
}

/** A wallet's place on the balance leaderboard (ties share a rank: 1, 1, 3). */
export interface BalanceRank {
  rank: number;
  user_id: string;
  value: string;
}

/** A user's place on the achievements leaderboard: unlocks across every app. */
export interface AchievementRank {
  rank: number;
  user_id: string;
  value: number;
}
