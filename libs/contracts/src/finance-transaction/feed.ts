/** The feed's JSON Schemas of the finance transaction's events (events.ts), per schema version. */
import { currentRecord, FEED_VALUES as V, record, type FeedEventEntry, type JsonSchema } from '../events/feed-values';
import { MAX_DESCRIPTION_LENGTH } from '../values/description';
import { TRANSACTION_TYPES, VOID_REASONS, type TransactionData, type TransactionEventMap, type TransactionPosted, type TransactionVoided } from './events';

/** The types before reversals (v2 of TransactionPending and TransactionPosted, v1 of TransactionVoided). */
const transactionTypeV2: JsonSchema = { type: 'string', enum: ['credit', 'debit', 'transfer', 'grant'] };
const transactionType: JsonSchema = { type: 'string', enum: [...TRANSACTION_TYPES] };

/**
 * A transaction's fields as of TransactionPending and TransactionPosted v2 and TransactionVoided
 * v1. Frozen, like every published version: a field added to TransactionData fails to compile at
 * the currentRecord calls below, and is a new version of each of the three events.
 */
const transactionDataV2 = {
  transaction_id: V.serial,
  event_id: V.nullable(V.serial),
  app_id: V.nullable(V.appId),
  type: transactionTypeV2,
  user_id: V.userId,
  debit_account: V.account,
  credit_account: V.account,
  amount: V.amount,
  currency: V.currency,
  description: V.nullable(V.text(MAX_DESCRIPTION_LENGTH)),
  created_at: V.time,
} satisfies Record<string, JsonSchema>;

/**
 * v3 (v2 of TransactionVoided): the types withdrawal, deposit and reversal, and a reversal's link
 * to what it reverses (`reverses_transaction_id`).
 */
const transactionDataV3 = {
  ...transactionDataV2,
  type: transactionType,
  reverses_transaction_id: V.nullable(V.serial),
} satisfies Record<keyof TransactionData, JsonSchema>;

/** TransactionPending and TransactionPosted v1, as published before the design card's names (`kind` for `type`). */
const { type: v1Kind, ...v1Rest } = transactionDataV2;
const transactionV1 = record({ ...v1Rest, kind: v1Kind });

export const TRANSACTION_FEED = {
  TransactionPending: {
    summary:
      'A transaction held pending (inside an open finance event, or a withdrawal or deposit awaiting verification): its amount is held, not moved, until a TransactionPosted or TransactionVoided of it.',
    versions: { 1: transactionV1, 2: record(transactionDataV2), 3: currentRecord<TransactionData>(transactionDataV3) },
  },
  TransactionPosted: {
    summary:
      'A transaction moved money: once for every transaction, at once (no finance event; a reversal names what it reverses), when its finance event closes (one per pending transaction, before the EventClosed) or when an operator accepts its withdrawal or deposit.',
    versions: {
      1: transactionV1,
      2: record({ ...transactionDataV2, posted_at: V.time }),
      3: currentRecord<TransactionPosted>({ ...transactionDataV3, posted_at: V.time }),
    },
  },
  TransactionVoided: {
    summary:
      'A pending transaction will never move money: its finance event expired or was aborted (one per pending transaction, before the EventExpired or EventAborted), or an operator declined its withdrawal or deposit (reason declined).',
    versions: {
      1: record({ ...transactionDataV2, voided_at: V.time, reason: { type: 'string', enum: ['expired'] } }),
      2: currentRecord<TransactionVoided>({ ...transactionDataV3, voided_at: V.time, reason: { type: 'string', enum: [...VOID_REASONS] } }),
    },
  },
} satisfies Record<keyof TransactionEventMap, FeedEventEntry>;
