/**
 * The active ledger is killed (a real SIGKILL, twice) in the middle of a load of debits,
 * credits and transfers. The BUILT services run as child processes: two ledgers (active and
 * hot standby), the projector and a gateway on a loopback port. Clients retry a 503 or a lost
 * connection with the same request and the same Idempotency-Key until they get a definitive
 * answer; afterwards no acknowledged transaction is lost, none is applied twice, the balances
 * equal the sum of what was acknowledged, and `coffer verify` finds the books and read models sound.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createTestDatabase, dropTestStreams, testNatsPrefix, testNatsUrl, type TestDatabase } from '@coffer/testing';
import { serviceEnvironment } from '../../../tools/service-environment';
import type { TransactionsPageView, TransactionView, TransferView } from '@coffer/contracts/http';
import { ApiClient, type Answer, type CommandOptions } from './api-client';
import { sleep } from './http-client';
import { assertBuilt, BuiltServices, ROOT } from './processes';

jest.setTimeout(180000);

const ADMIN_TOKEN = 'crash-admin-token-0123456789';
const USERS = ['crash-0', 'crash-1', 'crash-2', 'crash-3', 'crash-4', 'crash-5'];
const GRANT = 100000;
const OPERATIONS = 300;
const WORKERS = 8;
const FIRST_KILL_AT = 100;
const SECOND_KILL_AT = 200;

interface Operation {
  index: number;
  /** Sends the operation (its debit, credit or transfer) with these options. */
  send: (client: ApiClient, options: CommandOptions) => Promise<Answer<TransactionView | TransferView>>;
  key: string;
  /** What the operation does to each user's posted balance once acknowledged. */
  effects: Record<string, number>;
}

interface Outcome {
  operation: Operation;
  answer: Answer<TransactionView | TransferView>;
  attempts: number;
}

/** A fixed, varied load (a small LCG, so every run sends the same operations). */
function plan(): Operation[] {
  let seed = 20251123;
  const next = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  return Array.from({ length: OPERATIONS }, (_unused, index) => {
    const amount = 1 + next(100);
    const user = USERS[next(USERS.length)];
    const key = `crash-op-${index}-${seed}`;
    switch (next(3)) {
      case 0:
        return { index, key, send: (client, options) => client.postTransaction({ user_id: user, type: 'credit', amount }, options), effects: { [user]: amount } };
      case 1:
        return {
          index,
          key,
          send: (client, options) => client.postTransaction({ user_id: user, type: 'debit', amount: String(amount) }, options),
          effects: { [user]: -amount },
        };
      default: {
        const to = USERS[(USERS.indexOf(user) + 1 + next(USERS.length - 1)) % USERS.length];
        return {
          index,
          key,
          send: (client, options) => client.transfer({ from_user_id: user, to_user_id: to, amount }, options),
          effects: { [user]: -amount, [to]: amount },
        };
      }
    }
  });
}

describe('the active ledger killed mid-load (built services as processes)', () => {
  let database: TestDatabase;
  let prefix: string;
  let services: BuiltServices | undefined;

  beforeAll(async () => {
    assertBuilt('ledger', 'gateway', 'projector');
    database = await createTestDatabase('gateway_crash');
    prefix = testNatsPrefix('gateway_crash');
    services = await BuiltServices.on({
      databaseUrl: database.url,
      natsUrl: testNatsUrl(),
      natsPrefix: prefix,
      adminToken: ADMIN_TOKEN,
      extra: { COFFER_REQUEST_TIMEOUT_MS: '3000' },
    });
    await services.startLeading('projector', 'gateway');
    await services.startStandby('ledger-b');
  });

  afterAll(async () => {
    await services?.stop();
    await database?.drop();
    if (prefix) await dropTestStreams(prefix).catch(() => undefined);
  });

  it('loses no acknowledged transaction and applies none twice', async () => {
    const s = services!;
    const base = s.base;
    const admin = ApiClient.http(base, ADMIN_TOKEN);
    /** Sends until a definitive answer: 201 or a 4xx other than 429. */
    const definitive = async <Reply>(key: string, send: (options: CommandOptions) => Promise<Answer<Reply>>) => {
      const deadline = Date.now() + 90000;
      for (let attempts = 1; ; attempts++) {
        let answer: Answer<Reply> | undefined;
        try {
          answer = await send({ idempotencyKey: key });
        } catch {
          // connection refused or reset: the outcome is unknown, so the same request goes again
        }
        if (answer && answer.status !== 503 && answer.status !== 429) return { answer, attempts };
        if (Date.now() > deadline) throw new Error(`no definitive answer for ${key} after ${attempts} attempts`);
        await sleep(answer?.status === 503 ? 50 : 100);
      }
    };

    const registered = await definitive('crash-register', (options) => admin.createApp({ name: 'Crash Casino' }, options));
    expect(registered.answer.status).toBe(201);
    const apiKey = String(registered.answer.reply.api_key);
    const app = ApiClient.http(base, apiKey);
    for (const user of USERS) {
      const granted = await definitive(`crash-grant-${user}`, (options) => admin.grant({ user_id: user, amount: GRANT }, options));
      expect(granted.answer.status).toBe(201);
    }

    const operations = plan();
    const outcomes: Outcome[] = [];
    let acknowledged = 0;
    let next = 0;
    const worker = async () => {
      while (next < operations.length) {
        const operation = operations[next++];
        const { answer, attempts } = await definitive(operation.key, (options) => operation.send(app, options));
        outcomes.push({ operation, answer, attempts });
        if (answer.status === 201) acknowledged++;
      }
    };
    const kills: Array<{ name: string; at: number }> = [];
    let loadDone = false;
    const chaos = async () => {
      for (const threshold of [FIRST_KILL_AT, SECOND_KILL_AT]) {
        while (acknowledged < threshold && !loadDone) await sleep(5);
        if (loadDone) return;
        const victim = await s.leadingLedger();
        kills.push({ name: victim.name, at: acknowledged });
        await victim.kill();
        if (threshold === FIRST_KILL_AT) s.startLedger('ledger-c'); // a new hot standby for the next kill
      }
    };

    const chaosDone = chaos();
    await Promise.all(Array.from({ length: WORKERS }, worker));
    loadDone = true;
    await chaosDone;

    // Both kills happened while the load was running, each of the leader at that moment.
    expect(kills.map((kill) => kill.name)).toEqual(['ledger-a', expect.stringMatching(/^ledger-[bc]$/)]);
    expect(kills[0].at).toBeLessThan(OPERATIONS);
    expect(kills[1].at).toBeLessThan(OPERATIONS);
    expect(outcomes).toHaveLength(OPERATIONS);
    // The failovers were felt, by the gateway: it sent what waited on a killed writer again to its successor.
    const metrics = await ApiClient.http(base).metrics();
    expect(Number(/^coffer_ledger_requests_resent_total (\d+)$/m.exec(metrics.text)?.[1])).toBeGreaterThan(0);

    // Every answer definitive and meaningful: 201, or a refusal that changes nothing.
    const refused = outcomes.filter((outcome) => outcome.answer.status !== 201);
    expect(refused.map((outcome) => outcome.answer.errorCode).filter((code) => code !== 'INSUFFICIENT_FUNDS')).toEqual([]);
    const acked = outcomes.filter((outcome) => outcome.answer.status === 201);
    expect(acked.length).toBeGreaterThan(SECOND_KILL_AT);

    // No acknowledged transaction shares an id with another.
    const ackedIds = acked.map((outcome) => outcome.answer.reply.transaction_id);
    expect(new Set(ackedIds).size).toBe(ackedIds.length);

    // The ledger's balances are exactly the grants plus what was acknowledged.
    const expected = Object.fromEntries(USERS.map((user) => [user, GRANT]));
    for (const { operation } of acked) for (const [user, delta] of Object.entries(operation.effects)) expected[user] += delta;
    const balanceOf = async (user: string, query: string) => {
      const answer = await app.balance(user, query);
      expect(answer.status).toBe(200);
      return answer.reply.balances;
    };
    for (const user of USERS) {
      const posted = String(expected[user]);
      expect({ user, balances: await balanceOf(user, 'consistency=strong') }).toEqual({
        user,
        balances: [{ currency: 'coins', available: posted, posted, pending_debit: '0', pending_credit: '0' }],
      });
    }

    // The read models catch up to the same figures, and hold exactly the acknowledged transactions.
    await s.waitFor(
      'the read models to match the ledger',
      async () => {
        for (const user of USERS) {
          const [strong, read] = await Promise.all([balanceOf(user, 'consistency=strong'), balanceOf(user, '')]);
          if (JSON.stringify(strong) !== JSON.stringify(read)) return false;
        }
        return true;
      },
      30000,
    );
    const listed: number[] = [];
    let cursor: string | null = null;
    do {
      const page: Answer<TransactionsPageView> = await app.transactions({ limit: 100, cursor: cursor ?? undefined });
      expect(page.status).toBe(200);
      listed.push(...page.reply.data.map((tx) => tx.transaction_id));
      cursor = page.reply.next_cursor;
    } while (cursor);
    expect([...listed].sort((a, b) => a - b)).toEqual([...ackedIds].sort((a, b) => a - b));

    // `coffer verify`: every currency sums to zero and every read model equals a fresh fold.
    const verify = await new Promise<{ code: number | null; output: string }>((done) => {
      const child = spawn(process.execPath, [join(ROOT, 'tools/coffer.js'), 'verify'], {
        cwd: ROOT,
        env: serviceEnvironment({ ...s.env, LOG_LEVEL: 'warn' }),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (chunk) => (output += chunk));
      child.stderr.on('data', (chunk) => (output += chunk));
      child.once('exit', (code) => done({ code, output }));
    });
    expect({ code: verify.code, output: verify.output }).toEqual({ code: 0, output: expect.stringContaining('verify: OK') });
  });
});
