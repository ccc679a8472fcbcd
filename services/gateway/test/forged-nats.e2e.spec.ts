/**
 * The whole system with someone on the NATS network who is not the gateway: the money flow
 * through HTTP works end to end, while a Grant published straight onto the ledger's subject (the
 * way 3,000,000 coins were once printed into a wallet) moves nothing, and neither does a command
 * the gateway really sent, replayed after its deadline. What the gateway puts on NATS carries the
 * caller's app and API key, signed as the gateway.
 */
import { randomUUID } from 'node:crypto';
import { connect, type Msg, type MsgHdrs, type NatsConnection } from 'nats';
import { PATTERNS, subjectOf, type RequestMeta } from '@coffer/contracts';
import { ServiceKeyring, SIGNATURE_HEADER } from '@coffer/platform';
import { testNatsUrl, testServiceKeys } from '@coffer/testing';
import { ADMIN_TOKEN, Stack, type RegisteredApp } from './gateway-harness';
import { ApiClient } from './api-client';
import { listenOnLoopback } from './http-client';

jest.setTimeout(120000);

const WALLET = 'forged-wallet';

interface Sent {
  subject: string;
  data: Uint8Array;
  headers: MsgHdrs | undefined;
  meta: RequestMeta;
  command: { type: string } | undefined;
}

describe('a forger on the NATS network', () => {
  let stack: Stack;
  let base: string;
  let app: RegisteredApp;
  let nc: NatsConnection;
  let commands: string;
  /** What the gateway published on the ledger's command subject (heard beside the ledger's queue group). */
  const heard: Sent[] = [];

  const balance = async () => {
    const answer = await ApiClient.http(base, app.api_key).balance(WALLET, { consistency: 'strong' });
    expect(answer.status).toBe(200);
    return answer.reply.balances.find((line) => line.currency === 'coins')?.posted ?? '0';
  };
  const forge = async (data: Uint8Array, headers?: MsgHdrs, subject = commands) =>
    JSON.parse(Buffer.from((await nc.request(subject, data, { timeout: 5000, headers })).data).toString('utf8'));

  beforeAll(async () => {
    stack = await Stack.start('gateway_forged');
    base = await listenOnLoopback(stack.gateway);
    commands = subjectOf(PATTERNS.ledgerCommands, stack.env.prefix);
    nc = await connect({ servers: testNatsUrl() });
    // The shared subject, and the announced writer's own, where the gateway sends once it heard it.
    for (const subject of [commands, `${commands}.*`]) {
      nc.subscribe(subject, {
        callback: (_error, msg: Msg) => {
          // The gateway sends its requests in batches (request-batch.ts): each request heard, with the message it left in.
          const parsed = JSON.parse(Buffer.from(msg.data).toString('utf8'));
          const packets = parsed.batch ? parsed.batch.map((entry: { p: unknown }) => entry.p) : [parsed];
          for (const packet of packets) {
            heard.push({ subject: msg.subject, data: msg.data, headers: msg.headers, meta: packet.data.meta, command: packet.data.body?.command });
          }
        },
      });
    }
    await nc.flush();
    app = await stack.registerApp('Forged Blackjack');
  });

  afterAll(async () => {
    await nc?.close();
    await stack?.close();
  });

  it('lets the real flow through: the admin grants and the app debits, over HTTP', async () => {
    const granted = await ApiClient.http(base, ADMIN_TOKEN).grant({ user_id: WALLET, amount: 100 });
    expect(granted.status).toBe(201);
    const debited = await ApiClient.http(base, app.api_key).postTransaction({ user_id: WALLET, type: 'debit', amount: 30 });
    expect(debited.status).toBe(201);
    expect(await balance()).toBe('70');
  });

  it("sends the caller's app and API key with every app command, signed as the gateway, and none with the admin's", () => {
    const debit = heard.find((sent) => sent.command?.type === 'PostTransaction');
    expect(debit?.meta).toMatchObject({ app_id: app.app_id, key_id: app.key_id });
    expect(debit?.headers?.get(SIGNATURE_HEADER)).toMatch(/^v1 sender=gateway,key=[^,]+,mac=[A-Za-z0-9_-]{43}$/);
    const grant = heard.find((sent) => sent.command?.type === 'Grant');
    expect(grant?.meta).toMatchObject({ app_id: null, key_id: null });
  });

  it('refuses an unsigned Grant of 3,000,000 coins published straight onto the ledger subject', async () => {
    const meta: RequestMeta = { correlation_id: randomUUID(), command_id: randomUUID(), app_id: null, key_id: null, deadline_epoch_ms: Date.now() + 5000 };
    const command = { type: 'Grant', data: { user_id: WALLET, amount: '3000000', currency: 'coins', description: null } };
    const packet = Buffer.from(JSON.stringify({ pattern: PATTERNS.ledgerCommands, data: { meta, body: { command, request_hash: null } }, id: randomUUID() }));
    expect(await forge(packet)).toMatchObject({ err: { code: 'UNAUTHENTICATED', reason: 'unsigned' } });
    expect(await balance()).toBe('70');
  });

  it("refuses the gateway's own debit, captured and replayed after its deadline", async () => {
    const debit = heard.find((sent) => sent.command?.type === 'PostTransaction')!;
    const wait = debit.meta.deadline_epoch_ms - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait + 10));
    // On the subject it was signed for: anywhere else its signature is void before its deadline is read.
    // Its batch's signature still holds, so each request of it is answered alone: past its deadline.
    const { replies } = (await forge(debit.data, debit.headers, debit.subject)) as { replies: Array<{ r: { err?: { reason?: string } } }> };
    expect(replies.length).toBeGreaterThan(0);
    expect(replies.map(({ r }) => r.err?.reason)).toEqual(replies.map(() => 'past_deadline'));
    expect(await balance()).toBe('70');
  });

  it("refuses a webhook registration for the app published onto the notifier's subject: unsigned, or signed by a service other than the gateway", async () => {
    const subject = subjectOf(PATTERNS.notifierRequests, stack.env.prefix);
    const meta: RequestMeta = { correlation_id: randomUUID(), command_id: randomUUID(), app_id: app.app_id, key_id: app.key_id, deadline_epoch_ms: Date.now() + 5000 };
    const body = { type: 'CreateWebhook', data: { url: 'https://93.184.216.34/exfiltrate', events: ['*'] }, request_hash: null };
    const packet = Buffer.from(JSON.stringify({ pattern: PATTERNS.notifierRequests, data: { meta, body }, id: randomUUID() }));
    expect(await forge(packet, undefined, subject)).toMatchObject({ err: { code: 'UNAUTHENTICATED', reason: 'unsigned' } });
    // A holder of the service key signing as the achievements service: the notifier obeys the gateway only.
    const asAchievements = new ServiceKeyring(testServiceKeys()).signedHeaders('achievements', subject, packet);
    expect(await forge(packet, asAchievements, subject)).toMatchObject({ response: { ok: false, code: 'FORBIDDEN' } });
    const listed = await ApiClient.http(base, app.api_key).webhooks();
    expect(listed.reply.data).toEqual([]);
  });
});
