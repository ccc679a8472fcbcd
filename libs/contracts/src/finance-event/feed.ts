/** The feed's JSON Schemas of the finance event's events (events.ts), per schema version. */
import { currentRecord, FEED_VALUES as V, record, type FeedEventEntry } from '../events/feed-values';
import { MAX_DESCRIPTION_LENGTH } from '../values/description';
import type { EventAborted, EventClosed, EventExpired, EventOpened, FinanceEventEventMap, Pinged } from './events';

export const FINANCE_EVENT_FEED = {
  EventOpened: {
    summary: 'A finance event opened: transactions in it are held (pending) until it closes or expires.',
    versions: {
      1: currentRecord<EventOpened>({ event_id: V.serial, app_id: V.appId, description: V.nullable(V.text(MAX_DESCRIPTION_LENGTH)), opened_at: V.time, expires_at: V.time }),
    },
  },
  Pinged: {
    summary: 'A finance event was pinged: its expiry moved to expires_at. (Published as EventPinged before v2 of the ledger events.)',
    versions: { 1: currentRecord<Pinged>({ event_id: V.serial, pinged_at: V.time, expires_at: V.time }) },
  },
  EventClosed: {
    summary: 'A finance event closed: its pending transactions posted (each with its TransactionPosted, just before).',
    versions: {
      1: record({ event_id: V.serial, closed_at: V.time, posted_transaction_ids: { type: 'array', items: V.serial } }),
      2: currentRecord<EventClosed>({ event_id: V.serial, closed_at: V.time }),
    },
  },
  EventExpired: {
    summary: 'A finance event expired (no ping in time): its pending transactions were voided (each with its TransactionVoided, just before).',
    versions: {
      1: record({ event_id: V.serial, expired_at: V.time, voided_transaction_ids: { type: 'array', items: V.serial } }),
      2: currentRecord<EventExpired>({ event_id: V.serial, expired_at: V.time }),
    },
  },
  EventAborted: {
    summary: 'A finance event was aborted by its app: its pending transactions were voided (each with its TransactionVoided, reason aborted, just before).',
    versions: { 1: currentRecord<EventAborted>({ event_id: V.serial, aborted_at: V.time }) },
  },
} satisfies Record<keyof FinanceEventEventMap, FeedEventEntry>;
