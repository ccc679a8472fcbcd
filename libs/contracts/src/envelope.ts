/**
 * The envelope every domain event travels in: in the event store, on the analytics feed and in
 * replays. Positions are decimal strings on the wire because they are 64-bit and JSON numbers
 * are not; inside a process they are bigints (see RecordedEvent in @coffer/event-store).
 */
export interface EventMetadata {
  /** Version of the event's `data` schema; readers upcast older versions. */
  schema_version: number;
  /** Follows one request from the gateway through NATS to every event it caused. */
  correlation_id: string;
  /** Id of the command (or event) that caused this event. */
  causation_id: string | null;
  /** The registered app whose API key caused the event (null for admin and system actions). */
  app_id: string | null;
  /** The API key that caused the event, so any transaction traces back to its key. */
  key_id?: string | null;
  /** The admin token that caused the event (an operator's command), absent otherwise. */
  admin_token_id?: string | null;
  /** The command that caused the event (its type), for the audit trail; absent on events written before. */
  command_type?: string;
  /** The users the command named (user_id, from_user_id, to_user_id of its data), for the audit trail. */
  user_ids?: string[];
  [extra: string]: unknown;
}

export interface EventEnvelope<Type extends string = string, Data = unknown> {
  id: string;
  type: Type;
  stream: string;
  stream_position: string;
  global_position: string;
  occurred_at: string;
  data: Data;
  metadata: EventMetadata;
}

/** The bounded context an event type belongs to; it names the analytics subject. */
export type EventContext = 'ledger' | 'achievements';

/**
 * The shape of every command either writer decides (Emmett's Command<Type, Data>): `type` names
 * the command, `data` holds its fields. Shaped like a domain event so that `type` means one thing
 * at the top of either, and a field inside may be called what it is everywhere else (a
 * transaction's `type`: credit or debit).
 */
export interface Command<Type extends string = string, Data = Record<string, unknown>> {
  type: Type;
  data: Data;
}
