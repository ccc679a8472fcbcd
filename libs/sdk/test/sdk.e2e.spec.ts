/**
 * The SDK against a real Coffer (gateway, ledger, achievements, projector over PostgreSQL and
 * NATS), over real sockets with fetch: sessions that outlive several event timeouts because the
 * SDK pings, typed refusals, a gateway outage mid-post ridden out with nothing doubled, cursor
 * iteration across pages, and exact snowflakes.
 */
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Coffer } from '../src/client';
import { CofferError, EventNotOpenError, InsufficientFundsError, NotFoundError, ValidationError } from '../src/errors';
import type { Session } from '../src/session';
import type { Balance } from '../src/types';
import { FlakyProxy } from './flaky-proxy';
import { SdkStack } from './sdk-stack';

jest.setTimeout(120000);

/** The finance-event timeout of this stack: a session must outlive several of them. */
const TIMEOUT_SECONDS = 2;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Polls `done` every 10 ms, for at most `ms`. */
async function waitFor(what: string, done: () => boolean, ms = 10000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(10);
  }
}

const coins = (balance: Balance) => balance.balances.find((line) => line.currency === 'coins');

async function caught(promise: Promise<unknown>): Promise<CofferError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CofferError);
  return error as CofferError;
}

describe('@coffer/sdk against the real stack', () => {
  let stack: SdkStack;
  let gateway: NestFastifyApplication;
  let base: string;
  let proxy: FlakyProxy;
  let apiKey: string;
  let coffer: Coffer;
  const sessions: Session[] = [];

  beforeAll(async () => {
    stack = await SdkStack.start('sdk_e2e', TIMEOUT_SECONDS);
    ({ base, gateway } = await stack.startGateway());
    proxy = await FlakyProxy.start(base);
    apiKey = await stack.newApp(base, 'Blackjack');
    // Through the proxy, so every request the SDK sends is seen.
    coffer = new Coffer({ baseUrl: proxy.url, apiKey, retry: { baseDelayMs: 50, maxDelayMs: 500 } });
  });

  afterEach(() => {
    proxy.plan = () => 'forward';
  });

  afterAll(async () => {
    for (const session of sessions) session.stop();
    await proxy?.close();
    await stack?.close();
  });

  it(`keeps a session open for more than three ${TIMEOUT_SECONDS} s timeouts by pinging, then closes it and stops pinging`, async () => {
    await stack.grant(base, 'session-player', 100);
    const session = await coffer.sessions.open({ description: 'round 1' });
    sessions.push(session);
    const openedAt = Date.now();
    const firstExpiry = session.expiresAt.getTime();
    expect(firstExpiry - openedAt).toBeLessThanOrEqual(TIMEOUT_SECONDS * 1000 + 500);

    const bet = await session.debit('session-player', 30n);
    expect(bet).toMatchObject({ event_id: session.eventId, user_id: 'session-player', type: 'debit', amount: '30', status: 'pending' });
    await sleep(TIMEOUT_SECONDS * 1000 * 3.5);

    const event = await coffer.events.get(session.eventId, { consistency: 'strong' });
    expect(event.status).toBe('open');
    expect(Date.parse(event.expires_at)).toBeGreaterThan(firstExpiry + TIMEOUT_SECONDS * 1000 * 2);
    const pings = proxy.to('POST', new RegExp(`^/finance/event/${session.eventId}/ping$`));
    // At a third of the time left: about 1.5 pings a timeout, never fewer than one.
    expect(pings.length).toBeGreaterThanOrEqual(4);
    expect(pings.length).toBeLessThanOrEqual(20);
    expect(pings.every((ping) => ping.status === 200)).toBe(true);
    expect(session.pingCount).toBe(pings.length);

    const win = await session.credit('session-player', 75, { description: 'blackjack pays 3:2' });
    expect(win.status).toBe('pending');
    const closed = await session.close();
    expect(closed).toMatchObject({ event_id: session.eventId, status: 'closed' });
    expect(session.state).toBe('closed');

    const balance = await coffer.balances.get('session-player', { consistency: 'strong' });
    expect(coins(balance)).toEqual({ currency: 'coins', available: '145', posted: '145', pending_debit: '0', pending_credit: '0' });

    // No timer left behind: no ping goes out after the close.
    const pingsAtClose = proxy.to('POST', /\/ping$/).length;
    await sleep(TIMEOUT_SECONDS * 1000);
    expect(proxy.to('POST', /\/ping$/).length).toBe(pingsAtClose);
  });

  it('aborts a session: its pending transactions are voided at once, the heartbeat stops, and the event shows aborted', async () => {
    await stack.grant(base, 'abort-player', 100);
    const session = await coffer.sessions.open({ description: 'cancelled round' });
    sessions.push(session);
    await session.debit('abort-player', 40);
    await session.credit('abort-winner', 25);
    expect(coins(await coffer.balances.get('abort-player', { consistency: 'strong' }))).toMatchObject({ available: '60', pending_debit: '40' });

    const aborted = await session.abort();
    expect(aborted).toEqual({ event_id: session.eventId, status: 'aborted', aborted_at: expect.stringMatching(/^\d{4}-/) });
    expect(session.state).toBe('aborted');
    expect(coins(await coffer.balances.get('abort-player', { consistency: 'strong' }))).toEqual({
      currency: 'coins',
      available: '100',
      posted: '100',
      pending_debit: '0',
      pending_credit: '0',
    });
    const event = await coffer.events.get(session.eventId, { consistency: 'strong' });
    expect(event).toMatchObject({ status: 'aborted', aborted_at: aborted.aborted_at });
    expect(event.transactions.map((tx) => tx.status)).toEqual(['voided', 'voided']);
    // Over: no ping after the abort, and closing or aborting it again is refused by the SDK itself.
    const pings = proxy.to('POST', new RegExp(`^/finance/event/${session.eventId}/ping$`)).length;
    await sleep(TIMEOUT_SECONDS * 1000);
    expect(proxy.to('POST', new RegExp(`^/finance/event/${session.eventId}/ping$`)).length).toBe(pings);
    await expect(session.close()).rejects.toThrow('already aborted');
    await expect(session.abort()).rejects.toThrow('already aborted');
  });

  it('coffer.events.abort ends an event outside a session; an event not open is EventNotOpenError', async () => {
    const opened = await coffer.events.open();
    expect(await coffer.events.abort(opened.event_id)).toMatchObject({ event_id: opened.event_id, status: 'aborted' });
    expect(await caught(coffer.events.abort(opened.event_id))).toBeInstanceOf(EventNotOpenError);
    expect(await caught(coffer.events.abort(987654))).toBeInstanceOf(NotFoundError);
  });

  it('coffer.transactions.reverse moves a posted transaction back, in part and then the rest', async () => {
    const credit = await coffer.transactions.post({ user_id: 'reverse-player', type: 'credit', amount: 30n });
    const part = await coffer.transactions.reverse(credit.transaction_id, { amount: 10n, description: 'wrong payout' });
    expect(part).toMatchObject({ type: 'reversal', amount: '10', status: 'posted', reverses_transaction_id: credit.transaction_id });
    const rest = await coffer.transactions.reverse(credit.transaction_id);
    expect(rest).toMatchObject({ amount: '20', reverses_transaction_id: credit.transaction_id });
    const error = await caught(coffer.transactions.reverse(credit.transaction_id, { amount: 1 }));
    expect(error).toMatchObject({ code: 'LIMIT_EXCEEDED', status: 422, details: { reversible: '0' } });
  });

  it('ends the heartbeat on EVENT_NOT_OPEN (the event was closed elsewhere) and tells onError once', async () => {
    const errors: unknown[] = [];
    const session = await coffer.sessions.open({ onError: (error) => errors.push(error) });
    sessions.push(session);
    await coffer.events.close(session.eventId);
    // The next ping (within a third of the timeout) learns it is over.
    const deadline = Date.now() + TIMEOUT_SECONDS * 1000 * 2;
    while (session.state === 'open' && Date.now() < deadline) await sleep(50);
    expect(session.state).toBe('lost');
    expect(session.lastError).toBeInstanceOf(EventNotOpenError);
    expect(errors).toHaveLength(1);
    const pings = proxy.to('POST', new RegExp(`^/finance/event/${session.eventId}/ping$`)).length;
    await sleep(TIMEOUT_SECONDS * 1000);
    expect(proxy.to('POST', new RegExp(`^/finance/event/${session.eventId}/ping$`)).length).toBe(pings);
    // Posting into it is refused with the same class.
    expect(await caught(session.debit('someone', 1))).toBeInstanceOf(EventNotOpenError);
  });

  it('throws InsufficientFundsError for a refused debit, with code, status, details and correlation id, and changes nothing', async () => {
    await stack.grant(base, 'poor-player', 10);
    const session = await coffer.sessions.open({ description: 'too big a bet' });
    sessions.push(session);
    const error = await caught(session.debit('poor-player', 50));
    expect(error).toBeInstanceOf(InsufficientFundsError);
    expect(error).toMatchObject({ name: 'InsufficientFundsError', code: 'INSUFFICIENT_FUNDS', status: 422, attempts: 1 });
    expect(error.correlationId).toMatch(/^[0-9a-f-]{36}$/);
    // The correlation id is the one the request carried (what the gateway's logs are searched by).
    const sent = proxy.to('POST', /^\/finance\/transaction$/).at(-1);
    expect(sent?.headers['x-correlation-id']).toBe(error.correlationId);
    expect(sent?.status).toBe(422);
    expect(session.state).toBe('open');
    await session.close();
    expect(coins(await coffer.balances.get('poor-player', { consistency: 'strong' }))?.available).toBe('10');

    expect(await caught(coffer.events.get(999999))).toBeInstanceOf(NotFoundError);
    expect(await caught(coffer.transactions.post({ user_id: 'x', type: 'credit', amount: 1, currency: 'NOT A CURRENCY' }))).toBeInstanceOf(ValidationError);
  });

  it('rides out a gateway outage during a post: the answer is lost, the gateway goes away, another comes up, nothing is doubled', async () => {
    await stack.grant(base, 'outage-player', 100);
    let down = true;
    // Posts of this test only (earlier tests posted through the proxy too).
    const before = proxy.to('POST', /^\/finance\/transaction$/).length;
    const ours = () => proxy.to('POST', /^\/finance\/transaction$/).slice(before);
    proxy.plan = (method, path) => {
      if (method !== 'POST' || path !== '/finance/transaction') return 'forward';
      if (ours().length === 0) return 'cut-after-forward'; // the gateway posts the debit; its answer never arrives
      return down ? 'drop' : 'forward';
    };
    // Retries enough to outlast a gateway restart (each wait at most 1 s, 60 s in all).
    const posting = coffer.transactions.post(
      { user_id: 'outage-player', type: 'debit', amount: 40, description: 'during an outage' },
      { retry: { maxAttempts: 20, maxDelayMs: 1000, deadlineMs: 60000 } },
    );
    posting.catch(() => undefined); // awaited below; this only keeps Node from calling it unhandled meanwhile
    // The gateway has done the work (the debit is posted) and the proxy has cut its answer.
    await waitFor('the first attempt answered by the gateway', () => ours()[0]?.status !== undefined);
    const outageStarted = Date.now();
    // The gateway dies; while it is down every attempt finds a dead port behind the proxy.
    await stack.stopGateway(gateway);
    await sleep(800);
    ({ base, gateway } = await stack.startGateway());
    proxy.target = base;
    down = false;
    const posted = await posting;
    // The gateway was away for the 800 ms pause plus its restart; the call waited it out.
    expect(Date.now() - outageStarted).toBeGreaterThanOrEqual(800);

    const attempts = ours();
    expect(attempts.length).toBeGreaterThanOrEqual(3);
    expect(attempts[0].fault).toBe('cut-after-forward');
    expect(attempts[0].status).toBe(201);
    expect(new Set(attempts.map((a) => a.headers['idempotency-key'])).size).toBe(1);
    // The last attempt reached the new gateway, which answered the first outcome again.
    expect(attempts.at(-1)).toMatchObject({ fault: 'forward', status: 201, replayed: 'true' });
    expect(posted).toMatchObject({ user_id: 'outage-player', type: 'debit', amount: '40', status: 'posted' });

    // The debit happened exactly once.
    expect(coins(await coffer.balances.get('outage-player', { consistency: 'strong' }))).toMatchObject({ posted: '60', available: '60' });
    const debits = await coffer.transactions.list({ user_id: 'outage-player', type: 'debit' }).toArray();
    expect(debits.map((tx) => tx.transaction_id)).toEqual([posted.transaction_id]);
  });

  it('iterates a list across pages by cursor, newest first, with nothing missing or repeated', async () => {
    const posted: number[] = [];
    for (let i = 1; i <= 23; i++) {
      posted.push((await coffer.transactions.post({ user_id: 'many-player', type: 'credit', amount: i })).transaction_id);
    }
    const list = coffer.transactions.list({ user_id: 'many-player', limit: 10 });
    const seen: number[] = [];
    for await (const tx of list) seen.push(tx.transaction_id);
    expect(seen).toEqual([...posted].reverse());
    const pages: number[] = [];
    for await (const page of list.pages()) pages.push(page.data.length);
    expect(pages).toEqual([10, 10, 3]);
    expect(proxy.to('GET', /^\/finance\/transactions\?.*cursor=/).length).toBeGreaterThanOrEqual(4);
    // A break stops early; the first page resumes from its cursor.
    const first = await list.first();
    const rest = await coffer.transactions.list({ user_id: 'many-player', limit: 10, cursor: first.next_cursor ?? undefined }).toArray();
    expect([...first.data.map((tx) => tx.transaction_id), ...rest.map((tx) => tx.transaction_id)]).toEqual(seen);
  });

  it('carries a snowflake above 2^53 exactly, given as a bigint', async () => {
    const snowflake = 169015299834642432n;
    await stack.grant(base, snowflake.toString(), 100);
    const debit = await coffer.transactions.post({ user_id: snowflake, type: 'debit', amount: 15n });
    expect(debit.user_id).toBe('169015299834642432');
    const balance = await coffer.balances.get(snowflake, { consistency: 'strong' });
    expect(balance.user_id).toBe('169015299834642432');
    expect(coins(balance)?.available).toBe('85');
    // The neighbour JavaScript would have rounded it to has nothing.
    expect(coins(await coffer.balances.get('169015299834642430', { consistency: 'strong' }))?.posted ?? '0').toBe('0');
  });

  it('defines achievements, records progress, unlocks once with its reward, and lists badges and stats', async () => {
    const defined = await coffer.achievements.define({ key: 'natural_21', name: 'Natural 21', goal: 3, reward: { amount: 25n } });
    expect(defined).toMatchObject({ key: 'natural_21', goal: 3, reward: { amount: '25', currency: 'coins' } });
    expect(await coffer.achievements.define({ key: 'natural_21', name: 'Natural 21', goal: 3, reward: { amount: 25n } })).toMatchObject({ key: 'natural_21' });
    await coffer.achievements.define({ key: 'high_roller', name: 'High roller' });
    expect((await coffer.achievements.update('high_roller', { hidden: true })).hidden).toBe(true);

    expect(await coffer.achievements.progress('natural_21', { user_id: 'badge-player', increment: 2 })).toMatchObject({ progress: 2, unlocked: false });
    expect(await coffer.achievements.progress('natural_21', { user_id: 'badge-player', set: 9 })).toMatchObject({ progress: 3, unlocked: true });
    expect(await coffer.achievements.unlock('high_roller', 'badge-player')).toMatchObject({ progress: 1, unlocked: true });

    expect((await coffer.achievements.get('natural_21')).name).toBe('Natural 21');
    expect((await coffer.achievements.list({ limit: 1 }).toArray()).map((a) => a.key)).toEqual(['high_roller', 'natural_21']);
    const until = async <T>(probe: () => Promise<T>, done: (value: T) => boolean) => {
      const deadline = Date.now() + 10000;
      for (;;) {
        const value = await probe();
        if (done(value) || Date.now() > deadline) return value;
        await sleep(100);
      }
    };
    const badges = await until(() => coffer.achievements.listForUser('badge-player', { limit: 1 }).toArray(), (list) => list.length === 2);
    expect(badges.map((b) => [b.key, b.unlocked])).toEqual([
      ['high_roller', true],
      ['natural_21', true],
    ]);
    const stats = await until(() => coffer.achievements.stats('natural_21'), (s) => s.unlocked_count === 1);
    expect(stats).toMatchObject({ key: 'natural_21', users_with_progress: 1, unlocked_count: 1 });
    // The reward was credited exactly once.
    const reward = await until(() => coffer.balances.get('badge-player', { consistency: 'strong' }), (b) => coins(b)?.posted === '25');
    expect(coins(reward)?.posted).toBe('25');
    expect(await caught(coffer.achievements.get('missing'))).toBeInstanceOf(NotFoundError);
  });
  it('reads a balance at a time, a statement as JSON and CSV, and the leaderboards', async () => {
    await stack.grant(base, 'ledger-reader', 50);
    const spent = await coffer.transactions.post({ user_id: 'ledger-reader', type: 'debit', amount: 20 });
    const before = new Date(Date.parse(spent.created_at) - 1);
    // Reads from the read models wait for the app's own writes (read-your-writes), so no polling.
    expect(coins(await coffer.balances.get('ledger-reader', { at: before }))?.posted).toBe('50');
    expect(coins(await coffer.balances.get('ledger-reader', { at: spent.created_at }))?.posted).toBe('30');

    const statement = await coffer.statements.get('ledger-reader');
    expect(statement).toMatchObject({ user_id: 'ledger-reader', currency: 'coins', opening_balance: '0', closing_balance: '30' });
    expect(statement.movements.map((m) => [m.type, m.amount, m.balance])).toEqual([
      ['grant', '50', '50'],
      ['debit', '-20', '30'],
    ]);
    const csv = (await coffer.statements.csv('ledger-reader', { from: spent.created_at })).split('\r\n');
    expect(csv[0]).toBe('posted_at,transaction_id,event_id,type,amount,balance,description,reverses_transaction_id');
    expect(csv[1]).toBe(`${spent.created_at},,,opening_balance,,50,,`); // the opening balance stands at `from`
    expect(csv[2]).toBe(`${spent.created_at},${spent.transaction_id},,debit,-20,30,,`);

    const board = await coffer.leaderboards.balances({ limit: 100 });
    expect(board.find((rank) => rank.user_id === 'ledger-reader')).toEqual({ rank: expect.any(Number), user_id: 'ledger-reader', value: '30' });
    expect(board.every((rank, i) => i === 0 || BigInt(board[i - 1].value) >= BigInt(rank.value))).toBe(true);
    expect(Array.isArray(await coffer.leaderboards.achievements({ limit: 1 }))).toBe(true);
    expect(await caught(coffer.leaderboards.balances({ limit: 101 }))).toBeInstanceOf(ValidationError);
  });
});
