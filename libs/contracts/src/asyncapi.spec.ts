import { Parser } from '@asyncapi/parser';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { feedAsyncApiDocument, feedMessageName } from './asyncapi';
import { contextOf, EVENT_SCHEMA_VERSIONS, type DomainEventType } from './events';
import { FEED_EVENTS, feedDataSchema, INTERNAL_EVENT_TYPES, feedMessageSchema, isPublicEventType, PUBLIC_EVENT_TYPES } from './events/schemas';
import { subjects } from './subjects';

type Doc = {
  channels: Record<string, { address: string; messages: Record<string, { $ref: string }> }>;
  operations: Record<string, { action: string; channel: { $ref: string }; messages: Array<{ $ref: string }> }>;
  components: { messages: Record<string, { payload: Record<string, unknown> }> };
};

describe("the feed's AsyncAPI document", () => {
  const document = feedAsyncApiDocument({ prefix: 'my-app' }) as unknown as Doc;

  it('is a valid AsyncAPI 3.0 document for the official parser (offline: every reference is inside it)', async () => {
    const { document: parsed, diagnostics } = await new Parser().parse(JSON.stringify(document));
    const errors = diagnostics.filter((diagnostic) => diagnostic.severity === 0).map((d) => `${d.path.join('.')}: ${d.message}`);
    expect(errors).toEqual([]);
    expect(parsed?.version()).toBe('3.0.0');
    expect(parsed?.channels().all().map((channel) => channel.address()).sort()).toEqual(
      PUBLIC_EVENT_TYPES.map((type) => subjects('my-app').event(contextOf(type), type)).sort(),
    );
    for (const channel of parsed!.channels().all()) {
      expect(channel.messages().all().length).toBeGreaterThan(0);
      for (const message of channel.messages().all()) expect(message.payload()?.type()).toBe('object');
    }
  });

  it('has a channel per public type on its feed subject, a message per version with a payload ajv compiles, a receive operation each', () => {
    const ajv = new Ajv({ strict: true });
    addFormats(ajv);
    expect(Object.keys(document.channels).sort()).toEqual([...PUBLIC_EVENT_TYPES].sort());
    for (const type of PUBLIC_EVENT_TYPES) {
      const channel = document.channels[type];
      expect(channel.address).toBe(`my-app.events.${contextOf(type)}.${type}`);
      const versions = Object.keys(FEED_EVENTS[type].versions).map(Number);
      expect(Object.keys(channel.messages)).toEqual(versions.map((version) => feedMessageName(type, version)));
      for (const name of Object.keys(channel.messages)) {
        expect(channel.messages[name]).toEqual({ $ref: `#/components/messages/${name}` });
        expect(() => ajv.compile(document.components.messages[name].payload)).not.toThrow();
      }
      const operation = document.operations[`receive${type}`];
      expect(operation).toMatchObject({ action: 'receive', channel: { $ref: `#/channels/${type}` } });
      expect(operation.messages).toEqual(Object.keys(channel.messages).map((name) => ({ $ref: `#/channels/${type}/messages/${name}` })));
    }
  });

  it('names the stream and how to resume', () => {
    const description = (feedAsyncApiDocument({ prefix: 'my-app' }) as { info: { description: string } }).info.description;
    expect(description).toContain('`MY_APP_EVENTS`');
    expect(description).toMatch(/global_position/);
  });
});

describe("the feed's event schemas", () => {
  it('has one for the current version of every public type, and none for an internal one', () => {
    const internal: readonly string[] = INTERNAL_EVENT_TYPES;
    for (const type of Object.keys(EVENT_SCHEMA_VERSIONS) as DomainEventType[]) {
      if (internal.includes(type)) expect(isPublicEventType(type)).toBe(false);
      else expect(feedDataSchema(type, EVENT_SCHEMA_VERSIONS[type])).toBeDefined();
    }
    expect(JSON.stringify(FEED_EVENTS)).not.toMatch(/key_hash/);
  });

  it('checks a message: type and version fixed, data exact, amounts as decimal strings', () => {
    const ajv = new Ajv({ strict: true });
    addFormats(ajv);
    const validate = ajv.compile(feedMessageSchema('RewardGranted', 1));
    const message = {
      id: '0b3c6f5e-4f0a-4d55-9a39-6f1f1f7e2a10',
      type: 'RewardGranted',
      stream: 'achievements-app_1',
      stream_position: '3',
      global_position: '18446744073709551615',
      occurred_at: '2026-11-30T12:00:00.000Z',
      data: {
        unlock_id: 'app_1:wins:alice',
        app_id: 'app_1',
        key: 'wins',
        user_id: 'alice',
        transaction_id: 7,
        amount: '25',
        currency: 'coins',
        granted_at: '2026-11-30T12:00:00.000Z',
      },
      metadata: { schema_version: 1, correlation_id: 'c', causation_id: null, app_id: 'app_1', key_id: 'k1', request_hash: 'h' },
    };
    expect(validate(message)).toBe(true);
    expect(validate({ ...message, type: 'AchievementUnlocked' })).toBe(false);
    expect(validate({ ...message, metadata: { ...message.metadata, schema_version: 2 } })).toBe(false);
    expect(validate({ ...message, data: { ...message.data, amount: 25 } })).toBe(false);
    expect(validate({ ...message, data: { ...message.data, extra: true } })).toBe(false);
    expect(() => feedMessageSchema('RewardGranted', 99)).toThrow(/no schema for RewardGranted v99/);
  });
});
