import type { EventEnvelope } from '@coffer/contracts';
import type { RecordedEvent } from './port';

/** The wire form of a stored event (API.md): positions as decimal strings, time as ISO-8601. */
export function toEnvelope(event: RecordedEvent): EventEnvelope {
  return {
    id: event.id,
    type: event.type,
    stream: event.stream,
    stream_position: event.streamPosition.toString(),
    global_position: event.globalPosition.toString(),
    occurred_at: event.occurredAt.toISOString(),
    data: event.data,
    metadata: event.metadata,
  };
}
