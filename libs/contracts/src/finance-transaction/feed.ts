/** The feed's JSON Schemas of the finance transaction's events (events.ts), per schema version. */
import { FEED_VALUES as V, record, type FeedEventEntry, type JsonSchema } from '../events/feed-values';
import { MAX_DESCRIPTION_LENGTH } from '../values/description';
import { TRANSACTION_TYPES, type TransactionEventMap } from './events';

const transactionType: JsonSchema = { type: 'string', enum: [...TRANSACTION_TYPES] };

/** A transaction's fields (TransactionData), shared by its events (v1 named `type` `kind`). */
const transactionFields = (typeField: 'type' | 'kind', more: Record<string, JsonSchema> = {}): JsonSchema =>
  record({
    transaction_id: V.serial,
    event_id: V.nullable(V.serial),
    app_id: V.nullable(V.appId),
    [typeField]: transactionType,
    user_id: V.userId,
    debit_account: V.account,
    credit_account: V.account,
    amount: V.amount,
    currency: V.currency,
    description: V.nullable(V.text(MAX_DESCRIPTION_LENGTH)),
    created_at: V.time,
    ...more,
  });

/** TransactionPending and TransactionPosted v1, as published before the design card's names. */
const transactionV1 = transactionFields('kind');

export const TRANSACTION_FEED = {
  TransactionPending: {
    summary: 'A transaction inside an open finance event: its amount is held, not moved, until a TransactionPosted or TransactionVoided of it.',
    versions: { 1: transactionV1, 2: transactionFields('type') },
  },
  TransactionPosted: {
    summary:
      'A transaction moved money: once for every transaction, at once (no finance event) or when its finance event closes (one per pending transaction, before the EventClosed).',
    versions: { 1: transactionV1, 2: transactionFields('type', { posted_at: V.time }) },
  },
  TransactionVoided: {
    summary: 'A pending transaction will never move money: its finance event expired (one per pending transaction, before the EventExpired).',
    versions: { 1: transactionFields('type', { voided_at: V.time, reason: { type: 'string', enum: ['expired'] } }) },
  },
} satisfies Record<keyof TransactionEventMap, FeedEventEntry>;
