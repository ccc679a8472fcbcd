/**
 * Finance flows end to end over real HTTP: races for the last coins, events that expire by
 * themselves or stay open while pinged, the transaction history (filters, pages, cursors),
 * read-your-writes across gateways, and the metrics that show the read models' lag.
 */
import type { INestMicroservice } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { JsonLogger, loadConfig, startMicroservice } from '@coffer/platform';
import { createTestDatabase, dropTestStreams, testNatsPrefix, testNatsUrl, testServiceKey, type TestDatabase } from '@coffer/testing';
import { LedgerModule } from '../../ledger/src/ledger.module';
import {
  ADMIN_TOKEN,
  newIdempotencyKey,
  Stack,
  startGateway,
  startProjector,
  until,
  untilServing,
  type RegisteredApp,
  type StackEnv,
} from './gateway-harness';
import type { BalanceLineView, TransactionsPageView, TransactionView } from '@coffer/contracts/http';
import { ApiClient, httpTransport, type Answer, type CommandRoutes } from './api-client';
import { listenOnLoopback, sleep } from './http-client';

jest.setTimeout(120000);

type Tx = TransactionView;

/** Requests of one app (or the admin) against one gateway's base URL, with the expectations these flows repeat. */
class Client extends ApiClient {
  constructor(
    readonly base: string,
    token: string,
  ) {
    super(httpTransport(base), token);
  }

  /** A command that must answer 201, sent with an Idempotency-Key of its own. */
  async created<Path extends keyof CommandRoutes>(path: Path, body?: CommandRoutes[Path]['body']): Promise<Answer<CommandRoutes[Path]['reply']>> {
    const answer = await this.post(path, body as CommandRoutes[Path]['body'], { idempotencyKey: newIdempotencyKey() });
    expect({ path, status: answer.status, body: answer.body }).toEqual({ path, status: 201, body: expect.anything() });
    return answer;
  }

  /** A read that must answer 200: its reply. */
  async ok<Reply>(sent: Promise<Answer<Reply>>): Promise<Reply> {
    const answer = await sent;
    const path = answer.request;
    expect({ path, status: answer.status, body: answer.body }).toEqual({ path, status: 200, body: expect.anything() });
    return answer.reply;
  }

  /** The coins line of a user's balance; `query` as it follows the path ("?consistency=strong"). */
  async coins(userId: string, query = ''): Promise<BalanceLineView | undefined> {
    const body = await this.ok(this.balance(userId, query.replace(/^\?/, '')));
    return body.balances.find((line) => line.currency === 'coins');
  }

  async list(query: string): Promise<TransactionsPageView> {
    return this.ok(this.transactions(query));
  }

  /** Every page of a query, by cursor. */
  async all(query: string, limit = 100): Promise<Tx[]> {
    const out: Tx[] = [];
    let cursor: string | null = null;
    do {
      const page: TransactionsPageView = await this.list(
        `${query}${query ? '&' : ''}limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`,
      );
      out.push(...page.data);
      cursor = page.next_cursor;
    } while (cursor);
    return out;
  }
}

const ids = (list: Tx[]) => list.map((tx) => tx.transaction_id);
const line = (posted: number, pendingDebit = 0, pendingCredit = 0): BalanceLineView => ({
  currency: 'coins',
  available: String(posted - pendingDebit),
  posted: String(posted),
  pending_debit: String(pendingDebit),
  pending_credit: String(pendingCredit),
});

/** A ledger with its own COFFER_EVENT_TIMEOUT_SECONDS, built the way the helpers build theirs. */
async function startLedgerWith(env: StackEnv, extra: Record<string, string>): Promise<INestMicroservice> {
  const config = loadConfig({
    DATABASE_URL: env.databaseUrl,
    NATS_URL: testNatsUrl(),
    COFFER_NATS_PREFIX: env.prefix,
    COFFER_SERVICE_KEY: testServiceKey(),
    LOG_LEVEL: 'error',
    ...extra,
  });
  const logger = new JsonLogger('ledger', 'error');
  return startMicroservice({ service: 'ledger', config, logger, module: (transport) => LedgerModule.forRoot(config, logger, transport) });
}

describe('finance flows over HTTP (default event timeout)', () => {
  let stack: Stack;
  let base: string;
  let admin: Client;

  const appClient = async (name: string) => new Client(base, (await stack.registerApp(name)).api_key);
  const grant = (userId: string, amount: number) => admin.created('/admin/grants', { user_id: userId, amount });

  beforeAll(async () => {
    stack = await Stack.start('gateway_flows');
    base = await listenOnLoopback(stack.gateway);
    admin = new Client(base, ADMIN_TOKEN);
  });

  afterAll(async () => {
    await stack?.close(); // drops its database and JetStream stream too
  });

  describe('races for the last coins', () => {
    it('lets exactly one of 50 concurrent debits of the last 10 coins through', async () => {
      const game = await appClient('Race');
      await grant('race-user', 100);
      await game.created('/finance/transaction', { user_id: 'race-user', type: 'debit', amount: 90 });
      expect(await game.coins('race-user')).toEqual(line(10));

      const answers = await Promise.all(
        Array.from({ length: 50 }, () =>
          game.postTransaction({ user_id: 'race-user', type: 'debit', amount: 10 }, { idempotencyKey: newIdempotencyKey() }),
        ),
      );
      const statuses = answers.map((answer) => answer.status);
      expect(statuses.filter((status) => status === 201)).toHaveLength(1);
      expect(answers.filter((answer) => answer.status === 422 && answer.errorCode === 'INSUFFICIENT_FUNDS')).toHaveLength(49);

      expect(await game.coins('race-user', '?consistency=strong')).toEqual(line(0));
      expect(await game.coins('race-user')).toEqual(line(0)); // the read model, right after the writes
      const history = await game.list('user_id=race-user');
      expect(history.data.map((tx) => [tx.type, tx.amount])).toEqual([
        ['debit', '10'],
        ['debit', '90'],
        ['grant', '100'],
      ]);
      expect(history.data[0].transaction_id).toBe(answers.find((answer) => answer.status === 201)!.reply.transaction_id);
    });

    it('holds the last 10 coins for exactly one of 50 concurrent pending debits in an open event', async () => {
      const game = await appClient('Race Held');
      await grant('race-held', 10);
      const event = (await game.created('/finance/event')).reply.event_id;
      const answers = await Promise.all(
        Array.from({ length: 50 }, () =>
          game.postTransaction({ user_id: 'race-held', event_id: event, type: 'debit', amount: 10 }, { idempotencyKey: newIdempotencyKey() }),
        ),
      );
      expect(answers.filter((answer) => answer.status === 201).map((answer) => answer.reply.status)).toEqual(['pending']);
      expect(answers.filter((answer) => answer.errorCode === 'INSUFFICIENT_FUNDS')).toHaveLength(49);
      expect(await game.coins('race-held', '?consistency=strong')).toEqual(line(10, 10));

      expect((await game.closeEvent(event)).status).toBe(200);
      expect(await game.coins('race-held')).toEqual(line(0));
    });
  });

  describe('a poisoned command', () => {
    it("fails alone, among other apps' commands sent at the same moment, and its retries fail the same", async () => {
      const [dice, cards, poisoner] = [await appClient('Poison Dice'), await appClient('Poison Cards'), await appClient('Poisoner')];
      await grant('poison-user', 1000);
      const poisonKey = newIdempotencyKey();
      const poisoned = () =>
        poisoner.postTransaction({ user_id: 'poison-user', type: 'debit', amount: 1, description: 'a\u0000b' }, { idempotencyKey: poisonKey });
      const good = (client: Client, i: number) =>
        client.postTransaction({ user_id: 'poison-user', type: i % 2 ? 'debit' : 'credit', amount: 1 + i, description: `round ${i}` }, { idempotencyKey: newIdempotencyKey() });
      const answers = await Promise.all([
        ...Array.from({ length: 10 }, (_, i) => good(dice, i)),
        poisoned(),
        ...Array.from({ length: 10 }, (_, i) => good(cards, i)),
        poisoned(),
      ]);
      const refused = answers.filter((answer) => answer.status !== 201);
      expect(refused.map((answer) => [answer.status, answer.error.code, Object.keys(answer.fieldErrors)])).toEqual([
        [400, 'VALIDATION_FAILED', ['description']],
        [400, 'VALIDATION_FAILED', ['description']],
      ]);
      expect(answers.filter((answer) => answer.status === 201)).toHaveLength(20);
      const again = await poisoned();
      expect({ status: again.status, body: again.body }).toEqual({ status: refused[0].status, body: refused[0].body });
      // Each good debit of 2, 4, … 10 and credit of 1, 3, … 9 landed, from both apps: 1000 + 2 × (25 − 30).
      expect(await dice.coins('poison-user', '?consistency=strong')).toEqual(line(990));
    });
  });

  describe('GET /finance/transactions', () => {
    let lister: Client;
    let neighbour: Client;
    const mine: number[] = []; // Lister's transactions, oldest first
    let transfers: number[] = [];
    let pending: number[] = [];
    let listerEvent: number;
    let neighbourEvent: number;
    let neighbourTxs: number[] = [];
    let grants: number[] = [];

    const post = async <Path extends '/finance/transaction' | '/finance/transfer'>(client: Client, path: Path, body: CommandRoutes[Path]['body']) => {
      const tx = (await client.created(path, body)).reply;
      if (client === lister) mine.push(tx.transaction_id);
      return tx.transaction_id;
    };

    beforeAll(async () => {
      lister = await appClient('Lister');
      neighbour = await appClient('Neighbour');
      grants = [(await grant('list-a', 1000)).reply.transaction_id, (await grant('list-b', 1000)).reply.transaction_id];
      for (let i = 0; i < 12; i++) {
        await post(lister, '/finance/transaction', { user_id: 'list-a', type: i % 3 === 2 ? 'debit' : 'credit', amount: i + 1 });
      }
      for (let i = 0; i < 3; i++) {
        transfers.push(await post(lister, '/finance/transfer', { from_user_id: 'list-a', to_user_id: 'list-b', amount: 100 + i }));
      }
      listerEvent = (await lister.created('/finance/event')).reply.event_id;
      pending = [
        await post(lister, '/finance/transaction', { user_id: 'list-a', event_id: listerEvent, type: 'credit', amount: 5 }),
        await post(lister, '/finance/transaction', { user_id: 'list-b', event_id: listerEvent, type: 'debit', amount: 6 }),
      ];
      neighbourEvent = (await neighbour.created('/finance/event')).reply.event_id;
      neighbourTxs = [
        await post(neighbour, '/finance/transaction', { user_id: 'list-a', type: 'credit', amount: 7 }),
        await post(neighbour, '/finance/transaction', { user_id: 'list-a', event_id: neighbourEvent, type: 'credit', amount: 8 }),
      ];
    });

    it("lists only the app's own transactions, newest first, in the documented shape", async () => {
      const page = await lister.list('limit=100');
      expect(ids(page.data)).toEqual([...mine].reverse());
      expect(page.next_cursor).toBeNull();
      for (const id of [...grants, ...neighbourTxs]) expect(ids(page.data)).not.toContain(id);
      const transfer = page.data.find((tx) => tx.transaction_id === transfers[0])!;
      expect(transfer).toEqual({
        transaction_id: transfers[0],
        event_id: null,
        user_id: 'list-a',
        to_user_id: 'list-b',
        type: 'transfer',
        amount: '100',
        currency: 'coins',
        status: 'posted',
        description: null,
        reverses_transaction_id: null,
        created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT[\d:.]+Z$/),
      });
      const times = page.data.map((tx) => tx.created_at);
      expect([...times].sort().reverse()).toEqual(times);
      expect((await lister.list('')).data).toHaveLength(10); // the default limit
    });

    it('pages with limit and page', async () => {
      const full = ids((await lister.list('limit=100')).data);
      expect(full).toHaveLength(17);
      const pages = [];
      for (let page = 1; page <= 5; page++) pages.push(await lister.list(`limit=5&page=${page}`));
      expect(pages.map((page) => page.data.length)).toEqual([5, 5, 5, 2, 0]);
      expect(pages.flatMap((page) => ids(page.data))).toEqual(full);
      expect(pages.map((page) => page.next_cursor)).toEqual([
        String(full[4]),
        String(full[9]),
        String(full[14]),
        null,
        null,
      ]);
      expect(ids((await lister.list('limit=5')).data)).toEqual(ids(pages[0].data)); // page 1 is the default
    });

    it('pages by cursor without duplicates or gaps while new transactions arrive between pages', async () => {
      const before = ids((await lister.list('limit=100')).data);
      const first = await lister.list('limit=4');
      expect(ids(first.data)).toEqual(before.slice(0, 4));
      const collected = [...ids(first.data)];
      let cursor = first.next_cursor;
      const inserted: number[] = [];
      while (cursor) {
        // Three new transactions before every further page: newer than the cursor, so never in these pages.
        for (let i = 0; i < 3; i++) {
          inserted.push(await post(lister, '/finance/transaction', { user_id: 'list-c', type: 'credit', amount: 1 }));
        }
        const page = await lister.list(`limit=4&cursor=${cursor}`);
        collected.push(...ids(page.data));
        cursor = page.next_cursor;
      }
      expect(collected).toEqual(before);
      expect(new Set(collected).size).toBe(collected.length);

      expect(inserted).toHaveLength(12);
      const now = ids((await lister.list('limit=100')).data);
      expect(now).toEqual([...[...inserted].reverse(), ...before]);
      // Offset pages are not stable under inserts (which is what the cursor is for): page 2 has moved.
      const pageTwo = ids((await lister.list('limit=4&page=2')).data);
      expect(pageTwo).toEqual(now.slice(4, 8));
      expect(pageTwo).not.toEqual(before.slice(4, 8));
    });

    it("filters by user across every app, a transfer showing in both users' lists", async () => {
      const a = await lister.all('user_id=list-a', 7);
      const b = await lister.all('user_id=list-b', 7);
      for (const id of transfers) {
        expect(ids(a)).toContain(id);
        expect(ids(b)).toContain(id);
      }
      expect(ids(a)).toEqual(expect.arrayContaining([...neighbourTxs, grants[0], pending[0]]));
      expect(ids(b)).toEqual([pending[1], ...[...transfers].reverse(), grants[1]]);
      expect(ids(a)).toHaveLength(12 + 3 + 1 + 2 + 1);
      expect(ids(a)).toEqual([...ids(a)].sort((x, y) => y - x));
      expect(ids(await neighbour.all('user_id=list-b', 3))).toEqual(ids(b)); // the wallet is shared
      // A snowflake-sized user id is read exactly in the query too.
      expect((await lister.list('user_id=169015299834642432')).data).toEqual([]);
    });

    it('filters by event, type, status and time, alone and together', async () => {
      const full = (await lister.list('limit=100')).data;
      const expectFilter = async (query: string, keep: (tx: Tx) => boolean) => {
        const expected = ids(full.filter(keep));
        expect({ query, ids: ids(await lister.all(query, 3)) }).toEqual({ query, ids: expected });
        return expected;
      };
      expect(await expectFilter(`event_id=${listerEvent}`, (tx) => tx.event_id === listerEvent)).toEqual([...pending].reverse());
      expect((await lister.list(`event_id=${neighbourEvent}`)).data).toEqual([]); // another app's event shows nothing
      expect(await expectFilter('type=transfer', (tx) => tx.type === 'transfer')).toEqual([...transfers].reverse());
      await expectFilter('type=credit', (tx) => tx.type === 'credit');
      await expectFilter('type=debit', (tx) => tx.type === 'debit');
      expect((await lister.list('type=grant')).data).toEqual([]); // grants are the admin's, not the app's
      expect(ids((await lister.list('user_id=list-a&type=grant')).data)).toEqual([grants[0]]);
      expect(await expectFilter('status=pending', (tx) => tx.status === 'pending')).toEqual([...pending].reverse());
      await expectFilter('status=posted', (tx) => tx.status === 'posted');
      expect((await lister.list('status=voided')).data).toEqual([]);
      await expectFilter('type=credit&status=posted', (tx) => tx.type === 'credit' && tx.status === 'posted');

      const middle = full[Math.floor(full.length / 2)].created_at;
      const later = full[Math.floor(full.length / 4)].created_at;
      await expectFilter(`from=${encodeURIComponent(middle)}`, (tx) => tx.created_at >= middle);
      await expectFilter(`to=${encodeURIComponent(middle)}`, (tx) => tx.created_at < middle);
      await expectFilter(
        `from=${encodeURIComponent(middle)}&to=${encodeURIComponent(later)}&type=credit`,
        (tx) => tx.created_at >= middle && tx.created_at < later && tx.type === 'credit',
      );
      expect((await lister.list('from=2000-01-01T00:00:00Z&to=2000-01-02T00:00:00Z')).data).toEqual([]);
      expect(ids((await lister.list('from=2000-01-01T00:00:00Z&limit=100')).data)).toEqual(ids(full));
    });
  });

  describe('read-your-writes', () => {
    let game: Client;
    let apiKey: string;
    let second: NestFastifyApplication | undefined;

    beforeAll(async () => {
      const registered: RegisteredApp = await stack.registerApp('Reader');
      apiKey = registered.api_key;
      game = new Client(base, apiKey);
      await grant('ryw-user', 1000);
    });

    afterAll(async () => {
      await second?.close();
    });

    it('shows a write to the very next read on the same gateway (default consistency)', async () => {
      let posted = 1000;
      for (let i = 1; i <= 20; i++) {
        const type = i % 4 === 0 ? 'debit' : 'credit';
        const tx = (await game.created('/finance/transaction', { user_id: 'ryw-user', type, amount: i })).reply;
        posted += type === 'credit' ? i : -i;
        expect(await game.coins('ryw-user')).toEqual(line(posted));
        expect((await game.list('limit=1')).data[0].transaction_id).toBe(tx.transaction_id);
      }
      const event = (await game.created('/finance/event', { description: 'seen at once' })).reply.event_id;
      expect(await game.ok(game.event(event))).toMatchObject({ event_id: event, status: 'open', transactions: [] });
      await game.created('/finance/transaction', { user_id: 'ryw-user', event_id: event, type: 'debit', amount: 3 });
      expect(await game.coins('ryw-user')).toEqual(line(posted, 3));
      expect((await game.ok(game.event(event))).transactions).toHaveLength(1);
    });

    it('honours min_position from a write on another gateway of the same stack', async () => {
      second = await startGateway(stack.env);
      await untilServing(second);
      const otherBase = await listenOnLoopback(second);
      const elsewhere = new Client(otherBase, apiKey);

      for (let i = 0; i < 5; i++) {
        const written = await game.created('/finance/transaction', { user_id: 'ryw-far', type: 'credit', amount: 10 });
        const position = written.headers['x-coffer-position'] as string;
        expect(position).toMatch(/^\d+$/);
        expect(await elsewhere.coins('ryw-far', `?min_position=${position}`)).toEqual(line(10 * (i + 1)));
        const listed = await elsewhere.list(`user_id=ryw-far&limit=1&min_position=${position}`);
        expect(listed.data[0].transaction_id).toBe(written.reply.transaction_id);
      }
    });

    it('answers a min_position beyond the read models from the ledger at once for balances and events, and 503 for the history after waiting', async () => {
      const future = '999999999999999999';
      const event = (await game.created('/finance/event')).reply.event_id;

      let started = Date.now();
      const balance = await game.balance('ryw-user', `min_position=${future}`);
      const balanceMs = Date.now() - started;
      expect(balance.status).toBe(200);
      expect(balance.body).toEqual(await game.ok(game.balance('ryw-user', { consistency: 'strong' })));
      // The read models do not include it: the ledger answers at once (reads/consistency.ts), no waiting for them.
      expect(balanceMs).toBeLessThan(1900);

      const details = await game.event(event, `min_position=${future}`);
      expect(details.status).toBe(200);
      expect(details.body).toMatchObject({ event_id: event, status: 'open' });

      started = Date.now();
      const history = await game.transactions(`min_position=${future}`);
      const historyMs = Date.now() - started;
      expect({ status: history.status, code: history.errorCode }).toEqual({ status: 503, code: 'UNAVAILABLE' });
      expect(historyMs).toBeGreaterThanOrEqual(1900);
      expect(historyMs).toBeLessThan(8000);
    });
  });

  it('exposes projection lag, position and request counts at /metrics', async () => {
    const game = await appClient('Metered');
    let last = 0n;
    for (let i = 0; i < 5; i++) {
      const written = await game.created('/finance/transaction', { user_id: 'metered', type: 'credit', amount: 1 });
      last = BigInt(written.headers['x-coffer-position'] as string);
    }
    await game.coins('metered');

    const scrape = async () => {
      const answer = await ApiClient.http(base).metrics();
      expect(answer.status).toBe(200);
      expect(answer.headers['content-type']).toMatch(/^text\/plain/);
      /** The sample of `name` whose labels include every one given (in any order). */
      const value = (name: string, labels: Record<string, string> = {}) => {
        const found = answer.text.split('\n').find((row) => {
          if (!(row.startsWith(`${name} `) || row.startsWith(`${name}{`))) return false;
          return Object.entries(labels).every(([label, wanted]) => row.includes(`${label}="${wanted}"`));
        });
        return found === undefined ? undefined : Number(found.slice(found.lastIndexOf(' ') + 1));
      };
      return { text: answer.text, value };
    };
    // Polled: the read models catch up within moments of the last write.
    const caughtUp = await until(
      scrape,
      (m) =>
        m.value('coffer_projection_lag_events') === 0 &&
        m.value('coffer_projection_lag_seconds') === 0 &&
        (m.value('coffer_projection_position') ?? 0) >= Number(last),
      10000,
    );
    const { text, value } = caughtUp;
    for (const name of ['coffer_projection_lag_events', 'coffer_projection_lag_seconds', 'coffer_projection_position', 'coffer_http_requests_total']) {
      expect(text).toContain(`# TYPE ${name} `);
    }
    expect(text).toContain('# TYPE coffer_ledger_requests_resent_total counter');
    expect(value('coffer_ledger_requests_resent_total')).toBe(0); // no takeover here
    // Every command went in a batch (of one, when it was alone in its turn): never more messages than requests.
    const batchedRequests = value('coffer_nats_batched_requests_total') ?? 0;
    expect(batchedRequests).toBeGreaterThanOrEqual(5);
    expect(value('coffer_nats_batch_messages_total')).toBeGreaterThanOrEqual(1);
    expect(value('coffer_nats_batch_messages_total')).toBeLessThanOrEqual(batchedRequests);
    expect(value('coffer_projection_lag_events')).toBe(0);
    expect(value('coffer_projection_lag_seconds')).toBe(0);
    expect(value('coffer_projection_position')).toBeGreaterThanOrEqual(Number(last));
    expect(value('coffer_http_requests_total', { method: 'POST', route: '/finance/transaction', status: '201' })).toBeGreaterThanOrEqual(5);
    expect(value('coffer_http_requests_total', { method: 'GET', route: '/finance/balance/:user_id', status: '200' })).toBeGreaterThanOrEqual(1);
  });
});

describe('finance events with a 2 s timeout', () => {
  let database: TestDatabase;
  let env: StackEnv;
  let ledger: INestMicroservice;
  let projector: INestMicroservice;
  let gateway: NestFastifyApplication;
  let game: Client;
  let admin: Client;

  beforeAll(async () => {
    database = await createTestDatabase('gateway_expiry');
    env = { databaseUrl: database.url, prefix: testNatsPrefix('gateway_expiry') };
    ledger = await startLedgerWith(env, { COFFER_EVENT_TIMEOUT_SECONDS: '2' });
    projector = await startProjector(env);
    gateway = await startGateway(env);
    await untilServing(gateway);
    const base = await listenOnLoopback(gateway);
    admin = new Client(base, ADMIN_TOKEN);
    const created = await admin.created('/admin/apps', { name: 'Hasty' });
    game = new Client(base, String(created.reply.api_key));
  });

  afterAll(async () => {
    await gateway?.close();
    await projector?.close();
    await ledger?.close();
    await database?.drop();
    if (env) await dropTestStreams(env.prefix).catch(() => undefined);
  });

  it('expires an unpinged event by itself and refunds exactly what it held', async () => {
    await admin.created('/admin/grants', { user_id: 'expiry-user', amount: 100 });
    const opened = (await game.created('/finance/event', { description: 'abandoned' })).reply;
    const openedAt = Date.now();
    expect(Date.parse(opened.expires_at) - openedAt).toBeLessThanOrEqual(2500);
    const debit = (await game.created('/finance/transaction', { user_id: 'expiry-user', event_id: opened.event_id, type: 'debit', amount: 30 })).reply;
    const credit = (await game.created('/finance/transaction', { user_id: 'expiry-user', event_id: opened.event_id, type: 'credit', amount: 50 })).reply;
    expect([debit.status, credit.status]).toEqual(['pending', 'pending']);
    expect(await game.coins('expiry-user', '?consistency=strong')).toEqual(line(100, 30, 50));

    const details = await until(
      () => game.ok(game.event(opened.event_id)),
      (event) => event.status !== 'open',
      10000,
    );
    expect(details).toMatchObject({ event_id: opened.event_id, status: 'expired', closed_at: null, expired_at: expect.any(String) });
    expect(Date.now() - openedAt).toBeGreaterThanOrEqual(1500);
    expect(details.transactions.map((tx) => [tx.transaction_id, tx.status])).toEqual([
      [debit.transaction_id, 'voided'],
      [credit.transaction_id, 'voided'],
    ]);

    expect(await game.coins('expiry-user', '?consistency=strong')).toEqual(line(100));
    expect(await until(() => game.coins('expiry-user'), (coins) => coins?.pending_credit === '0', 5000)).toEqual(line(100));
    const listed = await game.list(`event_id=${opened.event_id}`);
    expect(listed.data.map((tx) => [tx.transaction_id, tx.status])).toEqual([
      [credit.transaction_id, 'voided'],
      [debit.transaction_id, 'voided'],
    ]);
    expect(ids((await game.list('status=voided')).data)).toEqual([credit.transaction_id, debit.transaction_id]);

    for (const late of [await game.pingEvent(opened.event_id), await game.closeEvent(opened.event_id)]) {
      const path = late.request;
      expect({ path, status: late.status, code: late.errorCode }).toEqual({ path, status: 409, code: 'EVENT_NOT_OPEN' });
    }
    const lateTx = await game.postTransaction({ user_id: 'expiry-user', event_id: opened.event_id, type: 'credit', amount: 1 });
    expect({ status: lateTx.status, code: lateTx.errorCode }).toEqual({ status: 409, code: 'EVENT_NOT_OPEN' });
    expect(await game.coins('expiry-user', '?consistency=strong')).toEqual(line(100));
  });

  it('keeps a pinged event open past its first deadline, then closes it normally', async () => {
    const opened = (await game.created('/finance/event', { description: 'kept alive' })).reply;
    const credit = (await game.created('/finance/transaction', { user_id: 'pinged-user', event_id: opened.event_id, type: 'credit', amount: 20 })).reply;
    const firstDeadline = Date.parse(opened.expires_at);
    let deadline = firstDeadline;
    for (let i = 0; i < 3; i++) {
      await sleep(1000);
      const pinged = await game.pingEvent(opened.event_id);
      expect({ status: pinged.status, body: pinged.body }).toEqual({
        status: 200,
        body: { event_id: opened.event_id, status: 'open', expires_at: expect.any(String) },
      });
      expect(Date.parse(pinged.reply.expires_at)).toBeGreaterThan(deadline);
      deadline = Date.parse(pinged.reply.expires_at);
    }
    expect(Date.now()).toBeGreaterThan(firstDeadline + 500);
    const still = await game.ok(game.event(opened.event_id, { consistency: 'strong' }));
    expect(still).toMatchObject({ status: 'open', expired_at: null, last_ping_at: expect.any(String) });
    expect(await game.coins('pinged-user', '?consistency=strong')).toEqual(line(0, 0, 20));

    const closed = await game.closeEvent(opened.event_id);
    expect({ status: closed.status, body: closed.body }).toEqual({
      status: 200,
      body: { event_id: opened.event_id, status: 'closed', closed_at: expect.any(String) },
    });
    expect(await game.coins('pinged-user')).toEqual(line(20));

    await sleep(2500); // past the last deadline: a closed event stays closed
    const after = await game.ok(game.event(opened.event_id, { consistency: 'strong' }));
    expect(after).toMatchObject({ status: 'closed', expired_at: null });
    expect(after.transactions.map((tx) => [tx.transaction_id, tx.status])).toEqual([[credit.transaction_id, 'posted']]);
    expect(await game.coins('pinged-user', '?consistency=strong')).toEqual(line(20));
  });
});
