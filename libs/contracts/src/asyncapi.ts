/**
 * The analytics feed's AsyncAPI 3.0 document, generated from the contracts: one channel per public
 * event type on the subject the feed publishes it on, one message per type and schema version,
 * each message's payload the published envelope with that version's `data` schema
 * (events/schemas.ts). The gateway serves it at `GET /docs/asyncapi.json`.
 */
import { contextOf } from './events';
import { FEED_EVENTS, FEED_METADATA_SCHEMA, feedMessageSchema, PUBLIC_EVENT_TYPES, type PublicEventType } from './events/schemas';
import { subjects } from './subjects';

export interface AsyncApiOptions {
  /** COFFER_NATS_PREFIX: the subjects and the stream's name are built from it. */
  prefix: string;
  /** The document's `info.version` (the API's version). */
  version?: string;
}

/** The component (and channel-message) name of one version of a type: `TransactionPostedV1`. */
export function feedMessageName(type: PublicEventType, version: number): string {
  return `${type}V${version}`;
}

export function feedAsyncApiDocument({ prefix, version = '1' }: AsyncApiOptions): Record<string, unknown> {
  const s = subjects(prefix);
  const channels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  const messages: Record<string, unknown> = {};
  for (const type of PUBLIC_EVENT_TYPES) {
    const entry = FEED_EVENTS[type];
    const names = Object.keys(entry.versions).map((v) => feedMessageName(type, Number(v)));
    for (const v of Object.keys(entry.versions).map(Number)) {
      messages[feedMessageName(type, v)] = message(type, v, entry.summary);
    }
    channels[type] = {
      address: s.event(contextOf(type), type),
      title: type,
      summary: entry.summary,
      messages: Object.fromEntries(names.map((name) => [name, { $ref: `#/components/messages/${name}` }])),
    };
    operations[`receive${type}`] = {
      action: 'receive',
      summary: `Read ${type} events from the ${s.eventsStream} stream.`,
      channel: { $ref: `#/channels/${type}` },
      messages: names.map((name) => ({ $ref: `#/channels/${type}/messages/${name}` })),
    };
  }
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Coffer analytics feed',
      version,
      description: describe(s.eventsStream, s.allEvents, s.event('ledger', 'TransactionPosted')),
    },
    defaultContentType: 'application/json',
    channels,
    operations,
    components: { messages, schemas: { EventMetadata: FEED_METADATA_SCHEMA } },
  };
}

function message(type: PublicEventType, version: number, summary: string): Record<string, unknown> {
  return {
    name: type,
    title: `${type} v${version}`,
    summary,
    contentType: 'application/json',
    headers: {
      type: 'object',
      properties: { 'Nats-Msg-Id': { type: 'string', description: "the event's id: JetStream drops a second publish of it" } },
    },
    payload: feedMessageSchema(type, version),
    correlationId: { description: 'follows one API request to every event it caused', location: '$message.payload#/metadata/correlation_id' },
  };
}

function describe(stream: string, wildcard: string, example: string): string {
  return [
    `Coffer's domain events, published by the projector to the JetStream stream \`${stream}\` on subjects`,
    `\`${wildcard.replace(/>$/, '<context>.<EventType>')}\` (for example \`${example}\`), in store order, each event once`,
    '(`Nats-Msg-Id` is the event id). Each message is the event\'s JSON envelope; `data` follows the schema of the',
    "event's type and `metadata.schema_version`.",
    '',
    '`global_position` is the event\'s position in the whole store: it only grows along the stream, so it orders',
    'events across every stream and context, deduplicates a redelivery (ignore a position at or below the last one',
    'handled), and resumes a reader: store the last position handled, and on restart skip messages up to it (or start',
    'a consumer at the stream sequence after it).',
    '',
    'A transaction in a finance event is first `TransactionPending` (held, not moved); it then posts (`EventClosed`)',
    'or is voided (`EventExpired`). A transaction outside a finance event is `TransactionPosted` at once.',
    'Internal events (writer terms, refusals, API keys) are never published on these subjects.',
  ].join('\n');
}
