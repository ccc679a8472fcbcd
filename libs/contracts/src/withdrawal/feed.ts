/** The feed's JSON Schemas of the withdrawal's events (events.ts): none carries a reference. */
import { currentRecord, FEED_VALUES as V, type FeedEventEntry, type JsonSchema } from '../events/feed-values';
import { MAX_DECLINE_REASON_LENGTH } from '../values/external-account';
import type { WithdrawalAccepted, WithdrawalData, WithdrawalDeclined, WithdrawalEventMap, WithdrawalRequested } from './events';

const withdrawalData = {
  withdrawal_id: V.serial,
  transaction_id: V.serial,
  user_id: V.userId,
  app_id: V.nullable(V.appId),
  external_account_id: V.serial,
  amount: V.amount,
  currency: V.currency,
  requested_at: V.time,
} satisfies Record<keyof WithdrawalData, JsonSchema>;

export const WITHDRAWAL_FEED = {
  WithdrawalRequested: {
    summary: 'A user asked to withdraw to a linked external account: the amount is held (a TransactionPending of type withdrawal) until an operator decides.',
    versions: { 1: currentRecord<WithdrawalRequested>({ ...withdrawalData, status: { const: 'waiting_for_verification' } }) },
  },
  WithdrawalAccepted: {
    summary: 'An operator accepted a waiting withdrawal: its transaction posted to the external account (the TransactionPosted before it).',
    versions: { 1: currentRecord<WithdrawalAccepted>({ ...withdrawalData, status: { const: 'accepted' }, accepted_at: V.time }) },
  },
  WithdrawalDeclined: {
    summary: 'An operator declined a waiting withdrawal: its transaction was voided and the funds are back (the TransactionVoided before it).',
    versions: {
      1: currentRecord<WithdrawalDeclined>({ ...withdrawalData, status: { const: 'declined' }, reason: V.text(MAX_DECLINE_REASON_LENGTH, 1), declined_at: V.time }),
    },
  },
} satisfies Record<keyof WithdrawalEventMap, FeedEventEntry>;
