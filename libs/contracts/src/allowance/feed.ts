/** The feed's JSON Schemas of the allowance's events (events.ts). */
import { currentRecord, FEED_VALUES as V, type FeedEventEntry, type JsonSchema } from '../events/feed-values';
import { ALLOWANCE_PERIODS } from './commands';
import type { AllowanceClaimed, AllowanceEventMap, AllowanceRemoved, AllowanceSet } from './events';

const period: JsonSchema = { type: 'string', enum: [...ALLOWANCE_PERIODS] };

export const ALLOWANCE_FEED = {
  AllowanceSet: {
    summary: 'The admin set (or changed) the allowance of a currency: the amount a user may claim once per period.',
    versions: { 1: currentRecord<AllowanceSet>({ currency: V.currency, amount: V.amount, period, set_at: V.time }) },
  },
  AllowanceRemoved: {
    summary: 'The admin removed the allowance of a currency: it can no longer be claimed.',
    versions: { 1: currentRecord<AllowanceRemoved>({ currency: V.currency, removed_at: V.time }) },
  },
  AllowanceClaimed: {
    summary: 'A user claimed the allowance for this period; the TransactionPosted (type grant) with this transaction_id follows in the same append.',
    versions: {
      1: currentRecord<AllowanceClaimed>({
        currency: V.currency,
        user_id: V.userId,
        app_id: V.appId,
        period,
        period_start: V.time,
        amount: V.amount,
        transaction_id: V.serial,
        claimed_at: V.time,
      }),
    },
  },
} satisfies Record<keyof AllowanceEventMap, FeedEventEntry>;
