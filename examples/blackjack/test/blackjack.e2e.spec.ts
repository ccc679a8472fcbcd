/**
 * The blackjack example against a real Coffer (gateway, ledger, achievements, projector over
 * PostgreSQL and NATS: the SDK's test stack), over real sockets: whole rounds move exactly the
 * stake and the payout, a bet beyond the balance is refused in the table's words, and a table
 * killed mid-round (the built game, run as its own process) leaves the player refunded once the
 * round's event expires.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Coffer, webhookSignatureHeader, type BalanceLine } from '@coffer/sdk';
import { ADMIN_TOKEN } from '../../../services/gateway/test/gateway-harness';
import { FlakyProxy } from '../../../libs/sdk/test/flaky-proxy';
import { SdkStack } from '../../../libs/sdk/test/sdk-stack';
import type { Card } from '../src/cards';
import { createGameServer } from '../src/http-server';
import { deal } from '../src/rules';
import { shuffledDeck } from '../src/cards';
import { Table, type RoundView } from '../src/table';
import { WebhookReceiver } from '../src/webhook-receiver';

jest.setTimeout(120000);

/** The stack's finance-event timeout: a crashed round is refunded after about this long. */
const TIMEOUT_SECONDS = 2;
const WEBHOOK_SECRET = 'whsec_blackjack_test_secret';
const EXAMPLE = join(__dirname, '..');
const MAIN = join(EXAMPLE, 'dist', 'main.js');

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A stacked deck, dealt player, dealer, player, dealer, then the rest in order. */
const stacked = (...ranks: Card['rank'][]): Card[] => ranks.map((rank) => ({ rank, suit: '♥' }));

interface Reply<T = Record<string, unknown>> {
  status: number;
  body: T & { error?: { code: string; message: string; details?: Record<string, unknown> } };
}

async function call<T = RoundView>(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply<T>> {
  const response = await fetch(base + path, {
    method,
    headers: body === undefined ? headers : { 'Content-Type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(30000),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : {} };
}

describe('the blackjack example against a real Coffer', () => {
  let stack: SdkStack;
  let coffer: Coffer;
  let appKey: string;
  let cofferUrl: string;
  let server: Server;
  let game: string;
  let table: Table;
  const decks: Card[][] = [];
  const logLines: string[] = [];

  /** The player's coins line, from the ledger itself. */
  async function coins(player: string): Promise<BalanceLine> {
    const { balances } = await coffer.balances.get(player, { consistency: 'strong' });
    const line = balances.find((balance) => balance.currency === 'coins');
    return line ?? { currency: 'coins', available: '0', posted: '0', pending_debit: '0', pending_credit: '0' };
  }

  beforeAll(async () => {
    stack = await SdkStack.start('blackjack_e2e', TIMEOUT_SECONDS);
    ({ base: cofferUrl } = await stack.startGateway());
    appKey = await stack.newApp(cofferUrl, 'Blackjack');
    coffer = new Coffer({ baseUrl: cofferUrl, apiKey: appKey });
    table = new Table({
      coffer,
      deckForRound: () => decks.shift() ?? shuffledDeck(),
      log: (line) => logLines.push(line),
    });
    const webhooks = new WebhookReceiver({ secret: WEBHOOK_SECRET, log: (line) => logLines.push(line), remembered: 3 });
    server = createGameServer({ table, webhooks, log: (line) => logLines.push(line) });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    game = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    table?.abandonAll();
    await new Promise((resolve) => server?.close(resolve));
    await stack?.close();
  });

  describe('a whole round moves exactly the stake and the payout', () => {
    it.each([
      // [what, deck, moves, outcome, payout, net change of a 30-coin bet]
      ['a win on standing', stacked('10', '9', '9', '8'), ['stand'], 'win', '60', 30],
      ['a push', stacked('10', '9', '8', '9'), ['stand'], 'push', '30', 0],
      ['a bust', stacked('10', '9', '6', '8', 'K'), ['hit'], 'lose', '0', -30],
      ['a loss to the dealer after a hit', stacked('5', '10', '4', '9', '8'), ['hit', 'stand'], 'lose', '0', -30],
      ['a natural, settled at the deal', stacked('A', '9', 'K', '8'), [], 'blackjack', '75', 45],
    ] as const)('%s', async (what, deck, moves, outcome, payout, net) => {
      const player = `p-${what.replace(/[^a-z]+/g, '-')}`;
      await stack.grant(cofferUrl, player, 100);
      decks.push([...deck]);

      const started = await call(game, 'POST', '/rounds', { player, bet: 30 });
      expect(started.status).toBe(201);
      const roundId = started.body.round_id;
      if (moves.length > 0) {
        expect(started.body).toMatchObject({ status: 'playing', outcome: null, moves: ['hit', 'stand'] });
        expect(started.body.dealer_hand).toEqual({ cards: [expect.any(String), '??'], total: null });
        // The stake is held while the round is played: not spendable, not yet gone.
        expect(await coins(player)).toMatchObject({ posted: '100', available: '70', pending_debit: '30' });
      }
      let round = started.body;
      for (const move of moves) {
        const moved = await call(game, 'POST', `/rounds/${roundId}/${move}`);
        expect(moved.status).toBe(200);
        round = moved.body;
      }
      expect(round).toMatchObject({ round_id: roundId, status: 'settled', outcome, bet: '30', payout, moves: [] });

      // Closed: everything posted, nothing held, exactly the net change.
      expect(await coins(player)).toMatchObject({ posted: String(100 + net), available: String(100 + net), pending_debit: '0', pending_credit: '0' });
      const event = await coffer.events.get(roundId, { consistency: 'strong' });
      expect(event.status).toBe('closed');
      const moved = event.transactions.map((tx) => [tx.type, tx.amount, tx.status]);
      expect(moved).toEqual(payout === '0' ? [['debit', '30', 'posted']] : [['debit', '30', 'posted'], ['credit', payout, 'posted']]);
      expect((await call(game, 'GET', `/rounds/${roundId}`)).body).toEqual(round);
    });

    it('keeps a snowflake player exact and shows the balance through the table', async () => {
      const player = '169015299834642432';
      await stack.grant(cofferUrl, player, 50);
      decks.push(stacked('10', '9', '9', '8'));
      const round = await call(game, 'POST', '/rounds', { player, bet: '10' });
      expect(round.body).toMatchObject({ player, status: 'playing' });
      expect((await call(game, 'POST', `/rounds/${round.body.round_id}/stand`)).body).toMatchObject({ outcome: 'win', payout: '20' });
      const balance = await call<{ user_id: string; balances: BalanceLine[] }>(game, 'GET', `/players/${player}/balance`);
      expect(balance.status).toBe(200);
      expect(balance.body).toMatchObject({ user_id: player, balances: [expect.objectContaining({ currency: 'coins', posted: '60', available: '60' })] });
    });
  });

  it('refuses a bet beyond the balance with a clear message, holds nothing, and takes the next bet', async () => {
    const player = 'short-stack';
    await stack.grant(cofferUrl, player, 20);
    const refused = await call(game, 'POST', '/rounds', { player, bet: 21 });
    expect(refused.status).toBe(422);
    expect(refused.body.error).toEqual({
      code: 'INSUFFICIENT_FUNDS',
      message: 'short-stack cannot bet 21: only 20 coins available',
      details: { available: '20', bet: '21' },
    });
    expect(await coins(player)).toMatchObject({ posted: '20', available: '20', pending_debit: '0' });

    // The refused bet's round was closed, not left open, and the player's seat is free again.
    decks.push(stacked('10', '9', '8', '9'));
    const next = await call(game, 'POST', '/rounds', { player, bet: 20 });
    expect(next.status).toBe(201);
    expect(await coins(player)).toMatchObject({ available: '0', pending_debit: '20' });
    const refusedEvent = await coffer.events.get(next.body.round_id - 1, { consistency: 'strong' });
    expect(refusedEvent).toMatchObject({ status: 'closed', transactions: [] });
    expect((await call(game, 'POST', `/rounds/${next.body.round_id}/stand`)).body).toMatchObject({ outcome: 'push', payout: '20' });
    expect(await coins(player)).toMatchObject({ posted: '20', available: '20' });
  });

  describe("when Coffer's answers are lost", () => {
    // A second table whose Coffer calls pass a proxy that can let a request reach the gateway and
    // then cut the connection, on every attempt: the SDK ends with a NetworkError (outcome unknown).
    let proxy: FlakyProxy;
    let cutTable: Table;
    let cutServer: Server;
    let cutGame: string;
    const cutting = (path: RegExp, times: number) => {
      let left = times;
      proxy.plan = (method, url) => (method === 'POST' && path.test(url) && left-- > 0 ? 'cut-after-forward' : 'forward');
    };

    beforeAll(async () => {
      proxy = await FlakyProxy.start(cofferUrl);
      cutTable = new Table({
        coffer: new Coffer({ baseUrl: proxy.url, apiKey: appKey, retry: { maxAttempts: 2, baseDelayMs: 10 } }),
        deckForRound: () => decks.shift() ?? shuffledDeck(),
        log: (line) => logLines.push(line),
      });
      cutServer = createGameServer({ table: cutTable, log: (line) => logLines.push(line) });
      await new Promise<void>((resolve) => cutServer.listen(0, '127.0.0.1', resolve));
      cutGame = `http://127.0.0.1:${(cutServer.address() as AddressInfo).port}`;
    });

    afterAll(async () => {
      cutTable?.abandonAll();
      await new Promise((resolve) => cutServer?.close(resolve));
      await proxy?.close();
    });

    it('leaves a bet whose answer was lost to expire rather than closing it: refunded, never charged for an undealt round', async () => {
      const player = 'lost-bet';
      await stack.grant(cofferUrl, player, 100);
      cutting(/^\/finance\/transaction$/, 2);
      const reply = await call(cutGame, 'POST', '/rounds', { player, bet: 25 });
      expect([reply.status, reply.body.error?.code]).toEqual([503, 'COFFER_UNAVAILABLE']);
      // The debit did land, pending; nothing closed the event.
      expect(await coins(player)).toMatchObject({ posted: '100', available: '75', pending_debit: '25' });
      expect(proxy.passed.filter((passed) => passed.path.endsWith('/close'))).toEqual([]);
      const deadline = Date.now() + TIMEOUT_SECONDS * 1000 * 5;
      while ((await coins(player)).available !== '100' && Date.now() < deadline) await sleep(50);
      expect(await coins(player)).toMatchObject({ posted: '100', available: '100', pending_debit: '0' });
    });

    it('settles a round again on the next move after the payout\'s and the close\'s answers were lost, paying once', async () => {
      const player = 'lost-payout';
      await stack.grant(cofferUrl, player, 100);
      decks.push(stacked('10', '9', '9', '8'));
      const round = await call(cutGame, 'POST', '/rounds', { player, bet: 30 });
      expect(round.status).toBe(201);

      cutting(/^\/finance\/transaction$/, 2);
      const lostCredit = await call(cutGame, 'POST', `/rounds/${round.body.round_id}/stand`);
      expect([lostCredit.status, lostCredit.body.error?.code]).toEqual([503, 'COFFER_UNAVAILABLE']);
      expect((await call(cutGame, 'GET', `/rounds/${round.body.round_id}`)).body).toMatchObject({ status: 'settling', outcome: 'win', payout: null });

      cutting(/\/close$/, 2);
      const lostClose = await call(cutGame, 'POST', `/rounds/${round.body.round_id}/stand`);
      expect([lostClose.status, lostClose.body.error?.code]).toEqual([503, 'COFFER_UNAVAILABLE']);

      const settled = await call(cutGame, 'POST', `/rounds/${round.body.round_id}/stand`);
      expect(settled.body).toMatchObject({ status: 'settled', outcome: 'win', payout: '60' });
      expect(await coins(player)).toMatchObject({ posted: '130', available: '130', pending_debit: '0', pending_credit: '0' });
      const event = await coffer.events.get(round.body.round_id, { consistency: 'strong' });
      expect(event.transactions.map((tx) => [tx.type, tx.amount, tx.status])).toEqual([['debit', '30', 'posted'], ['credit', '60', 'posted']]);
    });
  });

  it('answers bad requests with a 4xx and a stable code, never a 500', async () => {
    await stack.grant(cofferUrl, 'busy-player', 100);
    decks.push(stacked('10', '9', '8', '9'));
    const playing = await call(game, 'POST', '/rounds', { player: 'busy-player', bet: 5 });
    expect(playing.status).toBe(201);
    const roundId = playing.body.round_id;
    const cases: Array<[string, string, unknown, number, string]> = [
      ['POST', '/rounds', { player: 'busy-player', bet: 5 }, 409, 'ROUND_IN_PROGRESS'],
      ['POST', '/rounds', { player: 'x', bet: 0 }, 400, 'VALIDATION_FAILED'],
      ['POST', '/rounds', { player: 'x', bet: 1.5 }, 400, 'VALIDATION_FAILED'],
      ['POST', '/rounds', { player: 'x', bet: '-3' }, 400, 'VALIDATION_FAILED'],
      ['POST', '/rounds', { player: 'x', bet: 1_000_001 }, 400, 'VALIDATION_FAILED'],
      ['POST', '/rounds', { player: 169015299834642432, bet: 5 }, 400, 'VALIDATION_FAILED'],
      ['POST', '/rounds', { player: 'no spaces', bet: 5 }, 400, 'VALIDATION_FAILED'],
      ['POST', '/rounds', '{"player":', 400, 'MALFORMED_JSON'],
      ['POST', '/rounds', '[1,2]', 400, 'VALIDATION_FAILED'],
      ['POST', '/rounds', { player: 'x', bet: 5, pad: 'x'.repeat(5000) }, 413, 'PAYLOAD_TOO_LARGE'],
      ['POST', '/rounds/999999/hit', undefined, 404, 'NOT_FOUND'],
      ['POST', '/rounds/abc/stand', undefined, 404, 'NOT_FOUND'],
      ['GET', '/rounds/1e3', undefined, 404, 'NOT_FOUND'],
      ['DELETE', `/rounds/${roundId}`, undefined, 405, 'METHOD_NOT_ALLOWED'],
      ['GET', '/nowhere', undefined, 404, 'NOT_FOUND'],
      ['GET', '/players/%E0%A4%A/balance', undefined, 400, 'VALIDATION_FAILED'],
      ['GET', '/players/no%20spaces/balance', undefined, 400, 'VALIDATION_FAILED'],
    ];
    for (const [method, path, body, status, code] of cases) {
      const reply = await call(game, method, path, body);
      expect([method, path, reply.status, reply.body.error?.code]).toEqual([method, path, status, code]);
      expect(reply.body.error?.message).toEqual(expect.any(String));
    }
    expect((await call(game, 'POST', `/rounds/${roundId}/stand`)).body).toMatchObject({ status: 'settled' });
    const over = await call(game, 'POST', `/rounds/${roundId}/hit`);
    expect([over.status, over.body.error?.code]).toEqual([409, 'ROUND_OVER']);
    expect(logLines.filter((line) => / 500 /.test(line))).toEqual([]);
  });

  describe('webhook deliveries', () => {
    const deliver = async (body: string, signature?: string) =>
      call(game, 'POST', '/coffer/webhooks', body, signature === undefined ? {} : { 'Coffer-Signature': signature });
    const now = () => Math.floor(Date.now() / 1000);

    it('logs a verified delivery once, however often it comes', async () => {
      const body = JSON.stringify({
        id: 'dlv_1',
        type: 'transaction.voided',
        occurred_at: new Date().toISOString(),
        data: { event_id: 12, user_id: 'crashed-player', type: 'debit', amount: '40', currency: 'coins' },
      });
      const signature = await webhookSignatureHeader(body, WEBHOOK_SECRET, now());
      expect((await deliver(body, signature)).status).toBe(204);
      expect((await deliver(body, signature)).status).toBe(204);
      const unlock = JSON.stringify({ id: 'dlv_2', type: 'achievement.unlocked', occurred_at: '', data: { key: 'first-win', user_id: 'p1' } });
      expect((await deliver(unlock, await webhookSignatureHeader(unlock, WEBHOOK_SECRET, now()))).status).toBe(204);
      expect(logLines.filter((line) => line.startsWith('webhook dlv_'))).toEqual([
        'webhook dlv_1: transaction.voided: the debit of 40 coins for crashed-player in round 12 was voided (a bet refunded)',
        'webhook dlv_1: transaction.voided again (already handled)',
        'webhook dlv_2: achievement.unlocked: p1 unlocked first-win',
      ]);
    });

    it('refuses what Coffer did not sign, or signed too long ago, with a 400 and acts on none of it', async () => {
      const body = JSON.stringify({ id: 'dlv_forged', type: 'event.expired', occurred_at: '', data: { event_id: 1 } });
      const cases: Array<[string | undefined, string]> = [
        [undefined, 'MALFORMED_HEADER'],
        ['t=abc,v1=00', 'MALFORMED_HEADER'],
        [await webhookSignatureHeader(body, 'another-secret', now()), 'SIGNATURE_MISMATCH'],
        [await webhookSignatureHeader(body + ' ', WEBHOOK_SECRET, now()), 'SIGNATURE_MISMATCH'],
        [await webhookSignatureHeader(body, WEBHOOK_SECRET, now() - 600), 'STALE_TIMESTAMP'],
      ];
      for (const [signature, reason] of cases) {
        const reply = await deliver(body, signature);
        expect([reply.status, reply.body.error?.code, reply.body.error?.details]).toEqual([400, 'WEBHOOK_REFUSED', { reason }]);
      }
      const huge = 'x'.repeat(70 * 1024);
      expect((await deliver(huge, await webhookSignatureHeader(huge, WEBHOOK_SECRET, now()))).status).toBe(413);
      expect(logLines.some((line) => line.startsWith('webhook dlv_forged'))).toBe(false);
    });
  });

  describe('the table as its own process', () => {
    const children: ChildProcess[] = [];
    beforeAll(() => {
      // What `npm run blackjack` runs: the compiled table (kept out of tsconfig.build.json, so the
      // services' image never builds an example). Incremental: a no-op when nothing changed.
      const built = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-b', EXAMPLE], { encoding: 'utf8', timeout: 120000 });
      if (built.status !== 0) throw new Error(`tsc -b examples/blackjack failed: ${built.stdout}${built.stderr}${built.error ?? ''}`);
    });
    afterAll(() => {
      for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    });

    /** Runs the built game with only these settings; answers the process and everything it printed. */
    function startTable(env: Record<string, string>) {
      const child = spawn(process.execPath, [MAIN], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(child);
      const output: string[] = [];
      for (const stream of [child.stdout!, child.stderr!]) createInterface({ input: stream }).on('line', (line) => output.push(line));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      return { child, output, exited };
    }

    async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, ms: number): Promise<T> {
      const deadline = Date.now() + ms;
      for (;;) {
        const value = await probe();
        if (value !== undefined) return value;
        if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
        await sleep(50);
      }
    }

    it('says what it needs when it has neither an app key nor the admin token', async () => {
      const { output, exited } = startTable({ COFFER_URL: cofferUrl });
      expect(await exited).toBe(1);
      expect(output.join('\n')).toContain('The table needs a Coffer app key: set COFFER_API_KEY, or COFFER_ADMIN_TOKEN');
    });

    it(`registers itself and its webhook, and a round it dies in is refunded once the event expires (${TIMEOUT_SECONDS} s), which the restarted table hears`, async () => {
      // A seed whose first deal leaves the player to play: the round is still open when the table dies.
      let seed = 1;
      while (deal(shuffledDeck(seed, 0)).outcome !== null) seed++;
      const { child, output, exited } = startTable({ COFFER_URL: cofferUrl, COFFER_ADMIN_TOKEN: ADMIN_TOKEN, BLACKJACK_PORT: '0', BLACKJACK_SEED: String(seed) });
      const url = await waitFor('the table is up', () => output.map((line) => /^Blackjack is up: (http:\S+)/.exec(line)?.[1]).find(Boolean), 20000);
      const registered = /^Registered the app \S+; to reuse it next time: COFFER_API_KEY=(ck_\S+)$/.exec(output[0]);
      expect(registered).not.toBeNull();
      const hooked = /^Registered webhook \d+ at (http:\S+); to keep it across restarts: COFFER_WEBHOOK_SECRET=(whsec_\S+) BLACKJACK_PORT=(\d+)$/.exec(output[1]);
      expect(hooked).not.toBeNull();
      expect(hooked![1]).toBe(`${url}/coffer/webhooks`);
      // Its events are its app's: read them with its key.
      const asTheTable = new Coffer({ baseUrl: cofferUrl, apiKey: registered![1] });

      const player = 'crash-player';
      await stack.grant(cofferUrl, player, 100);
      const round = await call(url, 'POST', '/rounds', { player, bet: 40 });
      expect(round.status).toBe(201);
      expect(round.body.status).toBe('playing');
      expect(await coins(player)).toMatchObject({ posted: '100', available: '60', pending_debit: '40' });

      // The table dies mid-round: nothing closes the event, nothing pings it.
      child.kill('SIGKILL');
      await exited;
      const killedAt = Date.now();
      const refunded = await waitFor(
        'the stake is refunded',
        async () => ((await coins(player)).available === '100' ? Date.now() : undefined),
        TIMEOUT_SECONDS * 1000 * 5,
      );
      expect(await coins(player)).toMatchObject({ posted: '100', available: '100', pending_debit: '0' });
      const event = await asTheTable.events.get(round.body.round_id, { consistency: 'strong' });
      expect(event.status).toBe('expired');
      expect(event.transactions.map((tx) => [tx.type, tx.amount, tx.status])).toEqual([['debit', '40', 'voided']]);
      // Not before the event's timeout: the SDK's last ping bought at most one more timeout.
      expect(Date.parse(event.expired_at!)).toBeGreaterThanOrEqual(Date.parse(event.opened_at) + TIMEOUT_SECONDS * 1000);
      console.log(`crash refund: ${refunded - killedAt} ms after the kill (event timeout ${TIMEOUT_SECONDS} s)`);

      // Restarted with its key, its webhook's secret and its port, the table receives what Coffer
      // kept retrying while it was down: the round's expiry and the stake's refund, verified.
      const again = startTable({ COFFER_URL: cofferUrl, COFFER_API_KEY: registered![1], COFFER_WEBHOOK_SECRET: hooked![2], BLACKJACK_PORT: hooked![3] });
      const roundId = round.body.round_id;
      const heard = await waitFor(
        'the restarted table logs the expiry and the refund',
        () => {
          const lines = again.output.filter((line) => line.startsWith('webhook '));
          return lines.length >= 2 ? lines : undefined;
        },
        20000,
      );
      expect(again.output[0]).toMatch(/^Blackjack is up: /);
      expect(heard.map((line) => line.replace(/^webhook \S+: /, ''))).toEqual([
        `transaction.voided: the debit of 40 coins for ${player} in round ${roundId} was voided (a bet refunded)`,
        `event.expired: round ${roundId} was never closed (did the game crash?); Coffer voided what it left pending`,
      ]);
    });
  });
});
