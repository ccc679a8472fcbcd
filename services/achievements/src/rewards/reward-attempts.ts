/**
 * Where an unlock's reward stands, read from its stream `reward-<unlock_id>`, and how the next
 * payment attempt is named. Pure: the reactor reads the stream and the clock, this decides.
 *
 * Why each attempt has a command id of its own: the ledger records a refusal under the command
 * id, so sending the refused id again could only be refused again. Attempt n + 1 is sent only
 * after RewardWithheld(attempt n) is in the store, which is only written once attempt n was
 * refused for good; so a new id never pays what an earlier id paid, and a crash before the
 * outcome is recorded resends the same id, which the ledger's dedupe answers with its first
 * outcome. One reward, one payment.
 */
import type { RewardWithheld } from '@coffer/contracts';
import type { RecordedEvent } from '@coffer/event-store';

export type RewardStanding =
  /** Nothing recorded: attempt 1 is next, appended expecting no stream. */
  | { kind: 'unpaid'; attempt: 1; revision: 'no_stream' }
  /** Refused `attempt - 1` times: the next is `attempt`, from `retry_at`, appended after `revision`. */
  | { kind: 'withheld'; attempt: number; retry_at: string; revision: bigint }
  | { kind: 'granted' };

/** From the last event of the reward stream (its only possible types: RewardWithheld, RewardGranted). */
export function rewardStanding(last: RecordedEvent | undefined): RewardStanding {
  if (!last) return { kind: 'unpaid', attempt: 1, revision: 'no_stream' };
  if (last.type === 'RewardGranted') return { kind: 'granted' };
  if (last.type !== 'RewardWithheld') throw new Error(`a reward stream holds ${last.type}, which no reward records`);
  const withheld = last.data as RewardWithheld;
  return { kind: 'withheld', attempt: withheld.attempt + 1, retry_at: withheld.retry_at, revision: last.streamPosition };
}

/** Attempt 1 keeps the id rewards always had (so a store from before withholding still dedupes). */
export function rewardCommandId(appId: string, unlockId: string, attempt = 1): string {
  if (!Number.isSafeInteger(attempt) || attempt < 1) throw new Error(`attempt ${attempt} is not a positive integer`);
  return attempt === 1 ? `${appId}:reward:${unlockId}` : `${appId}:reward:${unlockId}:attempt-${attempt}`;
}

/**
 * When a refused reward is sent again: the next 00:00 UTC after the refusal, when every daily
 * mint limit starts afresh. Sooner would spend a refused command per reward per try (each one a
 * recorded refusal in the ledger) while the limit most likely still holds; an admin who raises
 * the limit or gives back a currency sees the reward paid at the next day at the latest.
 */
export function retryAt(refusedAt: Date): Date {
  const next = new Date(Date.UTC(refusedAt.getUTCFullYear(), refusedAt.getUTCMonth(), refusedAt.getUTCDate() + 1));
  if (!(next.getTime() > refusedAt.getTime())) throw new Error('the retry must come after the refusal');
  return next;
}
