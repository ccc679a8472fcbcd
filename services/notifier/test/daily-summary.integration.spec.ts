/**
 * daily.summary over real parts (ledger, achievements, projector, gateway, notifier over
 * PostgreSQL and NATS, a receiver on a loopback socket), with the notifier's clock moved to the
 * next midnight: each app whose webhook asked for it gets the day's totals from the read models,
 * and a notifier that was down for two midnights sends both missed days, in order, once.
 */
import type { INestMicroservice } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { verifyWebhook } from '@coffer/sdk';
import { createTestDatabase, dropTestStreams, testNatsPrefix, type TestDatabase } from '@coffer/testing';
import { startAchievements } from '../../achievements/test/achievements-harness';
import { ADMIN_TOKEN, api, startGateway, startProjector, untilServing } from '../../gateway/test/gateway-harness';
import { startLedger } from '../../ledger/test/ledger-harness';
import { addDays, utcDay } from '../src/domain/days';
import { FAST_DELIVERY, startNotifier } from './notifier-harness';
import { WebhookReceiver } from './webhook-receiver';

jest.setTimeout(120_000);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
async function waitFor(what: string, done: () => boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(25);
  }
}

describe('daily.summary', () => {
  let database: TestDatabase;
  let env: { databaseUrl: string; prefix: string };
  const services: INestMicroservice[] = [];
  let notifier: INestMicroservice;
  let gateway: NestFastifyApplication;
  let receiver: WebhookReceiver;
  let now = Date.now();
  const today = utcDay(now);
  const midnightAfter = (day: string) => Date.parse(`${addDays(day, 1)}T00:00:05Z`);
  const summarising = () => startNotifier({ ...env, allowPrivate: true }, { ...FAST_DELIVERY, summaryClock: () => now, summaryIntervalMs: 100 });

  beforeAll(async () => {
    database = await createTestDatabase('notifier_summary');
    env = { databaseUrl: database.url, prefix: testNatsPrefix('notifier_summary') };
    services.push(await startLedger(env));
    services.push(await startAchievements(env));
    services.push(await startProjector(env));
    notifier = await summarising();
    gateway = await startGateway(env);
    await untilServing(gateway);
    receiver = await WebhookReceiver.start();
  });

  afterAll(async () => {
    await gateway?.close();
    await notifier?.close();
    for (const service of services.reverse()) await service.close().catch(() => undefined);
    await receiver?.close();
    await database?.drop();
    await dropTestStreams(env.prefix).catch(() => undefined);
  });

  it("sends each listening app the day's totals at the next midnight, and the missed days after a downtime", async () => {
    const admin = api(gateway, ADMIN_TOKEN);
    const newApp = async (name: string) => {
      const created = (await admin.createApp({ name })).reply;
      return { app_id: created.app_id, client: api(gateway, String(created.api_key)) };
    };
    const [alpha, beta, quiet] = [await newApp('Alpha'), await newApp('Beta'), await newApp('Quiet')];
    const alphaHook = (await alpha.client.createWebhook({ url: `${receiver.url}/alpha`, events: ['daily.summary'] })).reply;
    const betaHook = (await beta.client.createWebhook({ url: `${receiver.url}/beta`, events: ['*'] })).reply;
    await quiet.client.createWebhook({ url: `${receiver.url}/quiet`, events: ['transaction.posted'] }).then((r) => r.reply);

    await admin.grant({ user_id: 'u2', amount: 10 }).then((r) => r.reply);
    await alpha.client.postTransaction({ user_id: 'u1', type: 'credit', amount: 5 }).then((r) => r.reply);
    await alpha.client.postTransaction({ user_id: 'u2', type: 'debit', amount: 2 }).then((r) => r.reply);
    await alpha.client.registerAchievement({ key: 'won', name: 'Won' }).then((r) => r.reply);
    await alpha.client.unlock('won', { user_id: 'u1' }).then((r) => r.reply);
    await quiet.client.postTransaction({ user_id: 'u3', type: 'credit', amount: 1 }).then((r) => r.reply);

    now = midnightAfter(today);
    const summaries = (path: string) => receiver.at(path).filter((r) => JSON.parse(r.body).type === 'daily.summary');
    await waitFor("today's summaries", () => summaries('/alpha').length >= 1 && summaries('/beta').length >= 1);
    const alphaDay = await verifyWebhook(summaries('/alpha')[0].body, summaries('/alpha')[0].headers['coffer-signature'] as string, alphaHook.secret);
    expect(alphaDay).toMatchObject({
      type: 'daily.summary',
      occurred_at: `${addDays(today, 1)}T00:00:00.000Z`,
      data: {
        day: today,
        app_id: alpha.app_id,
        totals: [{ currency: 'coins', minted: '5', absorbed: '2', transferred: '0' }],
        active_users: 2,
        unlocks: 1,
      },
    });
    const betaDay = await verifyWebhook(summaries('/beta')[0].body, summaries('/beta')[0].headers['coffer-signature'] as string, betaHook.secret);
    expect(betaDay.data).toEqual({ day: today, app_id: beta.app_id, totals: [], active_users: 0, unlocks: 0 });
    // The app whose webhook did not ask for summaries gets none (only its credit).
    expect(receiver.at('/quiet').map((r) => JSON.parse(r.body).type)).toEqual(['transaction.posted']);

    // Down across two midnights: both days come when it is back, in order, and today's not again.
    await notifier.close();
    now = midnightAfter(addDays(today, 2));
    notifier = await summarising();
    await waitFor('the two missed days', () => summaries('/alpha').length >= 3 && summaries('/beta').length >= 3);
    await sleep(500);
    const days = (path: string) => summaries(path).map((r) => JSON.parse(r.body).data.day);
    expect(days('/alpha')).toEqual([today, addDays(today, 1), addDays(today, 2)]);
    expect(days('/beta')).toEqual([today, addDays(today, 1), addDays(today, 2)]);
    expect(JSON.parse(summaries('/alpha')[1].body).data).toMatchObject({ totals: [], active_users: 0, unlocks: 0 });
  });
});
