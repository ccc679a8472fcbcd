/**
 * `withdrawal.updated` and `deposit.updated` over real parts (a gateway, a ledger and the notifier
 * over PostgreSQL and NATS, a receiver on a loopback socket): the app that asked for a withdrawal
 * or a deposit hears it requested and then decided by the admin, signed and in order, as the API
 * answers it and without the account's reference; another app, even one hearing `*`, hears
 * nothing of it.
 */
import type { INestMicroservice } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { verifyWebhook } from '@coffer/sdk';
import { createTestDatabase, dropTestStreams, testNatsPrefix, type TestDatabase } from '@coffer/testing';
import { ADMIN_TOKEN, api, startGateway, untilServing } from '../../gateway/test/gateway-harness';
import { startLedger } from '../../ledger/test/ledger-harness';
import { startNotifier } from './notifier-harness';
import { WebhookReceiver } from './webhook-receiver';

jest.setTimeout(120_000);

const REFERENCE = 'DE89370400440532013000';
const PAYMENT = 'BANKTRANSFER-2026-7731';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
async function waitFor(what: string, done: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(25);
  }
}

describe('withdrawal.updated and deposit.updated over the real stack', () => {
  let database: TestDatabase;
  let env: { databaseUrl: string; prefix: string };
  let ledger: INestMicroservice;
  let notifier: INestMicroservice;
  let gateway: NestFastifyApplication;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    database = await createTestDatabase('notifier_withdrawals');
    env = { databaseUrl: database.url, prefix: testNatsPrefix('notifier_withdrawals') };
    ledger = await startLedger(env);
    notifier = await startNotifier({ ...env, allowPrivate: true });
    gateway = await startGateway(env);
    await untilServing(gateway);
    receiver = await WebhookReceiver.start();
  });

  afterAll(async () => {
    await gateway?.close();
    await notifier?.close();
    await ledger?.close().catch(() => undefined);
    await receiver?.close();
    await database?.drop();
    await dropTestStreams(env.prefix).catch(() => undefined);
  });

  const newApp = async (name: string) => {
    const created = (await api(gateway, ADMIN_TOKEN).createApp({ name })).reply;
    return { app_id: created.app_id, client: api(gateway, String(created.api_key)) };
  };
  /** The 2xx-answered bodies at a path, each verified with the webhook's secret (throws on a bad signature). */
  const delivered = async (path: string, secret: string) => {
    const out: Array<{ id: string; type: string; data: Record<string, unknown> }> = [];
    for (const each of receiver.at(path).filter((r) => r.status < 300)) {
      out.push((await verifyWebhook(each.body, each.headers['coffer-signature'] as string, secret)) as (typeof out)[number]);
    }
    return out;
  };

  it('tells the asking app its withdrawal requested, accepted and declined, in order and signed; another app nothing', async () => {
    const admin = api(gateway, ADMIN_TOKEN);
    const cashier = await newApp('Cashier');
    const other = await newApp('Other');
    const hook = (await cashier.client.createWebhook({ url: `${receiver.url}/cashier`, events: ['withdrawal.updated'] })).reply;
    const otherHook = (await other.client.createWebhook({ url: `${receiver.url}/other`, events: ['*'] })).reply;
    expect([hook.secret, otherHook.secret]).toEqual([expect.stringMatching(/^whsec_/), expect.stringMatching(/^whsec_/)]);

    await admin.grant({ user_id: 'payee', amount: 100 });
    const account = (await cashier.client.linkExternalAccount('payee', { kind: 'bank', label: 'savings', reference: REFERENCE })).reply.external_account_id;
    const first = await cashier.client.requestWithdrawal({ user_id: 'payee', amount: 40, external_account_id: account });
    expect(first.status).toBe(201);
    const accepted = await admin.acceptWithdrawal(first.reply.withdrawal_id);
    expect(accepted.status).toBe(200);
    const second = (await cashier.client.requestWithdrawal({ user_id: 'payee', amount: 5, external_account_id: account })).reply;
    const declined = await admin.declineWithdrawal(second.withdrawal_id, { reason: 'account closed' });
    expect(declined.status).toBe(200);
    // After all of that, the other app's own credit: once it is delivered, anything of the
    // cashier's that reached the other webhook would have come before it (in order per webhook).
    await other.client.postTransaction({ user_id: 'someone', type: 'credit', amount: 7 }).then((r) => r.reply);

    await waitFor('the cashier’s four updates', async () => (await delivered('/cashier', hook.secret)).length >= 4);
    await waitFor('the other app’s credit', async () => (await delivered('/other', otherHook.secret)).length >= 1);
    const got = await delivered('/cashier', hook.secret);
    expect(got.map((d) => [d.type, d.data.withdrawal_id, d.data.status])).toEqual([
      ['withdrawal.updated', first.reply.withdrawal_id, 'waiting_for_verification'],
      ['withdrawal.updated', first.reply.withdrawal_id, 'accepted'],
      ['withdrawal.updated', second.withdrawal_id, 'waiting_for_verification'],
      ['withdrawal.updated', second.withdrawal_id, 'declined'],
    ]);
    // Each is the withdrawal exactly as the API answered it at that step.
    expect(got.map((d) => d.data)).toEqual([first.reply, accepted.reply, second, declined.reply]);
    expect(got[3].data).toMatchObject({ user_id: 'payee', amount: '5', currency: 'coins', external_account_id: account, reason: 'account closed', decided_at: expect.any(String) });
    expect(new Set(got.map((d) => d.id)).size).toBe(4);
    for (const each of receiver.at('/cashier')) expect(each.body).not.toMatch(/reference|3000"|DE8937/);

    const otherGot = await delivered('/other', otherHook.secret);
    expect(otherGot.map((d) => [d.type, d.data.app_id])).toEqual([['transaction.posted', other.app_id]]);
  });

  it('tells the asking app its deposit requested and accepted as deposit.updated, with the payment reference’s last 4 only', async () => {
    const admin = api(gateway, ADMIN_TOKEN);
    const shop = await newApp('Shop');
    const other = await newApp('Bystander');
    const hook = (await shop.client.createWebhook({ url: `${receiver.url}/shop`, events: ['deposit.updated'] })).reply;
    const otherHook = (await other.client.createWebhook({ url: `${receiver.url}/bystander`, events: ['*'] })).reply;
    const account = (await shop.client.linkExternalAccount('buyer', { kind: 'bank', label: 'card', reference: REFERENCE })).reply.external_account_id;
    const requested = await shop.client.requestDeposit({ user_id: 'buyer', amount: 25, external_account_id: account, reference: PAYMENT });
    expect(requested.status).toBe(201);
    const accepted = await admin.acceptDeposit(requested.reply.deposit_id);
    expect(accepted.status).toBe(200);
    // A withdrawal of the same app: not what this webhook asked for.
    await shop.client.requestWithdrawal({ user_id: 'buyer', amount: 5, external_account_id: account }).then((r) => r.reply);
    await other.client.postTransaction({ user_id: 'someone', type: 'credit', amount: 7 }).then((r) => r.reply);

    await waitFor('the shop’s two updates', async () => (await delivered('/shop', hook.secret)).length >= 2);
    await waitFor('the bystander’s credit', async () => (await delivered('/bystander', otherHook.secret)).length >= 1);
    const got = await delivered('/shop', hook.secret);
    expect(got.map((d) => [d.type, d.data.status])).toEqual([
      ['deposit.updated', 'waiting_for_verification'],
      ['deposit.updated', 'accepted'],
    ]);
    expect(got.map((d) => d.data)).toEqual([requested.reply, accepted.reply]);
    expect(got[1].data).toMatchObject({ reference_last4: '7731', decided_at: expect.any(String), reason: null });
    for (const each of receiver.at('/shop')) expect(each.body).not.toMatch(/BANKTRANSFER|DE8937/);
    expect((await delivered('/bystander', otherHook.secret)).map((d) => d.type)).toEqual(['transaction.posted']);
    // The bystander's credit came after the withdrawal in the store, so the outbox holds all the
    // shop's webhook will ever get of them: the two deposit updates, not the withdrawal.
    expect((await shop.client.deliveries(hook.webhook_id)).reply.data.map((d) => d.type)).toEqual(['deposit.updated', 'deposit.updated']);
  });
});
