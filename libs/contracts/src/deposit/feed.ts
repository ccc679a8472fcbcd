/** The feed's JSON Schemas of the deposit's events (events.ts): none carries more of a reference than its last 4 characters. */
import { currentRecord, FEED_VALUES as V, type FeedEventEntry, type JsonSchema } from '../events/feed-values';
import { MAX_DECLINE_REASON_LENGTH, REFERENCE_LAST4_PATTERN } from '../values/external-account';
import type { DEPOSIT_INTERNAL_EVENT_TYPES, DepositAccepted, DepositData, DepositDeclined, DepositEventMap, DepositRequested } from './events';

const depositData = {
  deposit_id: V.serial,
  transaction_id: V.serial,
  user_id: V.userId,
  app_id: V.nullable(V.appId),
  external_account_id: V.serial,
  reference_last4: { type: 'string', pattern: REFERENCE_LAST4_PATTERN.source },
  amount: V.amount,
  currency: V.currency,
  requested_at: V.time,
} satisfies Record<keyof DepositData, JsonSchema>;

export const DEPOSIT_FEED = {
  DepositRequested: {
    summary: 'A user asked to withdraw to a linked external account: the amount is held (a TransactionPending of type deposit) until an operator decides.',
    versions: { 1: currentRecord<DepositRequested>({ ...depositData, status: { const: 'waiting_for_verification' } }) },
  },
  DepositAccepted: {
    summary: 'An operator accepted a waiting deposit: its transaction posted from the external account: the amount is spendable (the TransactionPosted before it).',
    versions: { 1: currentRecord<DepositAccepted>({ ...depositData, status: { const: 'accepted' }, accepted_at: V.time }) },
  },
  DepositDeclined: {
    summary: 'An operator declined a waiting deposit: its transaction was voided: nothing was credited (the TransactionVoided before it).',
    versions: {
      1: currentRecord<DepositDeclined>({ ...depositData, status: { const: 'declined' }, reason: V.text(MAX_DECLINE_REASON_LENGTH, 1), declined_at: V.time }),
    },
  },
} satisfies Record<Exclude<keyof DepositEventMap, (typeof DEPOSIT_INTERNAL_EVENT_TYPES)[number]>, FeedEventEntry>;
