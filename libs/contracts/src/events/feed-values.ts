/**
 * The building blocks of the feed's JSON Schemas (draft-07, which AsyncAPI 3's default schema
 * format extends): one small fragment per value of the vocabulary, so each concept's feed.ts
 * reads like its events' interfaces. The concepts' schemas are gathered in schemas.ts.
 */
import { ACCOUNT_ID_PATTERN } from '../values/account-id';
import { ACHIEVEMENT_KEY_PATTERN } from '../values/achievement-key';
import { AMOUNT_PATTERN } from '../values/amount';
import { APP_ID_PATTERN } from '../values/app-id';
import { CURRENCY_PATTERN } from '../values/currency';
import { ID_PATTERN } from '../values/id';
import { TEXT_PATTERN } from '../values/text';
import { USER_ID_PATTERN } from '../values/user-id';

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
  /** Accounts: `user:<user_id>`, `house:<app_id>`, `treasury` (double entry, see ../finance-transaction/events.ts). */
  account: { type: 'string', pattern: anchored(ACCOUNT_ID_PATTERN) },
  time: { type: 'string', format: 'date-time', description: 'ISO 8601 / RFC 3339 instant, UTC' },
  /** A 64-bit position: a decimal string, because JSON numbers are not 64-bit. */
  position: { type: 'string', pattern: '^(0|[1-9][0-9]{0,19})$' },
  uuid: { type: 'string', format: 'uuid' },
  text: (maxLength: number, minLength = 0) => ({ type: 'string', pattern: TEXT_PATTERN, minLength, maxLength }),
  nullable: (schema: JsonSchema): JsonSchema => ({ anyOf: [schema, { type: 'null' }] }),
} as const;

const V = FEED_VALUES;

/** An object with exactly these properties, every one required unless listed as optional. */
export function record(properties: Record<string, JsonSchema>, optional: string[] = []): JsonSchema {
  return {
    type: 'object',
    properties,
    required: Object.keys(properties).filter((name) => !optional.includes(name)),
    additionalProperties: false,
  };
}

/**
 * The schema of a type's CURRENT version: its properties are checked against the event's
 * interface, so a field added to the interface does not compile until its schema has it (in a new
 * version: the schemas of older versions are plain `record`s and never change).
 */
export function currentRecord<Data>(properties: { [Field in keyof Required<Data>]: JsonSchema }, optional: Array<keyof Data & string> = []): JsonSchema {
  return record(properties, optional);
}

export interface FeedEventEntry {
  /** One line for the AsyncAPI message's summary. */
  summary: string;
  /** The `data` schema of each schema version (metadata.schema_version). */
  versions: Record<number, JsonSchema>;
}
