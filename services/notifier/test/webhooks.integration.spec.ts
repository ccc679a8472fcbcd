/**
 * Webhooks end to end over real parts: a gateway, a ledger, the achievements service and the
 * notifier over PostgreSQL and NATS, delivering to a receiver on a real loopback socket. A
 * delivery answered 500 comes again, signed (checked with @coffer/sdk's verifyWebhook), in the
 * order things happened, and each app hears only its own; a notifier restarted mid-retry loses
 * nothing and doubles nothing.
 */
import type { INestMicroservice } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { verifyWebhook } from '@coffer/sdk';
import { createTestDatabase, dropTestStreams, testNatsPrefix, type TestDatabase } from '@coffer/testing';
import { startAchievements } from '../../achievements/test/achievements-harness';
import { ADMIN_TOKEN, api, startGateway, untilServing, type RegisteredApp } from '../../gateway/test/gateway-harness';
import type { ApiClient } from '../../gateway/test/api-client';
import { startLedger } from '../../ledger/test/ledger-harness';
import { Client } from 'pg';
import { NOTIFIER_SCHEMA } from '../src/store/schema';
import { FAST_DELIVERY, startNotifier } from './notifier-harness';
import { WebhookReceiver, type Received } from './webhook-receiver';

jest.setTimeout(120_000);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
async function waitFor(what: string, done: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(25);
  }
}

interface Delivered {
  id: string;
  type: string;
  occurred_at: string;
  data: Record<string, unknown>;
}

describe('webhooks over the real stack', () => {
  let database: TestDatabase;
  let env: { databaseUrl: string; prefix: string };
  const services: INestMicroservice[] = [];
  let notifier: INestMicroservice;
  let gateway: NestFastifyApplication;
  let receiver: WebhookReceiver;
  let alpha: RegisteredApp & { client: ApiClient };
  let beta: RegisteredApp & { client: ApiClient };
  let alphaHook: { webhook_id: number; secret: string };
  let betaHook: { webhook_id: number; secret: string };

  const newApp = async (name: string) => {
    const created = (await api(gateway, ADMIN_TOKEN).createApp({ name })).reply;
    return { app_id: created.app_id, key_id: created.key_id, api_key: String(created.api_key), client: api(gateway, String(created.api_key)) };
  };

  /** What a receiver accepted (2xx) at a path, each verified with the webhook's secret. */
  const accepted = async (path: string, secret: string): Promise<Delivered[]> => {
    const out: Delivered[] = [];
    for (const each of receiver.at(path).filter((r) => r.status < 300)) out.push((await verify(each, secret)) as Delivered);
    return out;
  };
  const verify = (each: Received, secret: string) => verifyWebhook(each.body, each.headers['coffer-signature'] as string, secret);

  beforeAll(async () => {
    database = await createTestDatabase('notifier_webhooks');
    env = { databaseUrl: database.url, prefix: testNatsPrefix('notifier_webhooks') };
    services.push(await startLedger({ ...env, eventTimeoutSeconds: 2 }));
    services.push(await startAchievements(env));
    notifier = await startNotifier({ ...env, allowPrivate: true });
    gateway = await startGateway(env);
    await untilServing(gateway);
    receiver = await WebhookReceiver.start();
    alpha = await newApp('Alpha');
    beta = await newApp('Beta');
  });

  afterAll(async () => {
    await gateway?.close();
    await notifier?.close();
    for (const service of services.reverse()) await service.close().catch(() => undefined);
    await receiver?.close();
    await database?.drop();
    await dropTestStreams(env.prefix).catch(() => undefined);
  });

  it('registers webhooks, showing the secret once, and lists only the app’s own without secrets', async () => {
    const a = await alpha.client.createWebhook({ url: `${receiver.url}/alpha`, events: ['*'] }, { idempotencyKey: 'hook-alpha' });
    expect(a.status).toBe(201);
    expect(a.reply).toEqual({ webhook_id: expect.any(Number), url: `${receiver.url}/alpha`, events: ['*'], secret: expect.stringMatching(/^whsec_/), created_at: expect.any(String) });
    alphaHook = a.reply;
    // The same key and body: the first answer again; another body: refused.
    const again = await alpha.client.createWebhook({ url: `${receiver.url}/alpha`, events: ['*'] }, { idempotencyKey: 'hook-alpha' });
    expect(again.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.reply).toEqual(a.reply);
    const reused = await alpha.client.createWebhook({ url: `${receiver.url}/other`, events: ['*'] }, { idempotencyKey: 'hook-alpha' });
    expect([reused.status, reused.errorCode]).toEqual([422, 'IDEMPOTENCY_KEY_REUSED']);

    const b = await beta.client.createWebhook({ url: `${receiver.url}/beta`, events: ['transaction.posted'] });
    expect(b.status).toBe(201);
    betaHook = b.reply;

    const listed = (await alpha.client.webhooks()).reply;
    expect(listed.data).toEqual([{ webhook_id: alphaHook.webhook_id, url: `${receiver.url}/alpha`, events: ['*'], created_at: expect.any(String) }]);
    expect(JSON.stringify(listed)).not.toContain('whsec_');
    // Another app's webhook is nobody's to see or delete.
    expect((await beta.client.deliveries(alphaHook.webhook_id)).status).toBe(404);
    expect((await beta.client.deleteWebhook(alphaHook.webhook_id)).status).toBe(404);
  });

  it('delivers a failed first delivery again, signed, in order, and each app only its own', async () => {
    receiver.plan = (delivery, index) => (delivery.path === '/alpha' && receiver.at('/alpha').length === 0 && index >= 0 ? 500 : 200);
    await api(gateway, ADMIN_TOKEN).grant({ user_id: 'player-1', amount: 100 }); // the admin's: nobody's webhook
    const round = (await alpha.client.openEvent()).reply;
    await alpha.client.postTransaction({ user_id: 'player-1', event_id: round.event_id, type: 'debit', amount: 10 }).then((r) => r.reply);
    await alpha.client.closeEvent(round.event_id).then((r) => r.reply);
    await alpha.client.postTransaction({ user_id: 'player-1', type: 'credit', amount: 3 }).then((r) => r.reply);
    await beta.client.postTransaction({ user_id: 'player-2', type: 'credit', amount: 7 }).then((r) => r.reply);
    const lost = (await alpha.client.openEvent()).reply;
    await alpha.client.postTransaction({ user_id: 'player-1', event_id: lost.event_id, type: 'debit', amount: 4 }).then((r) => r.reply);
    // No ping: the event expires after 2 s and its debit is voided.
    await waitFor('the expiry', () => receiver.received.some((r) => JSON.parse(r.body).type === 'event.expired'));
    await alpha.client.registerAchievement({ key: 'first_win', name: 'First win' }).then((r) => r.reply);
    await alpha.client.unlock('first_win', { user_id: 'player-1' }).then((r) => r.reply);

    await waitFor('alpha’s five notifications', async () => (await accepted('/alpha', alphaHook.secret)).length >= 5);
    await waitFor('beta’s one', async () => (await accepted('/beta', betaHook.secret)).length >= 1);
    const alphaGot = await accepted('/alpha', alphaHook.secret);
    // The debit closed with its round, the credit, the void, the expiry, the unlock: as they happened.
    expect(alphaGot.map((d) => [d.type, d.data.event_id ?? null, d.data.amount ?? null])).toEqual([
      ['transaction.posted', round.event_id, '10'],
      ['transaction.posted', null, '3'],
      ['transaction.voided', lost.event_id, '4'],
      ['event.expired', lost.event_id, null],
      ['achievement.unlocked', null, null],
    ]);
    expect(alphaGot[4].data).toMatchObject({ app_id: alpha.app_id, key: 'first_win', user_id: 'player-1' });
    expect(alphaGot.every((d) => d.data.app_id === undefined || d.data.app_id === alpha.app_id)).toBe(true);
    // The first was refused once and came again: same event id, a delivery id, a fresh signature.
    const tries = receiver.at('/alpha');
    expect(tries[0].status).toBe(500);
    expect(JSON.parse(tries[1].body).id).toBe(JSON.parse(tries[0].body).id);
    expect(tries[1].headers['coffer-delivery-id']).toBe(tries[0].headers['coffer-delivery-id']);
    // Beta hears its own credit only: not Alpha's transactions, not the grant.
    const betaGot = await accepted('/beta', betaHook.secret);
    expect(betaGot.map((d) => [d.type, d.data.app_id, d.data.amount])).toEqual([['transaction.posted', beta.app_id, '7']]);
    // A body signed with another webhook's secret does not verify.
    await expect(verify(receiver.at('/beta')[0], alphaHook.secret)).rejects.toThrow();

    const log = (await alpha.client.deliveries(alphaHook.webhook_id)).reply;
    expect(log.data.map((d) => d.type)).toEqual(['achievement.unlocked', 'event.expired', 'transaction.voided', 'transaction.posted', 'transaction.posted']);
    expect(log.data.every((d) => d.status === 'delivered' && d.response_code === 200 && d.next_attempt_at === null)).toBe(true);
    expect(log.data[4]).toMatchObject({ attempts: 2, event_id: alphaGot[0].id });
    // Paged with a cursor.
    const first = (await alpha.client.deliveries(alphaHook.webhook_id, { limit: 2 })).reply;
    const second = (await alpha.client.deliveries(alphaHook.webhook_id, { limit: 2, cursor: String(first.next_cursor) })).reply;
    expect([...first.data, ...second.data].map((d) => d.delivery_id)).toEqual(log.data.slice(0, 4).map((d) => d.delivery_id));
  });

  it('loses and doubles nothing when the notifier restarts in the middle of retrying', async () => {
    let down = true;
    receiver.plan = (delivery) => (delivery.path === '/alpha' && down ? 503 : 200);
    const before = receiver.at('/alpha').length;
    const amounts = [21, 22, 23];
    for (const amount of amounts) await alpha.client.postTransaction({ user_id: 'player-1', type: 'credit', amount }).then((r) => r.reply);
    // Mid-retry: the first of them has failed at least twice, the others wait behind it.
    await waitFor('two failed attempts', async () => {
      const head = (await alpha.client.deliveries(alphaHook.webhook_id, { limit: 3 })).reply.data[2];
      return head?.attempts >= 2 && head.status === 'pending';
    });
    const waiting = (await alpha.client.deliveries(alphaHook.webhook_id, { limit: 3 })).reply.data;
    expect(waiting.map((d) => [d.status, d.response_code])).toEqual([['pending', null], ['pending', null], ['pending', 503]]);
    expect(waiting[2].next_attempt_at).not.toBeNull();
    expect(receiver.at('/alpha').slice(before).every((r) => r.status === 503 && JSON.parse(r.body).data.amount === '21')).toBe(true);

    await notifier.close();
    down = false;
    notifier = await startNotifier({ ...env, allowPrivate: true });
    await waitFor('the three credits', () => receiver.at('/alpha').slice(before).filter((r) => r.status === 200).length >= 3);
    await sleep(500); // nothing more should come
    const got = receiver.at('/alpha').slice(before).filter((r) => r.status === 200);
    expect(got.map((r) => JSON.parse(r.body).data.amount)).toEqual(['21', '22', '23']);
    expect(new Set(got.map((r) => JSON.parse(r.body).id)).size).toBe(3);
    const log = (await alpha.client.deliveries(alphaHook.webhook_id, { limit: 3 })).reply.data;
    expect(log.map((d) => d.status)).toEqual(['delivered', 'delivered', 'delivered']);
  });

  it('delivers once with a second notifier on the same database, which takes over when the first stops', async () => {
    const standby = await startNotifier({ ...env, allowPrivate: true });
    try {
      receiver.plan = () => 200;
      const before = receiver.at('/alpha').length;
      for (const amount of [31, 32, 33]) await alpha.client.postTransaction({ user_id: 'player-1', type: 'credit', amount }).then((r) => r.reply);
      await waitFor('three credits', () => receiver.at('/alpha').length - before >= 3);
      await notifier.close(); // the standby delivers from now on
      notifier = standby;
      for (const amount of [34, 35]) await alpha.client.postTransaction({ user_id: 'player-1', type: 'credit', amount }).then((r) => r.reply);
      await waitFor('two more', () => receiver.at('/alpha').length - before >= 5);
      await sleep(500);
      expect(receiver.at('/alpha').slice(before).map((r) => JSON.parse(r.body).data.amount)).toEqual(['31', '32', '33', '34', '35']);
    } finally {
      if (notifier !== standby) await standby.close();
    }
  });

  it(`holds an app to ${10} webhooks: the tenth registered, the eleventh refused`, async () => {
    const gamma = await newApp('Gamma');
    for (let i = 1; i <= 10; i++) expect((await gamma.client.createWebhook({ url: `${receiver.url}/gamma/${i}`, events: ['event.expired'] })).status).toBe(201);
    const beyond = await gamma.client.createWebhook({ url: `${receiver.url}/gamma/11`, events: ['event.expired'] });
    expect([beyond.status, beyond.errorCode, beyond.error.details]).toEqual([422, 'LIMIT_EXCEEDED', { limit: 'MAX_WEBHOOKS_PER_APP', maximum: 10 }]);
    // Deleting one makes room again.
    const [first] = (await gamma.client.webhooks()).reply.data;
    expect((await gamma.client.deleteWebhook(first.webhook_id)).status).toBe(204);
    expect((await gamma.client.createWebhook({ url: `${receiver.url}/gamma/11`, events: ['event.expired'] })).status).toBe(201);
  });

  it('records beyond MAX_PENDING_PER_WEBHOOK deliveries as failed at once, never holding the feed', async () => {
    await notifier.close();
    notifier = await startNotifier({ ...env, allowPrivate: true }, { ...FAST_DELIVERY, maxPendingPerWebhook: 2 });
    receiver.plan = (delivery) => (delivery.path === '/beta' ? 503 : 200);
    const earlier = new Set((await beta.client.deliveries(betaHook.webhook_id)).reply.data.map((d) => d.delivery_id));
    const fresh = async () => (await beta.client.deliveries(betaHook.webhook_id)).reply.data.filter((d) => !earlier.has(d.delivery_id));
    for (const amount of [41, 42, 43, 44]) await beta.client.postTransaction({ user_id: 'player-2', type: 'credit', amount }).then((r) => r.reply);
    let log = await fresh();
    await waitFor('four deliveries logged', async () => (log = await fresh()).length === 4);
    // Newest first: the last two found two already waiting.
    expect(log.map((d) => [d.status, d.attempts, d.error?.startsWith('not attempted') ?? false])).toEqual([
      ['failed', 0, true],
      ['failed', 0, true],
      ['pending', 0, false],
      ['pending', expect.any(Number), false],
    ]);
    receiver.plan = () => 200;
    await waitFor('the two waiting delivered', async () => (await fresh()).slice(2).every((d) => d.status === 'delivered'));
    expect(receiver.at('/beta').filter((r) => r.status === 200).map((r) => JSON.parse(r.body).data.amount).slice(-2)).toEqual(['41', '42']);
  });

  it('delivers within a fraction of a second of the write: measured over 20 posts', async () => {
    receiver.plan = () => 200;
    const latencies: number[] = [];
    for (let i = 0; i < 20; i++) {
      const before = receiver.at('/alpha').length;
      const posted = Date.now();
      await alpha.client.postTransaction({ user_id: 'player-1', type: 'credit', amount: 100 + i }).then((r) => r.reply);
      await waitFor('the delivery', () => receiver.at('/alpha').length > before, 5_000);
      latencies.push(Date.now() - posted);
    }
    latencies.sort((a, b) => a - b);
    const figures = { posts: latencies.length, p50_ms: latencies[9], p95_ms: latencies[18], max_ms: latencies[19] };
    console.log(`webhook delivery measurement: ${JSON.stringify(figures)}`);
    expect(figures.p50_ms).toBeLessThan(1_000);
  });

  it('tells an app of its aborted round (voids, reason aborted) and of reversals, the admin’s too, and forgets the aborted round’s owner', async () => {
    const gamma = await newApp('Gamma');
    const hook = (await gamma.client.createWebhook({ url: `${receiver.url}/gamma`, events: ['*'] })).reply;
    await api(gateway, ADMIN_TOKEN).grant({ user_id: 'player-3', amount: 50 });
    // One at a time: the notifier started for the MAX_PENDING test lets only 2 deliveries wait per webhook.
    const heard = (count: number) => waitFor(`gamma’s notification ${count}`, async () => (await accepted('/gamma', hook.secret)).length >= count);
    const round = (await gamma.client.openEvent()).reply;
    await gamma.client.postTransaction({ user_id: 'player-3', event_id: round.event_id, type: 'debit', amount: 6 }).then((r) => r.reply);
    expect((await gamma.client.abortEvent(round.event_id)).reply).toMatchObject({ status: 'aborted' });
    await heard(1);
    const credit = (await gamma.client.postTransaction({ user_id: 'player-3', type: 'credit', amount: 9 })).reply;
    await heard(2);
    await gamma.client.reverseTransaction(credit.transaction_id, { amount: 4 }).then((r) => r.reply);
    await heard(3);
    expect((await api(gateway, ADMIN_TOKEN).adminReverseTransaction(credit.transaction_id)).status).toBe(201);
    await heard(4);
    const got = await accepted('/gamma', hook.secret);
    expect(got.map((d) => [d.type, d.data.type, d.data.amount, d.data.reason ?? null, d.data.reverses_transaction_id])).toEqual([
      ['transaction.voided', 'debit', '6', 'aborted', null],
      ['transaction.posted', 'credit', '9', null, null],
      ['transaction.posted', 'reversal', '4', null, credit.transaction_id],
      ['transaction.posted', 'reversal', '5', null, credit.transaction_id],
    ]);
    // The owners table holds open finance events only: the aborted one is gone from it.
    const pg = new Client({ connectionString: database.url });
    await pg.connect();
    try {
      await waitFor('the aborted round’s owner forgotten', async () => {
        const { rows } = await pg.query(`SELECT 1 FROM ${NOTIFIER_SCHEMA}.finance_event_owners WHERE event_id = $1`, [round.event_id]);
        return rows.length === 0;
      });
    } finally {
      await pg.end();
    }
  });

  it('stops delivering to a deleted webhook', async () => {
    expect((await alpha.client.deleteWebhook(alphaHook.webhook_id)).status).toBe(204);
    expect((await alpha.client.webhooks()).reply.data).toEqual([]);
    expect((await alpha.client.deleteWebhook(alphaHook.webhook_id)).status).toBe(404);
    const before = receiver.at('/alpha').length;
    await alpha.client.postTransaction({ user_id: 'player-1', type: 'credit', amount: 1 }).then((r) => r.reply);
    await beta.client.postTransaction({ user_id: 'player-2', type: 'credit', amount: 2 }).then((r) => r.reply);
    await waitFor('beta’s next', () => receiver.at('/beta').length >= 2);
    expect(receiver.at('/alpha').length).toBe(before);
  });
});
