/**
 * When the store refuses a batch's append for its content: one command decided something the
 * store cannot hold (decide's value rules should make that impossible; this keeps it one
 * command's failure if they ever miss something). Rare, so simple: a rebuild per poisoned
 * command, and the common path pays nothing.
 */
import { refusal, type Refusal, type RequestMeta } from '@coffer/contracts';
import { recordsRefusal, storableIds, unavailable, withoutUnstorableIds } from '@coffer/decider';
import { WrongExpectedRevisionError, type ContentRefusedError } from '@coffer/event-store';
import type { JsonLogger } from '@coffer/platform';
import type { Queued } from './writer-work';

/** What isolating a poisoned command needs of the writer. */
export interface PoisonedWriter {
  readonly stream: string;
  /** The state's writer term and revision. */
  readonly term: number;
  readonly revision: bigint;
  /** Whether this writer may still append: it leads and its lease is valid. */
  mayAppend(): boolean;
  rebuild(): Promise<void>;
  decideBatch(batch: Queued[]): Promise<void>;
  /** Answers the batch 503 and rebuilds (or steps down when fenced). */
  failStop(batch: Queued[], error: unknown): Promise<void>;
  /** Records the refusal of one command (folded into the state) and appends it alone; rejects as the append does. */
  appendRecord(item: Queued, refused: Refusal, meta: RequestMeta): Promise<void>;
}

/**
 * The state holds the refused batch, which is not durable, so it is rebuilt, and the batch is
 * decided and appended again one command at a time: the poisoned command is found by its own
 * append and refused alone, the others are appended and answered as usual. The writer calls this
 * only when the batch's own events break the value rules (else the refusal is the store's fault).
 */
export async function isolatePoison(
  writer: PoisonedWriter,
  logger: JsonLogger,
  batch: Queued[],
  expected: bigint,
  refused: ContentRefusedError,
): Promise<void> {
  const term = writer.term;
  try {
    await writer.rebuild();
  } catch (error) {
    await writer.failStop(batch, error);
    return;
  }
  if (writer.term !== term) {
    // The stream has another writer's term: appending on from the rebuilt state would write past its fence.
    await writer.failStop(batch, new WrongExpectedRevisionError(writer.stream, expected, writer.revision));
    return;
  }
  if (batch.length === 1) {
    await refusePoisoned(writer, logger, batch[0], refused);
    return;
  }
  logger.event('warn', 'the store refused a batch for its content: appending its commands one at a time', {
    commands: batch.length,
    reason: refused.reason,
  });
  for (const item of batch) {
    if (writer.mayAppend()) await writer.decideBatch([item]);
    else item.resolve(unavailable('the ledger is changing writers'));
  }
}

/**
 * Refuses the one command whose events the store cannot hold, with a 4xx that names the rule
 * and never the content. With an Idempotency-Key it is recorded (CommandRefused carries code,
 * message and reason only), so its retries get the same refusal without trying the store again.
 * The record's content is known clean: should the store refuse it too, the fault is the store's
 * (fail-stop, 503), not the command's.
 */
async function refusePoisoned(writer: PoisonedWriter, logger: JsonLogger, item: Queued, refused: ContentRefusedError): Promise<void> {
  const { work } = item;
  if (work.kind !== 'command') {
    item.resolve(unavailable('the ledger could not answer this query')); // a query appends nothing: never the poison
    return;
  }
  const answer = refusal('VALIDATION_FAILED', 'the event store cannot hold what this command would record', {
    reason: refused.reason,
  });
  if (recordsRefusal(answer, work.context.request_hash) && storableIds(work.meta.command_id, work.context.request_hash)) {
    if (!writer.mayAppend()) {
      item.resolve(unavailable('the ledger is changing writers'));
      return;
    }
    try {
      await writer.appendRecord(item, answer, withoutUnstorableIds(work.meta));
    } catch (error) {
      await writer.failStop([item], error);
      return;
    }
  }
  logger.event('warn', 'refused a command whose events the store cannot hold', {
    correlation_id: work.meta.correlation_id,
    command_id: work.meta.command_id,
    reason: refused.reason,
  });
  item.resolve(answer);
}
