/**
 * NATS is a trust boundary: a command published straight onto the ledger's subject by someone
 * who can reach NATS but holds no service key moves no money. Each forgery below is a Grant of
 * 3,000,000 coins (what was once printed into a wallet this way); the ledger answers each with a
 * refusal, logs it and counts it, and the books do not change. Commands the door admits are still
 * held to who sent them and with which API key.
 */
import type { INestMicroservice } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { get } from 'node:http';
import { connect, headers as natsHeaders, type MsgHdrs, type NatsConnection } from 'nats';
import { PATTERNS, subjectOf, type LedgerCommand, type RequestMeta } from '@coffer/contracts';
import { generateServiceKey, ServiceKeyring, SIGNATURE_HEADER } from '@coffer/platform';
import { createTestDatabase, freePort, testNatsPrefix, testNatsUrl, testServiceKeys, type TestDatabase } from '@coffer/testing';
import { LedgerTestClient, ok, startLedger } from './ledger-harness';

jest.setTimeout(60000);

const VICTIM = 'forged-mallory';
const PRINTED = '3000000';

describe('forged commands on NATS', () => {
  let database: TestDatabase;
  let prefix: string;
  let ledger: INestMicroservice;
  let client: LedgerTestClient;
  let nc: NatsConnection;
  let metricsPort: number;
  const logs: string[] = [];
  const keys = new ServiceKeyring(testServiceKeys());
  let commands: string;

  beforeAll(async () => {
    database = await createTestDatabase('ledger_forged');
    prefix = testNatsPrefix('ledger_forged');
    commands = subjectOf(PATTERNS.ledgerCommands, prefix);
    metricsPort = await freePort();
    ledger = await startLedger({ databaseUrl: database.url, prefix, metricsPort, logs });
    client = new LedgerTestClient(prefix);
    nc = await connect({ servers: testNatsUrl() });
    await client.untilAnswered(() => client.query({ type: 'ListApps' }));
    ok(await client.command(grantOf('1')));
  });

  afterAll(async () => {
    await nc?.close();
    await client?.close();
    await ledger?.close();
    await database?.drop();
  });

  const grantOf = (amount: string): LedgerCommand => ({ type: 'Grant', data: { user_id: VICTIM, amount, currency: 'coins', description: null } });

  /** A Grant in the packet format Nest's client and the gateway send, as raw bytes. */
  const packet = (command: LedgerCommand, deadlineMs = Date.now() + 5000, caller: Pick<RequestMeta, 'app_id' | 'key_id'> = { app_id: null, key_id: null }) => {
    const meta: RequestMeta = { correlation_id: randomUUID(), command_id: randomUUID(), ...caller, deadline_epoch_ms: deadlineMs };
    return Buffer.from(JSON.stringify({ pattern: PATTERNS.ledgerCommands, data: { meta, body: { command, request_hash: null } }, id: randomUUID() }));
  };
  const signature = (value: string): MsgHdrs => {
    const headers = natsHeaders();
    headers.set(SIGNATURE_HEADER, value);
    return headers;
  };
  /** Publishes as anyone on the NATS network could, and returns the decoded answer. */
  const publish = async (subject: string, data: Uint8Array, headers?: MsgHdrs) =>
    JSON.parse(Buffer.from((await nc.request(subject, data, { timeout: 5000, headers })).data).toString('utf8'));

  const posted = async () => {
    const reply = ok(await client.query<{ balances: Array<{ currency: string; posted: string }> }>({ type: 'GetBalance', user_id: VICTIM }));
    return reply.balances.find((line) => line.currency === 'coins')?.posted;
  };
  const refusedCount = async (reason: string) => {
    // node:http without an agent: no keep-alive socket outlives the test.
    const text = await new Promise<string>((resolve, reject) =>
      get({ host: '127.0.0.1', port: metricsPort, path: '/metrics', agent: false }, (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
        response.on('end', () => resolve(body));
      }).on('error', reject),
    );
    const line = text.split('\n').find((each) => each.startsWith(`coffer_nats_requests_refused_total{service="ledger",reason="${reason}"}`));
    return line ? Number(line.split(' ').pop()) : 0;
  };

  it.each<[string, string, () => { subject?: string; data: Uint8Array; headers?: MsgHdrs }]>([
    ['unsigned', 'unsigned', () => ({ data: packet(grantOf(PRINTED)) })],
    ['with a made-up MAC', 'bad_signature', () => ({ data: packet(grantOf(PRINTED)), headers: signature(`v1 sender=gateway,key=test,mac=${'A'.repeat(43)}`) })],
    [
      'signed with another key under the right key id',
      'bad_signature',
      () => {
        const data = packet(grantOf(PRINTED));
        const forger = new ServiceKeyring([{ id: 'test', secret: generateServiceKey().secret }]);
        return { data, headers: forger.signedHeaders('gateway', commands, data) };
      },
    ],
    [
      'signed with a key of its own',
      'unknown_key',
      () => {
        const data = packet(grantOf(PRINTED));
        return { data, headers: new ServiceKeyring([generateServiceKey()]).signedHeaders('gateway', commands, data) };
      },
    ],
    [
      'with a valid signature made for another subject',
      'bad_signature',
      () => {
        const data = packet(grantOf(PRINTED));
        return { data, headers: keys.signedHeaders('gateway', subjectOf(PATTERNS.achievementsCommands, prefix), data) };
      },
    ],
    [
      'with a valid signature whose payload was changed',
      'bad_signature',
      () => {
        const honest = packet(grantOf('1'));
        return { data: Buffer.from(honest.toString('utf8').replace('"amount":"1"', `"amount":"${PRINTED}"`)), headers: keys.signedHeaders('gateway', commands, honest) };
      },
    ],
  ])('refuses a Grant %s and moves no money', async (_name, reason, forge) => {
    const before = await posted();
    const counted = await refusedCount(reason);
    const forged = forge();
    const answer = await publish(forged.subject ?? commands, forged.data, forged.headers);
    expect(answer).toMatchObject({ err: { code: 'UNAUTHENTICATED', reason }, isDisposed: true });
    expect(answer.response).toBeUndefined();
    expect(await posted()).toBe(before);
    expect(await refusedCount(reason)).toBe(counted + 1);
    expect(logs.map((line) => JSON.parse(line)).some((line) => line.msg.startsWith('refused a NATS request') && line.reason === reason)).toBe(true);
  });

  it('refuses a captured Grant replayed after its deadline, though its signature is valid', async () => {
    const data = packet(grantOf('5'), Date.now() + 1000);
    const headers = keys.signedHeaders('gateway', commands, data);
    const before = BigInt((await posted()) ?? '0');
    expect(await publish(commands, data, headers)).toMatchObject({ response: { ok: true } });
    expect(await posted()).toBe(String(before + 5n));
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(await publish(commands, data, headers)).toMatchObject({ err: { reason: 'past_deadline' } });
    expect(await posted()).toBe(String(before + 5n));
  });

  it('refuses a Grant signed by the achievements service: it may only pay rewards', async () => {
    const before = await posted();
    const data = packet(grantOf(PRINTED));
    const answer = await publish(commands, data, keys.signedHeaders('achievements', commands, data));
    expect(answer.response).toMatchObject({ ok: false, code: 'FORBIDDEN' });
    expect(await posted()).toBe(before);
  });

  // Commands are {type, data}: a signed command whose envelope is not that shape is refused as malformed.
  it.each<[string, unknown]>([
    ['without data (its fields flat)', { type: 'Grant', user_id: VICTIM, amount: PRINTED, currency: 'coins', description: null }],
    ['whose data is null', { type: 'Grant', data: null }],
    ['whose data is an array', { type: 'Grant', data: [grantOf(PRINTED).data] }],
    ['whose data is a string', { type: 'Grant', data: PRINTED }],
  ])('refuses a Grant signed by the gateway %s with VALIDATION_FAILED and moves no money', async (_name, command) => {
    const before = await posted();
    const data = packet(command as LedgerCommand);
    const answer = await publish(commands, data, keys.signedHeaders('gateway', commands, data));
    expect(answer.response).toMatchObject({ ok: false, code: 'VALIDATION_FAILED', message: 'malformed ledger command' });
    expect(await posted()).toBe(before);
  });

  it("refuses an app's command with a revoked key or another app's key, and obeys it with its own live key", async () => {
    const register = async () => {
      const key_id = `key_${randomUUID()}`;
      const registered = ok(await client.command({ type: 'RegisterApp', data: { name: 'Game', key_id, key_hash: randomUUID() } }));
      return { app_id: registered.result.app_id as string, key_id };
    };
    const [first, second] = [await register(), await register()];
    const credit: LedgerCommand = { type: 'PostTransaction', data: { user_id: VICTIM, event_id: null, type: 'credit', amount: PRINTED, currency: 'coins', description: null } };
    const before = await posted();
    expect(await client.command(credit, { app_id: first.app_id, key_id: second.key_id })).toMatchObject({ ok: false, code: 'UNAUTHENTICATED' });
    ok(await client.command({ type: 'RevokeApiKey', data: { app_id: first.app_id, key_id: first.key_id } }));
    expect(await client.command(credit, first)).toMatchObject({ ok: false, code: 'UNAUTHENTICATED' });
    expect(await posted()).toBe(before);
    ok(await client.command({ ...credit, data: { ...credit.data, amount: '2' } }, second));
    expect(await posted()).toBe(String(BigInt(before ?? '0') + 2n));
  });

  it("a reversal moves money back only for the app that made the original (with its live key) or the admin: never for another app, another service or a forged abort", async () => {
    const register = async () => {
      const key_id = `key_${randomUUID()}`;
      const registered = ok(await client.command({ type: 'RegisterApp', data: { name: 'Game', key_id, key_hash: randomUUID() } }));
      return { app_id: registered.result.app_id as string, key_id };
    };
    const [owner, other] = [await register(), await register()];
    const debit: LedgerCommand = { type: 'PostTransaction', data: { user_id: VICTIM, event_id: null, type: 'debit', amount: '1', currency: 'coins', description: null } };
    const original = ok(await client.command(debit, owner)).result.transaction_id as number;
    const reverse = (amount: string | null): LedgerCommand => ({ type: 'ReverseTransaction', data: { transaction_id: original, amount, description: null } });
    const before = await posted();
    expect(await client.command(reverse(null), other)).toMatchObject({ ok: false, code: 'NOT_FOUND' });
    expect(await client.command(reverse(null), { app_id: owner.app_id, key_id: other.key_id })).toMatchObject({ ok: false, code: 'UNAUTHENTICATED' });
    const signedBy = async (service: 'achievements', command: LedgerCommand) => {
      const data = packet(command, Date.now() + 5000, owner);
      return (await publish(commands, data, keys.signedHeaders(service, commands, data))).response;
    };
    expect(await signedBy('achievements', reverse(null))).toMatchObject({ ok: false, code: 'FORBIDDEN' });
    expect(await posted()).toBe(before);
    // An abort too is the gateway's to send, for an app with its own key.
    const event = ok(await client.command({ type: 'OpenEvent', data: { description: null } }, owner)).result.event_id as number;
    expect(await signedBy('achievements', { type: 'AbortEvent', data: { event_id: event } })).toMatchObject({ ok: false, code: 'FORBIDDEN' });
    expect(await client.command({ type: 'AbortEvent', data: { event_id: event } }, other)).toMatchObject({ ok: false, code: 'NOT_FOUND' });
    expect(await client.command({ type: 'AbortEvent', data: { event_id: event } })).toMatchObject({ ok: false, code: 'FORBIDDEN' });
    expect(ok(await client.command({ type: 'AbortEvent', data: { event_id: event } }, owner)).result).toMatchObject({ event_id: event, status: 'aborted' });
    // The owner with its key, and the admin (no app), may.
    expect(ok(await client.command(reverse(null), owner)).result).toMatchObject({ type: 'reversal', amount: '1', reverses_transaction_id: original });
    expect(await posted()).toBe(String(BigInt(before ?? '0') + 1n));
    expect(await client.command(reverse('1'))).toMatchObject({ ok: false, code: 'LIMIT_EXCEEDED', details: { reversible: '0' } });
  });

  it('lets only the admin accept or decline a withdrawal, and only an app with its live key link an account or ask for one', async () => {
    const key_id = `key_${randomUUID()}`;
    const app = { app_id: ok(await client.command({ type: 'RegisterApp', data: { name: 'Cashier', key_id, key_hash: randomUUID() } })).result.app_id as string, key_id };
    const linkCommand: LedgerCommand = {
      type: 'LinkExternalAccount',
      data: { user_id: VICTIM, kind: 'bank', label: 'savings', reference_hash: 'c'.repeat(64), reference_last4: '3000' },
    };
    const viaAchievements = async (command: LedgerCommand) => {
      const data = packet(command, Date.now() + 5000, app);
      return (await publish(commands, data, keys.signedHeaders('achievements', commands, data))).response;
    };
    expect(await viaAchievements(linkCommand)).toMatchObject({ ok: false, code: 'FORBIDDEN' });
    expect(await client.command(linkCommand)).toMatchObject({ ok: false, code: 'FORBIDDEN' }); // the admin has no app
    const account = ok(await client.command(linkCommand, app)).result;
    const request: LedgerCommand = { type: 'RequestWithdrawal', data: { user_id: VICTIM, amount: '1', currency: 'coins', external_account_id: account.external_account_id } };
    const withdrawal = ok(await client.command(request, app)).result;
    const accept: LedgerCommand = { type: 'AcceptWithdrawal', data: { withdrawal_id: withdrawal.withdrawal_id } };
    const decline: LedgerCommand = { type: 'DeclineWithdrawal', data: { withdrawal_id: withdrawal.withdrawal_id, reason: 'forged' } };
    for (const command of [accept, decline]) {
      expect(await client.command(command, app)).toMatchObject({ ok: false, code: 'FORBIDDEN' });
      expect(await viaAchievements(command)).toMatchObject({ ok: false, code: 'FORBIDDEN' });
    }
    ok(await client.command({ type: 'RevokeApiKey', data: app }));
    expect(await client.command(request, app)).toMatchObject({ ok: false, code: 'UNAUTHENTICATED' });
    expect(ok(await client.command(accept)).result).toMatchObject({ status: 'accepted' });
  });
});
