/**
 * Issue 13's reads through the gateway, on a real ledger, projector, achievements service and
 * PostgreSQL: a balance at a point in time, a statement as JSON and CSV (and its bound), and the
 * balance and achievement leaderboards. Each answer is checked against the money the test moved.
 */
import type { INestMicroservice } from '@nestjs/common';
import { MAX_STATEMENT_MOVEMENTS } from '@coffer/contracts';
import { startAchievements } from '../../achievements/test/achievements-harness';
import { ApiClient } from './api-client';
import { ADMIN_TOKEN, Stack, until } from './gateway-harness';

jest.setTimeout(120000);

const ALICE = 'reads-alice';
const BOB = 'reads-bob';
const CAROL = 'reads-carol';

describe('balances at a time, statements and leaderboards through the gateway', () => {
  let stack: Stack;
  let achievements: INestMicroservice;
  /** The app's client and the admin's, straight through the in-process gateway. */
  let app: ApiClient;
  let admin: ApiClient;
  /** Times the test moved money at, from the ledger's own answers. */
  const times: Record<string, string> = {};

  beforeAll(async () => {
    stack = await Stack.start('gateway_economy_reads');
    achievements = await startAchievements(stack.env);
    app = ApiClient.inject(stack.gateway, (await stack.registerApp('Economy Reads')).api_key);
    admin = app.as(ADMIN_TOKEN);
    times.granted = (await admin.grant({ user_id: ALICE, amount: 100, description: 'welcome' })).reply.created_at;
    expect((await admin.grant({ user_id: BOB, amount: 60 })).status).toBe(201);
    expect((await admin.grant({ user_id: CAROL, amount: 60 })).status).toBe(201);
    const round = (await app.openEvent({ description: 'round' })).reply.event_id;
    times.held = (await app.postTransaction({ user_id: ALICE, event_id: round, type: 'debit', amount: 30 })).reply.created_at;
    times.closed = (await app.closeEvent(round)).reply.closed_at;
    times.sent = (await app.transfer({ from_user_id: ALICE, to_user_id: BOB, amount: 10, description: 'a, "quoted"\nline' })).reply.created_at;
  });

  afterAll(async () => {
    await achievements?.close();
    await stack?.close();
  });

  describe('GET /finance/balance/:user_id?at=', () => {
    it('answers the balances as they stood at each time', async () => {
      const line = async (at: string) => (await app.balance(ALICE, { at })).reply.balances[0];
      expect(await line('2001-01-01')).toEqual({ currency: 'coins', available: '0', posted: '0', pending_debit: '0', pending_credit: '0' });
      expect(await line(times.granted)).toMatchObject({ available: '100', posted: '100', pending_debit: '0' });
      expect(await line(times.held)).toMatchObject({ available: '70', posted: '100', pending_debit: '30' });
      expect(await line(times.closed)).toMatchObject({ available: '70', posted: '70', pending_debit: '0' });
      expect(await line('9999-12-31')).toMatchObject({ available: '60', posted: '60' });
    });

    it('refuses at with consistency=strong: the ledger keeps only the present', async () => {
      const answer = await app.balance(ALICE, { at: '2026-01-01', consistency: 'strong' });
      expect(answer.status).toBe(400);
      expect(answer.error).toMatchObject({ code: 'VALIDATION_FAILED', details: { fields: { at: [expect.stringMatching(/consistency=strong/)] } } });
    });
  });

  describe('GET /finance/statement/:user_id', () => {
    it('states the opening balance, every posted movement with its running balance, and the closing balance', async () => {
      const answer = await app.statement(ALICE);
      expect(answer.status).toBe(200);
      expect(answer.reply).toEqual({
        user_id: ALICE,
        currency: 'coins',
        from: null,
        to: null,
        opening_balance: '0',
        movements: [
          expect.objectContaining({ type: 'grant', amount: '100', balance: '100', description: 'welcome', event_id: null, posted_at: times.granted }),
          expect.objectContaining({ type: 'debit', amount: '-30', balance: '70', event_id: expect.any(Number), posted_at: times.closed }),
          expect.objectContaining({ type: 'transfer', amount: '-10', balance: '60', posted_at: times.sent }),
        ],
        closing_balance: '60',
      });
      const bob = await app.statement(BOB, { currency: 'coins' });
      expect(bob.reply.movements.map((m) => [m.amount, m.balance])).toEqual([
        ['60', '60'],
        ['10', '70'],
      ]);
    });

    it('bounds the period: movements at or after from and before to', async () => {
      const answer = await app.statement(ALICE, { from: times.closed, to: times.sent });
      expect(answer.reply).toMatchObject({ from: times.closed, to: times.sent, opening_balance: '100', closing_balance: '70' });
      expect(answer.reply.movements.map((m) => m.amount)).toEqual(['-30']);
      const refused = await app.statement(ALICE, { from: '2026-02-01', to: '2026-01-01' });
      expect(refused.status).toBe(400);
      expect(refused.fieldErrors).toHaveProperty('to');
    });

    it('answers CSV with a header row, the opening balance first and the closing balance last', async () => {
      const response = await app.statement(ALICE, { format: 'csv' });
      expect(response.status).toBe(200);
      expect(response.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(response.headers['content-disposition']).toBe(`attachment; filename="statement-${ALICE}-coins.csv"`);
      const lines = response.text.split('\r\n');
      expect(lines[0]).toBe('posted_at,transaction_id,event_id,type,amount,balance,description,reverses_transaction_id');
      expect(lines[1]).toBe(',,,opening_balance,,0,,');
      expect(lines[2]).toMatch(new RegExp(`^${times.granted},\\d+,,grant,100,100,welcome,$`));
      expect(lines[3]).toMatch(new RegExp(`^${times.closed},\\d+,\\d+,debit,-30,70,,$`));
      // The transfer's description holds a comma, quotes and a line break: one quoted field.
      expect(response.text).toMatch(new RegExp(`${times.sent},\\d+,,transfer,-10,60,"a, ""quoted""\nline",\r\n,,,closing_balance,,60,,\r\n$`));
    });

    it(`refuses a period of more than ${MAX_STATEMENT_MOVEMENTS} movements with LIMIT_EXCEEDED and where to split it`, async () => {
      // As many posted movements as the bound allows, plus one, written into the serving read
      // models (the fold itself is tested in libs/read-models; 10,001 requests would take minutes).
      const pool = stack.database.pool();
      try {
        await pool.query(
          `INSERT INTO coffer_read.balance_history
             SELECT 'default', 'user:reads-whale', 'coins', 1000000 + i, 1000000 + i, 'posted', timestamptz '2030-01-01' + i * interval '1 second', 1, i, 0, 0
               FROM generate_series(1, $1::int) AS i`,
          [MAX_STATEMENT_MOVEMENTS + 1],
        );
        await pool.query(
          `INSERT INTO coffer_read.transactions (realm, transaction_id, type, user_id, debit_account, credit_account, amount, currency, status, created_at, global_position)
             SELECT 'default', 1000000 + i, 'grant', 'reads-whale', 'treasury', 'user:reads-whale', 1, 'coins', 'posted', timestamptz '2030-01-01' + i * interval '1 second', 1000000 + i
               FROM generate_series(1, $1::int) AS i`,
          [MAX_STATEMENT_MOVEMENTS + 1],
        );
      } finally {
        await pool.end();
      }
      const splitAt = new Date(Date.UTC(2030, 0, 1) + (MAX_STATEMENT_MOVEMENTS + 1) * 1000).toISOString();
      const over = await app.statement('reads-whale');
      expect(over.status).toBe(422);
      expect(over.error).toMatchObject({
        code: 'LIMIT_EXCEEDED',
        details: { limit: 'statement_movements', maximum: MAX_STATEMENT_MOVEMENTS, split_at: splitAt },
      });
      const fits = await app.statement('reads-whale', { to: splitAt });
      expect(fits.status).toBe(200);
      expect(fits.reply.movements).toHaveLength(MAX_STATEMENT_MOVEMENTS);
      expect(fits.reply.closing_balance).toBe(String(MAX_STATEMENT_MOVEMENTS));
      const rest = await app.statement('reads-whale', { from: splitAt });
      expect(rest.reply).toMatchObject({ opening_balance: String(MAX_STATEMENT_MOVEMENTS), closing_balance: String(MAX_STATEMENT_MOVEMENTS + 1) });
      expect(rest.reply.movements).toHaveLength(1);
    });
  });

  describe('GET /leaderboards', () => {
    it('ranks wallets by posted balance, ties sharing a rank, with no house account or treasury', async () => {
      const answer = await app.balanceLeaderboard({ currency: 'coins', limit: 3 });
      expect(answer.status).toBe(200);
      // The whale's planted history above is not in accounts: it never held money in this ledger.
      expect(answer.reply).toEqual({
        data: [
          { rank: 1, user_id: BOB, value: '70' },
          { rank: 2, user_id: ALICE, value: '60' },
          { rank: 2, user_id: CAROL, value: '60' },
        ],
      });
      expect((await app.balanceLeaderboard({ limit: 1 })).reply.data).toEqual([{ rank: 1, user_id: BOB, value: '70' }]);
      expect((await app.balanceLeaderboard({ currency: 'gems' })).reply).toEqual({ data: [] });
    });

    it('ranks users by achievements unlocked across every app', async () => {
      expect((await app.registerAchievement({ key: 'first', name: 'First' })).status).toBe(201);
      expect((await app.registerAchievement({ key: 'second', name: 'Second' })).status).toBe(201);
      for (const [user, key] of [[ALICE, 'first'], [ALICE, 'second'], [BOB, 'first'], [CAROL, 'first']]) {
        expect((await app.unlock(key, { user_id: user })).status).toBe(200);
      }
      const board = await until(
        () => app.achievementLeaderboard(),
        (answer) => answer.status === 200 && answer.reply.data.length === 3,
      );
      expect(board.reply).toEqual({
        data: [
          { rank: 1, user_id: ALICE, value: 2 },
          { rank: 2, user_id: BOB, value: 1 },
          { rank: 2, user_id: CAROL, value: 1 },
        ],
      });
    });

    it('asks for an app key', async () => {
      const stranger = app.as('not-a-key');
      expect((await stranger.balanceLeaderboard()).status).toBe(401);
      expect((await stranger.statement(ALICE)).status).toBe(401);
    });
  });

  it('documents the routes at /docs', async () => {
    const { paths, components } = (await admin.openApi()).reply;
    expect(Object.keys(paths)).toEqual(
      expect.arrayContaining(['/finance/balance/{user_id}', '/finance/statement/{user_id}', '/leaderboards/balances', '/leaderboards/achievements']),
    );
    const names = (path: string) => paths[path].get.parameters.map((parameter: { name: string }) => parameter.name);
    expect(names('/finance/balance/{user_id}')).toEqual(expect.arrayContaining(['at', 'consistency', 'min_position']));
    expect(names('/finance/statement/{user_id}')).toEqual(expect.arrayContaining(['currency', 'from', 'to', 'format', 'min_position']));
    expect(names('/leaderboards/balances')).toEqual(expect.arrayContaining(['currency', 'limit']));
    expect(Object.keys(paths['/finance/statement/{user_id}'].get.responses['200'].content)).toEqual(['application/json', 'text/csv']);
    expect(paths['/finance/statement/{user_id}'].get.responses).toHaveProperty('422');
    expect(components.schemas.StatementView.required).toEqual(
      expect.arrayContaining(['opening_balance', 'movements', 'closing_balance']),
    );
    expect(components.schemas.BalanceRankView.properties.value.description).toMatch(/string of digits/);
  });
});
