/**
 * The analytics feed against its contract, with the real pieces: a ledger (short event timeout,
 * so an event expires by itself), the achievements service, the projector's feed and a gateway,
 * on PostgreSQL and JetStream of this test's own. A flow through the HTTP API touches every
 * public event type; then every message of the stream is validated with ajv against the schema
 * of its type and version in the AsyncAPI document the gateway serves at /docs/asyncapi.json (a
 * message with no schema fails), and no internal event, and no key hash, is on the stream.
 */
import type { INestMicroservice } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { connect, JSONCodec } from 'nats';
import type { Pool } from 'pg';
import { contextOf, EVENT_SCHEMA_VERSIONS, INTERNAL_EVENT_TYPES, isPublicEventType, PUBLIC_EVENT_TYPES, subjects, type EventEnvelope } from '@coffer/contracts';
import { createTestDatabase, dropTestStreams, eventually, testNatsPrefix, testNatsUrl, type TestDatabase } from '@coffer/testing';
import { startAchievements } from '../../achievements/test/achievements-harness';
import { startLedger } from '../../ledger/test/ledger-harness';
import { sha256Hex } from '../src/auth/api-keys';
import type { Answer } from './api-client';
import { ADMIN_TOKEN, api, newIdempotencyKey, startGateway, startProjector, untilServing } from './gateway-harness';

jest.setTimeout(120000);

const INTERNAL_TYPES: readonly string[] = INTERNAL_EVENT_TYPES;

interface AsyncApiDocument {
  asyncapi: string;
  info: { title: string; version: string };
  channels: Record<string, { address: string; messages: Record<string, { $ref: string }> }>;
  components: { messages: Record<string, { name: string; payload: Record<string, unknown> }> };
}

describe('the analytics feed against its AsyncAPI contract', () => {
  let database: TestDatabase;
  let prefix: string;
  let gateway: NestFastifyApplication;
  let pool: Pool;
  const services: INestMicroservice[] = [];
  const apiKeys: string[] = [];

  /** Every command with an Idempotency-Key of its own: refusals are then recorded (internal events). */
  const keyed = () => ({ idempotencyKey: newIdempotencyKey() });
  const admin = () => api(gateway, ADMIN_TOKEN);
  const expectStatus = (answer: Answer<unknown>, status: number) => expect({ status: answer.status, body: answer.body }).toEqual({ status, body: status === 204 ? undefined : expect.anything() });

  beforeAll(async () => {
    database = await createTestDatabase('feed_contract');
    prefix = testNatsPrefix('feed_contract');
    const env = { databaseUrl: database.url, prefix };
    // Short enough for an event to expire within the test, long enough for the closing one to stay open on a loaded machine.
    services.push(await startLedger({ ...env, eventTimeoutSeconds: 3 }));
    services.push(await startAchievements(env));
    services.push(await startProjector(env));
    gateway = await startGateway(env);
    await untilServing(gateway);
    pool = database.pool();
  });

  afterAll(async () => {
    await gateway?.close();
    await Promise.all(services.splice(0).reverse().map((service) => service.close()));
    await pool?.end();
    await dropTestStreams(prefix);
    await database?.drop();
  });

  const REFERENCE = 'DE89370400440532013000';
  const PAYMENT = 'BANKTRANSFER-2026-7731';
  const LATER_PAYMENT = 'BANKTRANSFER-2026-8842'; // a payment is credited once: the declined round reports another

  /** Through the API, every public event type at least once, and the internal ones (keys issued and revoked, a refusal). */
  async function flow(): Promise<void> {
    const created = await admin().createApp({ name: 'Blackjack' }, keyed());
    expectStatus(created, 201);
    const { app_id: appId, api_key: apiKey } = created.reply;
    apiKeys.push(String(apiKey));
    const second = await admin().issueKey(appId, keyed());
    expectStatus(second, 201);
    apiKeys.push(String(second.reply.api_key));
    expectStatus(await admin().revokeKey(appId, second.reply.key_id, keyed()), 204);
    const app = api(gateway, String(apiKey));

    expectStatus(await admin().grant({ user_id: 'alice', amount: 1000 }, keyed()), 201); // TransactionPosted (grant)
    const bobsCredit = await app.postTransaction({ user_id: 'bob', type: 'credit', amount: 50 }, keyed());
    expectStatus(bobsCredit, 201);
    // A part of it moved back: a TransactionPosted of type reversal, with its reverses_transaction_id.
    expectStatus(await app.reverseTransaction(bobsCredit.reply.transaction_id, { amount: 5 }, keyed()), 201);
    expectStatus(await app.postTransaction({ user_id: 'alice', type: 'debit', amount: 10, description: 'a bet' }, keyed()), 201);
    expectStatus(await app.transfer({ from_user_id: 'alice', to_user_id: 'bob', amount: 20 }, keyed()), 201);
    // App settings (generous: the flow below stays within them) and an allowance's life.
    expectStatus(await admin().updateApp(appId, { currencies: ['coins'], mint_limit_per_day: { coins: 1_000_000 } }, keyed()), 200);
    expectStatus(await admin().setAllowance('coins', { amount: 5, period: 'weekly' }, keyed()), 200);
    expectStatus(await app.claimAllowance('coins', { user_id: 'carol-allowance' }, keyed()), 201);
    expectStatus(await admin().removeAllowance('coins', keyed()), 204);
    // Refused with an Idempotency-Key: recorded as CommandRefused (internal).
    expect((await app.postTransaction({ user_id: 'carol', type: 'debit', amount: 5 }, keyed())).error.code).toBe('INSUFFICIENT_FUNDS');

    // Opened, pinged, a pending debit, closed: the debit posts.
    const closing = (await app.openEvent({ description: 'hand 1' }, keyed())).reply.event_id;
    expectStatus(await app.pingEvent(closing, keyed()), 200);
    expectStatus(await app.postTransaction({ user_id: 'alice', event_id: closing, type: 'debit', amount: 5 }, keyed()), 201);
    expectStatus(await app.closeEvent(closing, keyed()), 200);
    // Opened, a pending debit, aborted: the debit is voided (reason aborted), the event aborted.
    const aborting = (await app.openEvent({ description: 'hand 2' }, keyed())).reply.event_id;
    expectStatus(await app.postTransaction({ user_id: 'alice', event_id: aborting, type: 'debit', amount: 3 }, keyed()), 201);
    expectStatus(await app.abortEvent(aborting, keyed()), 200);
    // Opened, a pending credit, no ping: expires by itself and the credit is voided.
    const expiring = (await app.openEvent(undefined, keyed())).reply.event_id;
    expectStatus(await app.postTransaction({ user_id: 'bob', event_id: expiring, type: 'credit', amount: 7 }, keyed()), 201);

    // Achievements: registered, updated, progress, unlocked (by progress and directly), reward paid.
    expectStatus(await app.registerAchievement({ key: 'two_wins', name: 'Two wins', goal: 2, reward: { amount: '25' } }, keyed()), 201);
    expectStatus(await app.updateAchievement('two_wins', { name: 'Two Wins', hidden: true }, keyed()), 200);
    // Refused with an Idempotency-Key: recorded as AchievementCommandRefused (internal).
    expectStatus(await app.registerAchievement({ key: 'two_wins', name: 'Another', goal: 3 }, keyed()), 409);
    expectStatus(await app.recordProgress('two_wins', { user_id: 'alice', increment: 1 }, keyed()), 200);
    expectStatus(await app.recordProgress('two_wins', { user_id: 'alice', increment: 1 }, keyed()), 200);
    expectStatus(await app.registerAchievement({ key: 'hello', name: 'Hello', description: 'Said hello' }, keyed()), 201);
    expectStatus(await app.unlock('hello', { user_id: 'bob' }, keyed()), 200);
    // A reward beyond the app's daily mint limit (1,000,000 above): withheld for the next day.
    expectStatus(await app.registerAchievement({ key: 'jackpot', name: 'Jackpot', reward: { amount: '2000000' } }, keyed()), 201);
    expectStatus(await app.unlock('jackpot', { user_id: 'carol' }, keyed()), 200);

    // Withdrawals and deposits: an account linked and unlinked (internal), each requested, accepted and declined.
    const account = (await app.linkExternalAccount('alice', { kind: 'bank', label: 'savings', reference: REFERENCE }, keyed())).reply.external_account_id;
    const spare = (await app.linkExternalAccount('alice', { kind: 'paypal', label: 'spare', reference: 'alice@example.org' }, keyed())).reply.external_account_id;
    expectStatus(await app.unlinkExternalAccount('alice', spare, keyed()), 204);
    for (const decide of ['accept', 'decline'] as const) {
      const withdrawal = (await app.requestWithdrawal({ user_id: 'alice', amount: 30, external_account_id: account }, keyed())).reply.withdrawal_id;
      const deposit = (await app.requestDeposit({ user_id: 'alice', amount: 40, external_account_id: account, reference: decide === 'accept' ? PAYMENT : LATER_PAYMENT }, keyed())).reply.deposit_id;
      if (decide === 'accept') {
        expectStatus(await admin().acceptWithdrawal(withdrawal, keyed()), 200);
        expectStatus(await admin().acceptDeposit(deposit, keyed()), 200);
      } else {
        expectStatus(await admin().declineWithdrawal(withdrawal, { reason: 'account closed' }, keyed()), 200);
        expectStatus(await admin().declineDeposit(deposit, { reason: 'no such payment' }, keyed()), 200);
      }
    }

    const expired = async () => {
      const read = await app.event(expiring);
      return read.status === 200 && read.reply.status === 'expired';
    };
    await eventually(expired, 'the event to expire', 15000);
  }

  /** Every message of the feed's stream, once the feed holds every public event of the store. */
  async function feedMessages(): Promise<Array<{ subject: string; raw: string; envelope: EventEnvelope }>> {
    const publicInStore = async () =>
      (await pool.query('SELECT count(*)::int AS n FROM coffer_es.events WHERE type = ANY($1)', [PUBLIC_EVENT_TYPES])).rows[0].n as number;
    const nc = await connect({ servers: testNatsUrl() });
    try {
      const jsm = await nc.jetstreamManager();
      const stream = subjects(prefix).eventsStream;
      const inStream = async () => (await jsm.streams.info(stream).catch(() => null))?.state.messages ?? -1;
      // The reward is paid (or withheld) after the unlock, by the achievements service's reactor.
      for (const type of ['RewardGranted', 'RewardWithheld']) {
        await eventually(async () => (await pool.query(`SELECT 1 FROM coffer_es.events WHERE type = $1`, [type])).rowCount === 1, type);
      }
      await eventually(async () => (await inStream()) === (await publicInStore()), 'the feed to hold every public event');
      const info = await jsm.streams.info(stream);
      const out = [];
      for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
        const message = await jsm.streams.getMessage(stream, { seq });
        const raw = new TextDecoder().decode(message.data);
        out.push({ subject: message.subject, raw, envelope: JSONCodec<EventEnvelope>().decode(message.data) });
      }
      return out;
    } finally {
      await nc.close();
    }
  }

  it('publishes every public event type, each message valid against its schema in /docs/asyncapi.json, and nothing internal', async () => {
    await flow();
    const messages = await feedMessages();

    const served = await api(gateway).asyncApi(); // public: no credentials
    expect(served.status).toBe(200);
    expect(served.headers['content-type']).toMatch(/^application\/json/);
    const document = served.reply as AsyncApiDocument;
    expect(document.asyncapi).toBe('3.0.0');

    // The validators come from the served document: channel by address, message by type and version.
    const ajv = new Ajv({ allErrors: true, strict: true });
    addFormats(ajv);
    const validators = new Map<string, ValidateFunction>();
    for (const channel of Object.values(document.channels)) {
      for (const ref of Object.values(channel.messages)) {
        const name = ref.$ref.replace('#/components/messages/', '');
        const version = Number(/V(\d+)$/.exec(name)![1]);
        validators.set(`${channel.address} v${version}`, ajv.compile(document.components.messages[name].payload));
      }
    }

    const problems: string[] = [];
    for (const { subject, envelope } of messages) {
      const { type, metadata } = envelope;
      const validate = validators.get(`${subject} v${metadata.schema_version}`);
      if (!validate) problems.push(`${type} v${metadata.schema_version} on ${subject}: no schema`);
      else if (!validate(envelope)) problems.push(`${type} on ${subject}: ${ajv.errorsText(validate.errors)}`);
      if (isPublicEventType(type)) expect(subject).toBe(subjects(prefix).event(contextOf(type), type));
    }
    expect(problems).toEqual([]);

    const seen = new Set(messages.map(({ envelope }) => envelope.type));
    expect([...PUBLIC_EVENT_TYPES].filter((type) => !seen.has(type))).toEqual([]); // the flow touched every public type

    // The store holds the internal events, the feed none of them, nor any key's hash.
    const stored = await pool.query('SELECT DISTINCT type FROM coffer_es.events WHERE type = ANY($1)', [INTERNAL_TYPES]);
    expect(stored.rows.map((row) => row.type).sort()).toEqual([...INTERNAL_TYPES].sort());
    expect(INTERNAL_TYPES.every((type) => Object.hasOwn(EVENT_SCHEMA_VERSIONS, type))).toBe(true);
    expect(messages.filter(({ envelope }) => INTERNAL_TYPES.includes(envelope.type))).toEqual([]);
    const hashes = apiKeys.map(sha256Hex);
    expect(messages.filter(({ raw }) => raw.includes('key_hash') || hashes.some((hash) => raw.includes(hash)))).toEqual([]);
    // …nor a reference, its plain hash or its keyed one (no reference_hash field at all).
    const references = [REFERENCE, PAYMENT, LATER_PAYMENT, sha256Hex(REFERENCE), sha256Hex(PAYMENT), sha256Hex(LATER_PAYMENT)];
    expect(messages.filter(({ raw }) => raw.includes('reference_hash') || references.some((reference) => raw.includes(reference)))).toEqual([]);
    expect(Object.keys(document.channels).filter((type) => INTERNAL_TYPES.includes(type))).toEqual([]);
  });
});
