/**
 * Aborting a finance event (API.md "Money operations beyond seed 000"): its app ends it now,
 * exactly as an expiry would: every pending transaction is voided (reason 'aborted'), then the
 * event is settled as aborted. Only an open event of the calling app; another app's is unknown.
 */
import type { LedgerEvent } from '@coffer/contracts';
import { events, openEvent, pendingData, type Decision } from './decide';
import type { LedgerState } from './state';

export function abortEvent(state: LedgerState, eventId: number, appId: string, now: Date): Decision {
  const open = openEvent(state, eventId, appId, now);
  if ('kind' in open) return open;
  const at = now.toISOString();
  // As an expiry: every pending transaction is voided (in the order they were made), then the event ends.
  return events(
    ...open.pending.map((id): LedgerEvent => ({ type: 'TransactionVoided', data: { ...pendingData(state, id), voided_at: at, reason: 'aborted' } })),
    { type: 'EventAborted', data: { event_id: open.event_id, aborted_at: at } },
  );
}
