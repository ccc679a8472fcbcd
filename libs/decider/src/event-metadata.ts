/**
 * What a writer stores beside each event a command caused, the same in every writer: where the
 * command came from (correlation, app, key), which command it was (its id and request hash, by
 * which a retry is recognised), and the times its memory is kept by (commandTimes).
 */
import { randomUUID } from 'node:crypto';
import { EVENT_SCHEMA_VERSIONS, isUserId, USER_ID_FIELDS, type DomainEventType, type EventMetadata, type RequestMeta } from '@coffer/contracts';
import { commandTimes, type CommandMetadata } from './command-memory';

export type StampedMetadata = EventMetadata & CommandMetadata;

/** The decision a command's events were decided at: its time and request hash. */
export interface DecidedAt {
  now: Date;
  request_hash: string | null;
}

/**
 * Gives each event of a command its metadata, before it is folded (the command memory reads the
 * command's id and times from there). `retentionMs`: how long the deciding writer keeps a keyed
 * command, written down so every later fold forgets it at the same time.
 */
export function stampFor<Event extends { type: DomainEventType }>(
  meta: RequestMeta,
  decided: DecidedAt,
  retentionMs: number,
  command?: { type: string; data?: unknown },
): (event: Event) => Event & { metadata: StampedMetadata } {
  const audit = command ? commandAudit(command) : {};
  const operator = meta.admin_token_id ? { admin_token_id: meta.admin_token_id } : {};
  return (event) => ({
    ...event,
    metadata: {
      schema_version: EVENT_SCHEMA_VERSIONS[event.type],
      correlation_id: meta.correlation_id,
      causation_id: meta.command_id,
      command_id: meta.command_id,
      request_hash: decided.request_hash,
      app_id: meta.app_id,
      key_id: meta.key_id,
      ...operator,
      ...audit,
      ...commandTimes(decided.now.getTime(), meta.deadline_epoch_ms, decided.request_hash !== null, retentionMs),
    },
  });
}

/**
 * What the audit trail reads of a command from its events (GET /admin/audit): its type and the
 * users it named. In the metadata, not the data, so a refusal (whose data is only the refusal)
 * says it too, and no event's schema changes. At most three ids, each checked by the value rules
 * (a command refused for a malformed user id must still be storable): bounded per event.
 */
export function commandAudit(command: { type: string; data?: unknown }): { command_type: string; user_ids?: string[] } {
  const data = (typeof command.data === 'object' && command.data !== null ? command.data : {}) as Record<string, unknown>;
  const users = [...new Set(USER_ID_FIELDS.map((field) => data[field]).filter(isUserId))];
  return users.length ? { command_type: command.type, user_ids: users } : { command_type: command.type };
}

/** Stamped events as the store appends them (each with a fresh id). */
export function toAppend<Event extends { type: string; data: unknown; metadata?: unknown }>(
  events: readonly Event[],
): Array<{ id: string; type: string; data: unknown; metadata: StampedMetadata }> {
  return events.map(({ type, data, metadata }) => ({ id: randomUUID(), type, data, metadata: metadata as StampedMetadata }));
}
