/**
 * Reading stored events as the current catalog says (each concept's events.ts, EVENT_SCHEMA_VERSIONS):
 * every reader of the store (the ledger's fold, the projector, the analytics feed, the gateway's
 * key registry, the reward reactor) passes each event through upcast() before it looks at its
 * type or data, so a store written by any earlier version reads like a new one.
 *
 * One step per (stored type, version): it gives the next version, possibly under a new name.
 * Steps chain until the current version. Types this catalog does not know (the store's own `$…`
 * events, other tools' streams) pass through untouched.
 */
import { EVENT_SCHEMA_VERSIONS, isDomainEventType } from './versions';

/** An event as the store holds it: the version is its metadata's `schema_version` (1 if absent). */
export interface StoredEvent {
  type: string;
  data: unknown;
  metadata?: { schema_version?: unknown } | null;
}

/** An event in the current catalog's name and shape, with the version it now has. */
export interface CurrentEvent {
  type: string;
  version: number;
  data: unknown;
}

type Step = (data: Record<string, unknown>) => { type: string; data: Record<string, unknown> };

/** `kind` was the field's name in v1 transactions; `type` is the one word for it since. */
function renameKind({ kind, ...rest }: Record<string, unknown>): Record<string, unknown> {
  const { transaction_id, event_id, app_id, ...after } = rest;
  return { transaction_id, event_id, app_id, type: kind, ...after };
}

/** v3 of a transaction (v2 of TransactionVoided): `reverses_transaction_id`, null on all that came before reversals. */
function notAReversal(data: Record<string, unknown>): Record<string, unknown> {
  return { ...data, reverses_transaction_id: null };
}

/** Upcasting steps by `${type}@${version}`: each gives the event at version + 1 (or renamed, see Pinged). */
const STEPS: Record<string, Step> = {
  // The design card's name for a ping; the data never changed.
  'EventPinged@1': (data) => ({ type: 'Pinged', data }),
  'TransactionPending@1': (data) => ({ type: 'TransactionPending', data: renameKind(data) }),
  // v1 was written only for transactions posted at once: posted when created.
  'TransactionPosted@1': (data) => ({ type: 'TransactionPosted', data: { ...renameKind(data), posted_at: data.created_at } }),
  // The id lists are what "closing posts (expiry voids) whatever is still pending" gives anyway.
  // v3 (v2 of TransactionVoided) added types (withdrawal, deposit, reversal), a reason (declined,
  // aborted) and `reverses_transaction_id`: an older event is no reversal.
  'TransactionPending@2': (data) => ({ type: 'TransactionPending', data: notAReversal(data) }),
  'TransactionPosted@2': (data) => ({ type: 'TransactionPosted', data: notAReversal(data) }),
  'TransactionVoided@1': (data) => ({ type: 'TransactionVoided', data: notAReversal(data) }),
  // v2 added discord_role_id: none on achievements registered before Discord roles.
  'AchievementRegistered@1': (data) => ({ type: 'AchievementRegistered', data: { ...data, discord_role_id: null } }),
  'EventClosed@1': ({ posted_transaction_ids: _posted, ...data }) => ({ type: 'EventClosed', data }),
  'EventExpired@1': ({ voided_transaction_ids: _voided, ...data }) => ({ type: 'EventExpired', data }),
};

/** The names events were stored under before they got their current one (readers filtering by type need both). */
export const FORMER_EVENT_TYPES: Readonly<Record<string, readonly string[]>> = { Pinged: ['EventPinged'] };

/** Every type name a store may hold events of `types` under: the current ones and their former names. */
export function storedTypeNames(types: readonly string[]): string[] {
  return types.flatMap((type) => [type, ...(FORMER_EVENT_TYPES[type] ?? [])]);
}

export function schemaVersionOf(event: StoredEvent): number {
  const version = event.metadata?.schema_version;
  return typeof version === 'number' && Number.isInteger(version) && version >= 1 ? version : 1;
}

/**
 * The stored event in the current name and shape. Throws on a version newer than this code
 * knows (written by a newer Coffer: reading it as another shape could misplace money) and on
 * data that is not an object where a step must read it.
 */
export function upcast(event: StoredEvent): CurrentEvent {
  let type = event.type;
  let version = schemaVersionOf(event);
  let data = event.data;
  for (let step = STEPS[`${type}@${version}`]; step; step = STEPS[`${type}@${version}`]) {
    if (data === null || typeof data !== 'object' || Array.isArray(data)) {
      throw new Error(`${type} v${version} has data that is not an object: it cannot be upcast`);
    }
    const next = step(data as Record<string, unknown>);
    version = next.type === type ? version + 1 : 1;
    ({ type, data } = next);
  }
  if (isDomainEventType(type) && version > EVENT_SCHEMA_VERSIONS[type]) {
    throw new Error(`${type} v${version} is newer than this code reads (v${EVENT_SCHEMA_VERSIONS[type]})`);
  }
  return { type, version, data };
}

/**
 * A stored event (recorded or replayed) with its type, data and metadata's schema_version
 * brought to the current catalog; every other field kept. The event itself is not changed.
 */
export function upcastEvent<E extends StoredEvent>(event: E): E {
  const current = upcast(event);
  if (current.type === event.type && current.data === event.data) return event;
  const metadata = event.metadata ? { ...event.metadata, schema_version: current.version } : event.metadata;
  return { ...event, type: current.type, data: current.data, metadata };
}
