/**
 * The analytics feed's contract: a JSON Schema (draft-07, which AsyncAPI 3's default schema
 * format extends) for the `data` of every PUBLIC domain event type, per schema version. One entry
 * per type, one schema per version in it: a new version of a type adds a key to its entry (and
 * an upcaster in the writer), and old consumers still find the old version's schema here.
 *
 * What is public is what has an entry: the feed publishes only those types (a type added to the
 * catalog stays internal until it is given a schema here), so writer terms, refusals and API key
 * events, which carry nothing for analytics and one of which carries a key hash, never reach the
 * public subjects (see ../../../../README.md, "Consuming the feed").
 *
 * The value fragments below are small on purpose: each names one value of the vocabulary, so a
 * type's schema reads like its interface in ledger.ts / achievements.ts.
 */
import { MAX_ACHIEVEMENT_DESCRIPTION_LENGTH, MAX_ACHIEVEMENT_NAME_LENGTH, MAX_GOAL, MAX_ICON_URL_LENGTH } from '../commands/achievements';
import { ACCOUNT_ID_PATTERN } from '../values/account-id';
import { ACHIEVEMENT_KEY_PATTERN } from '../values/achievement-key';
import { AMOUNT_PATTERN } from '../values/amount';
import { APP_ID_PATTERN } from '../values/app-id';
import { CURRENCY_PATTERN } from '../values/currency';
import { MAX_DESCRIPTION_LENGTH } from '../values/description';
import { ID_PATTERN } from '../values/id';
import { MAX_APP_NAME_LENGTH } from '../values/name';
import { TEXT_PATTERN } from '../values/text';
import { USER_ID_PATTERN } from '../values/user-id';
import type { DomainEventType } from './index';

/** A JSON Schema (draft-07) as a plain object: what ajv compiles and AsyncAPI embeds. */
export type JsonSchema = { [keyword: string]: unknown };

// ---- values --------------------------------------------------------------------------------

const anchored = (pattern: RegExp) => pattern.source;

export const FEED_VALUES = {
  /** Exact decimal string of a positive whole amount (never a JSON number: it may exceed 2^53). */
  amount: { type: 'string', pattern: anchored(AMOUNT_PATTERN), description: 'a positive whole amount, as a decimal string' },
  currency: { type: 'string', pattern: anchored(CURRENCY_PATTERN), description: 'currency code' },
  userId: { type: 'string', pattern: anchored(USER_ID_PATTERN), description: "the community's user id" },
  appId: { type: 'string', pattern: anchored(APP_ID_PATTERN), description: 'registered app id' },
  id: { type: 'string', pattern: anchored(ID_PATTERN) },
  achievementKey: { type: 'string', pattern: anchored(ACHIEVEMENT_KEY_PATTERN), description: "the achievement's key within its app" },
  /** Finance event and transaction ids: positive integers a JSON number holds exactly. */
  serial: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER },
  /** Accounts: `user:<user_id>`, `house:<app_id>`, `treasury` (double entry, see ledger.ts). */
  account: { type: 'string', pattern: anchored(ACCOUNT_ID_PATTERN) },
  transactionType: { type: 'string', enum: ['credit', 'debit', 'transfer', 'grant'] },
  time: { type: 'string', format: 'date-time', description: 'ISO 8601 / RFC 3339 instant, UTC' },
  /** A 64-bit position: a decimal string, because JSON numbers are not 64-bit. */
  position: { type: 'string', pattern: '^(0|[1-9][0-9]{0,19})$' },
  uuid: { type: 'string', format: 'uuid' },
  text: (maxLength: number, minLength = 0) => ({ type: 'string', pattern: TEXT_PATTERN, minLength, maxLength }),
  nullable: (schema: JsonSchema): JsonSchema => ({ anyOf: [schema, { type: 'null' }] }),
} as const;

const V = FEED_VALUES;

/** An object with exactly these properties, every one required unless listed as optional. */
function record(properties: Record<string, JsonSchema>, optional: string[] = []): JsonSchema {
  return {
    type: 'object',
    properties,
    required: Object.keys(properties).filter((name) => !optional.includes(name)),
    additionalProperties: false,
  };
}

const reward = record({ amount: V.amount, currency: V.currency });

/** A transaction's fields, shared by its events (v1 named `type` `kind`). */
const transactionFields = (typeField: 'type' | 'kind', more: Record<string, JsonSchema> = {}): JsonSchema =>
  record({
    transaction_id: V.serial,
    event_id: V.nullable(V.serial),
    app_id: V.nullable(V.appId),
    [typeField]: V.transactionType,
    user_id: V.userId,
    debit_account: V.account,
    credit_account: V.account,
    amount: V.amount,
    currency: V.currency,
    description: V.nullable(V.text(MAX_DESCRIPTION_LENGTH)),
    created_at: V.time,
    ...more,
  });

/** TransactionPending and TransactionPosted v1, as published before the design card's names. */
const transactionV1 = transactionFields('kind');

const achievementName = V.text(MAX_ACHIEVEMENT_NAME_LENGTH, 1);
const achievementDescription = V.nullable(V.text(MAX_ACHIEVEMENT_DESCRIPTION_LENGTH));
const iconUrl = V.nullable(V.text(MAX_ICON_URL_LENGTH));

// ---- the public events ---------------------------------------------------------------------

export interface FeedEventEntry {
  /** One line for the AsyncAPI message's summary. */
  summary: string;
  /** The `data` schema of each schema version (metadata.schema_version). */
  versions: Record<number, JsonSchema>;
}

/**
 * Every public event type, each with its versions. Types absent here are internal and are not
 * published. (When a type is renamed or gains a version, change its one entry.)
 */
export const FEED_EVENTS = {
  AppRegistered: {
    summary: 'An app (game) was registered; its house account exists from now on.',
    versions: { 1: record({ app_id: V.appId, name: V.text(MAX_APP_NAME_LENGTH, 1), registered_at: V.time }) },
  },
  EventOpened: {
    summary: 'A finance event opened: transactions in it are held (pending) until it closes or expires.',
    versions: {
      1: record({ event_id: V.serial, app_id: V.appId, description: V.nullable(V.text(MAX_DESCRIPTION_LENGTH)), opened_at: V.time, expires_at: V.time }),
    },
  },
  Pinged: {
    summary: 'A finance event was pinged: its expiry moved to expires_at. (Published as EventPinged before v2 of the ledger events.)',
    versions: { 1: record({ event_id: V.serial, pinged_at: V.time, expires_at: V.time }) },
  },
  TransactionPending: {
    summary: 'A transaction inside an open finance event: its amount is held, not moved, until a TransactionPosted or TransactionVoided of it.',
    versions: { 1: transactionV1, 2: transactionFields('type') },
  },
  TransactionPosted: {
    summary:
      'A transaction moved money: once for every transaction, at once (no finance event) or when its event closes (one per pending transaction, before the EventClosed).',
    versions: { 1: transactionV1, 2: transactionFields('type', { posted_at: V.time }) },
  },
  TransactionVoided: {
    summary: 'A pending transaction will never move money: its event expired (one per pending transaction, before the EventExpired).',
    versions: { 1: transactionFields('type', { voided_at: V.time, reason: { type: 'string', enum: ['expired'] } }) },
  },
  EventClosed: {
    summary: 'A finance event closed: its pending transactions posted (each with its TransactionPosted, just before).',
    versions: {
      1: record({ event_id: V.serial, closed_at: V.time, posted_transaction_ids: { type: 'array', items: V.serial } }),
      2: record({ event_id: V.serial, closed_at: V.time }),
    },
  },
  EventExpired: {
    summary: 'A finance event expired (no ping in time): its pending transactions were voided (each with its TransactionVoided, just before).',
    versions: {
      1: record({ event_id: V.serial, expired_at: V.time, voided_transaction_ids: { type: 'array', items: V.serial } }),
      2: record({ event_id: V.serial, expired_at: V.time }),
    },
  },
  AchievementRegistered: {
    summary: 'An app defined an achievement.',
    versions: {
      1: record({
        app_id: V.appId,
        key: V.achievementKey,
        name: achievementName,
        description: achievementDescription,
        icon_url: iconUrl,
        goal: { type: 'integer', minimum: 1, maximum: MAX_GOAL },
        hidden: { type: 'boolean' },
        reward: V.nullable(reward),
        registered_at: V.time,
      }),
    },
  },
  AchievementUpdated: {
    summary: "An achievement's presentation changed (only the fields in changes).",
    versions: {
      1: record({
        app_id: V.appId,
        key: V.achievementKey,
        changes: record({ name: achievementName, description: achievementDescription, icon_url: iconUrl, hidden: { type: 'boolean' } }, [
          'name',
          'description',
          'icon_url',
          'hidden',
        ]),
        updated_at: V.time,
      }),
    },
  },
  ProgressRecorded: {
    summary: "A user's progress towards an achievement (absolute, capped at the goal).",
    versions: {
      1: record({ app_id: V.appId, key: V.achievementKey, user_id: V.userId, progress: { type: 'integer', minimum: 0, maximum: MAX_GOAL }, recorded_at: V.time }),
    },
  },
  AchievementUnlocked: {
    summary: 'A user unlocked an achievement (once per app, key and user).',
    versions: {
      1: record({ unlock_id: V.id, app_id: V.appId, key: V.achievementKey, user_id: V.userId, unlocked_at: V.time, reward: V.nullable(reward) }),
    },
  },
  RewardGranted: {
    summary: "An unlock's reward was paid (transaction_id is the ledger's grant).",
    versions: {
      1: record({
        unlock_id: V.id,
        app_id: V.appId,
        key: V.achievementKey,
        user_id: V.userId,
        transaction_id: V.serial,
        amount: V.amount,
        currency: V.currency,
        granted_at: V.time,
      }),
    },
  },
} satisfies Partial<Record<DomainEventType, FeedEventEntry>>;

export type PublicEventType = keyof typeof FEED_EVENTS;

/**
 * The types the feed never publishes, anywhere: a ledger writer's term (fencing, read back from
 * its own stream), a refused command (kept for idempotent retries), API keys issued and revoked
 * (the gateway tails them from the store; ApiKeyIssued holds the key's hash).
 */
export const INTERNAL_EVENT_TYPES = ['WriterTermStarted', 'CommandRefused', 'ApiKeyIssued', 'ApiKeyRevoked', 'AchievementCommandRefused'] as const satisfies readonly DomainEventType[];

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
