import type { RecordedEvent } from './port';

/**
 * A recorded event as a writer folds it (replay, standby, catching a stream up): its type and
 * data as the domain's event `E`, its metadata (what the writer stamped, read as `Metadata`) and
 * its positions beside them. The store does not know the domain's types: the writer names them.
 */
export function asFolded<E extends { type: string; data: unknown }, Metadata = RecordedEvent['metadata']>(
  event: RecordedEvent,
): E & { metadata: Metadata; streamPosition: bigint; globalPosition: bigint } {
  return {
    ...({ type: event.type, data: event.data } as E),
    metadata: event.metadata as Metadata,
    streamPosition: event.streamPosition,
    globalPosition: event.globalPosition,
  };
}
