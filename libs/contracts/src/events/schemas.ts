/**
 * The analytics feed's contract: a JSON Schema (draft-07, which AsyncAPI 3's default schema
 * format extends) for the `data` of every PUBLIC domain event type, per schema version. Each
 * concept gives its events' schemas in its feed.ts (one entry per type, one schema per version
 * in it: a new version of a type adds a key to its entry, and an upcaster in upcast.ts), and old
 * consumers still find the old version's schema here.
 *
 * What is public is what has an entry: the feed publishes only those types (a type added to the
 * catalog stays internal until it is given a schema), so writer terms, refusals, API key events
 * and external account links, which carry nothing for analytics and two of which carry a hash (a
 * key's, a reference's), never reach the public subjects (see ../../../../README.md, "Consuming the feed").
 */
import { ACHIEVEMENT_FEED } from '../achievement/feed';
import { ALLOWANCE_FEED } from '../allowance/feed';
import { APP_INTERNAL_EVENT_TYPES } from '../app/events';
import { APP_FEED } from '../app/feed';
import { FINANCE_EVENT_FEED } from '../finance-event/feed';
import { TRANSACTION_FEED } from '../finance-transaction/feed';
import { WRITER_INTERNAL_EVENT_TYPES } from '../writer/events';
import { DEPOSIT_FEED } from '../deposit/feed';
import { EXTERNAL_ACCOUNT_INTERNAL_EVENT_TYPES } from '../external-account/events';
import { DEPOSIT_INTERNAL_EVENT_TYPES } from '../deposit/events';
import { WITHDRAWAL_FEED } from '../withdrawal/feed';
import { FEED_VALUES as V, type FeedEventEntry, type JsonSchema } from './feed-values';
import type { DomainEventType } from './index';

export { FEED_VALUES, type FeedEventEntry, type JsonSchema } from './feed-values';

/**
 * Every public event type, each with its versions. Types absent here are internal and are not
 * published. (When a type is renamed or gains a version, change its one entry in its concept.)
 */
export const FEED_EVENTS = {
  ...APP_FEED,
  ...FINANCE_EVENT_FEED,
  ...TRANSACTION_FEED,
  ...ALLOWANCE_FEED,
  ...WITHDRAWAL_FEED,
  ...DEPOSIT_FEED,
  ...ACHIEVEMENT_FEED,
} satisfies Partial<Record<DomainEventType, FeedEventEntry>>;


export type PublicEventType = keyof typeof FEED_EVENTS;

/**
 * The types the feed never publishes, anywhere: a ledger writer's term (fencing, read back from
 * its own stream), a refused command (kept for idempotent retries), API keys issued and revoked
 * (the gateway tails them from the store; ApiKeyIssued holds the key's hash): each concept lists
 * its own (../writer/events.ts, ../app/events.ts).
 */
export const INTERNAL_EVENT_TYPES = [...WRITER_INTERNAL_EVENT_TYPES, ...APP_INTERNAL_EVENT_TYPES, ...EXTERNAL_ACCOUNT_INTERNAL_EVENT_TYPES, ...DEPOSIT_INTERNAL_EVENT_TYPES] as const satisfies readonly DomainEventType[];

/**
 * Every domain event type is either public (it has a schema above) or internal (listed above):
 * a type added to the catalog fails to compile here, naming itself, until it is given one or the
 * other, so nothing is published, or kept back, by default.
 */
type Unclassified = Exclude<DomainEventType, PublicEventType | (typeof INTERNAL_EVENT_TYPES)[number]>;
const everyTypeClassified: [Unclassified] extends [never] ? true : { unclassified: Unclassified } = true;
void everyTypeClassified;

/** Whether the feed publishes this type: only the types with a schema are public. */
export function isPublicEventType(type: string): type is PublicEventType {
  return Object.prototype.hasOwnProperty.call(FEED_EVENTS, type);
}

export const PUBLIC_EVENT_TYPES = Object.keys(FEED_EVENTS) as PublicEventType[];

/** The `data` schema of one type and version, or undefined when the feed has none. */
export function feedDataSchema(type: string, version: number): JsonSchema | undefined {
  if (!isPublicEventType(type)) return undefined;
  const versions: Record<number, JsonSchema> = FEED_EVENTS[type].versions;
  return Object.prototype.hasOwnProperty.call(versions, version) ? versions[version] : undefined;
}

/** What the writers put in every event's metadata (envelope.ts); more keys may follow. */
export const FEED_METADATA_SCHEMA: JsonSchema = {
  type: 'object',
  properties: {
    schema_version: { type: 'integer', minimum: 1, description: "version of data's schema" },
    correlation_id: { type: 'string', description: 'follows one request from the gateway to every event it caused' },
    causation_id: { type: ['string', 'null'], description: 'the command (or event) that caused this one' },
    app_id: V.nullable(V.appId),
    key_id: { anyOf: [V.id, { type: 'null' }], description: 'the API key that caused the event' },
  },
  required: ['schema_version', 'correlation_id', 'causation_id', 'app_id'],
  additionalProperties: true,
};

/**
 * The whole message as the feed publishes it (the event's envelope, toEnvelope in
 * @coffer/event-store), for one type and version: `type` and `metadata.schema_version` are fixed,
 * `data` is that version's schema.
 */
export function feedMessageSchema(type: PublicEventType, version: number): JsonSchema {
  const data = feedDataSchema(type, version);
  if (data === undefined) throw new Error(`the feed has no schema for ${type} v${version}`);
  return {
    title: `${type} v${version}`,
    description: FEED_EVENTS[type].summary,
    type: 'object',
    properties: {
      id: { ...V.uuid, description: "the event's id, also the message's Nats-Msg-Id" },
      type: { const: type },
      stream: { type: 'string', description: 'the store stream the event belongs to' },
      stream_position: { ...V.position, description: "the event's position in its store stream" },
      global_position: {
        ...V.position,
        description: 'the position in the whole store: increases along the feed; order, deduplicate and resume by it',
      },
      occurred_at: V.time,
      data,
      metadata: { allOf: [FEED_METADATA_SCHEMA, { type: 'object', properties: { schema_version: { const: version } } }] },
    },
    required: ['id', 'type', 'stream', 'stream_position', 'global_position', 'occurred_at', 'data', 'metadata'],
    additionalProperties: false,
  };
}
