/**
 * The balance history, the leaderboards and the unlock counts against PostgreSQL, as their files
 * define them: DDL, folds (live batches and a rebuild's replay), writes, then the gateway's
 * queries. Tables are created straight in `coffer_read` here (the projector puts them in a
 * generation schema behind views of that name).
 */
import type { Pool, PoolClient } from 'pg';
import { MAX_STATEMENT_MOVEMENTS } from '@coffer/contracts';
import type { ReplayedEvent } from '@coffer/event-store';
import { createTestDatabase, type TestDatabase } from '@coffer/testing';
import { balanceAt, checkBalanceHistory, statement } from './balance-history';
import { balanceLeaderboard } from './balances';
import { READ_MODELS } from './index';
import { READ_SCHEMA } from './read-model';
import { loadPending, PendingTransactions, settle } from './transactions';
import { achievementLeaderboard, checkUnlockCounts } from './unlock-counts';

let position = 0n;
const event = (type: string, data: object): ReplayedEvent => ({ type, data, globalPosition: ++position, occurredAt: new Date(0) });
const iso = (second: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, second)).toISOString();
const at = (second: number) => new Date(iso(second));

let nextId = 0;
/** A transaction between two accounts; `second` is when it was made. */
const tx = (debit: string, credit: string, amount: number, second: number, event_id: number | null = null, description: string | null = null) => ({
  transaction_id: ++nextId,
  event_id,
  app_id: 'app_1',
  type: debit.startsWith('user:') && credit.startsWith('user:') ? 'transfer' : credit.startsWith('user:') ? 'credit' : 'debit',
  user_id: (debit.startsWith('user:') ? debit : credit).slice(5),
  debit_account: debit,
  credit_account: credit,
  amount: String(amount),
  currency: 'coins',
  description,
  reverses_transaction_id: null,
  created_at: iso(second),
});
type Tx = ReturnType<typeof tx>;
const postedAtOnce = (t: Tx) => event('TransactionPosted', { ...t, posted_at: t.created_at });
const pending = (t: Tx) => event('TransactionPending', t);
const postedAtClose = (t: Tx, second: number) => event('TransactionPosted', { ...t, posted_at: iso(second) });
const voided = (t: Tx, second: number) => event('TransactionVoided', { ...t, voided_at: iso(second), reason: 'expired' });
const closed = (eventId: number, second: number) => event('EventClosed', { event_id: eventId, closed_at: iso(second) });
const expired = (eventId: number, second: number) => event('EventExpired', { event_id: eventId, expired_at: iso(second) });
const unlocked = (user_id: string, key: string) =>
  event('AchievementUnlocked', { app_id: 'app_1', key, user_id, unlock_id: `app_1/${key}/${user_id}`, unlocked_at: iso(1), reward: null });

/**
 * Alice: granted 100 at 10 s; a round (event 1) opened at 20 s debits 30 and credits 5, closed at
 * 30 s; a round (event 2) debits 40 at 40 s and expires at 50 s; she sends Bob 25 at 60 s.
 */
function story(): ReplayedEvent[] {
  const grant = tx('treasury', 'user:alice', 100, 10, null, 'welcome');
  const debit = tx('user:alice', 'house:app_1', 30, 20, 1, '=SUM(A1) round');
  const credit = tx('house:app_1', 'user:alice', 5, 21, 1);
  const held = tx('user:alice', 'house:app_1', 40, 40, 2);
  const send = tx('user:alice', 'user:bob', 25, 60, null, 'split the pot');
  return [
    postedAtOnce(grant),
    pending(debit),
    pending(credit),
    postedAtClose(debit, 30),
    postedAtClose(credit, 30),
    closed(1, 30),
    pending(held),
    voided(held, 50),
    expired(2, 50),
    postedAtOnce(send),
  ];
}

describe('the balance history and the leaderboards in PostgreSQL', () => {
  let database: TestDatabase;
  let pool: Pool;

  beforeAll(async () => {
    database = await createTestDatabase('balance_history');
    pool = database.pool();
  });

  afterAll(async () => {
    await pool.end();
    await database.drop();
  });

  beforeEach(async () => {
    await pool.query(`DROP SCHEMA IF EXISTS ${READ_SCHEMA} CASCADE`);
    await pool.query(`CREATE SCHEMA ${READ_SCHEMA}`);
    for (const model of READ_MODELS) {
      for (const statement of [...model.ddl(READ_SCHEMA), ...(model.lookupKeyDdl?.(READ_SCHEMA) ?? []), ...model.readerIndexDdl(READ_SCHEMA)]) {
        await pool.query(statement);
      }
    }
  });

  async function inTransaction(work: (client: PoolClient) => Promise<void>): Promise<void> {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await work(client);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    } finally {
      client.release();
    }
  }

  /** Each batch in its own transaction, as the live projector does (projectBatch). */
  async function project(...batches: ReplayedEvent[][]): Promise<void> {
    for (const events of batches) {
      await inTransaction(async (client) => {
        const context = { settlements: settle(events, await loadPending(client, READ_SCHEMA, events, 'default')), realm: 'default' };
        for (const write of READ_MODELS.map((model) => model.fold(events, context))) await write(client, READ_SCHEMA);
      });
    }
  }

  /** As a rebuild does (ReadModelsReplay): every replay across pages, then finish. */
  async function replay(...pages: ReplayedEvent[][]): Promise<void> {
    const held = new PendingTransactions();
    const replays = READ_MODELS.map((model) => model.replay?.('default') ?? { fold: model.fold, finish: async () => undefined });
    for (const events of pages) {
      const context = { settlements: settle(events, held), realm: 'default' };
      const writes = replays.map((one) => one.fold(events, context));
      await inTransaction(async (client) => {
        for (const write of writes) await write(client, READ_SCHEMA);
      });
    }
    await inTransaction(async (client) => {
      for (const one of replays) await one.finish(client, READ_SCHEMA);
    });
  }

  const truncateAll = () => pool.query(`TRUNCATE ${READ_MODELS.flatMap((model) => Object.keys(model.tables).map((table) => `${READ_SCHEMA}.${table}`)).join(', ')}`);

  const history = async () =>
    (await pool.query(`SELECT * FROM ${READ_SCHEMA}.balance_history ORDER BY account, currency, global_position, transaction_id`)).rows;

  it('records each change of a wallet with its line after it, the same live batch by batch, in one batch, and replayed', async () => {
    const events = story();
    await project(...events.map((one) => [one]));
    const oneByOne = await history();
    await truncateAll();
    await project(events);
    expect(await history()).toEqual(oneByOne);
    await truncateAll();
    await replay(events.slice(0, 4), events.slice(4));
    expect(await history()).toEqual(oneByOne);

    const lines = oneByOne.map((row) => [row.account, row.change, row.amount, row.posted, row.pending_debit, row.pending_credit]);
    expect(lines).toEqual([
      ['user:alice', 'posted', '100', '100', '0', '0'],
      ['user:alice', 'pending', '-30', '100', '30', '0'],
      ['user:alice', 'pending', '5', '100', '30', '5'],
      ['user:alice', 'posted', '-30', '70', '0', '5'],
      ['user:alice', 'posted', '5', '75', '0', '0'],
      ['user:alice', 'pending', '-40', '75', '40', '0'],
      ['user:alice', 'voided', '-40', '75', '0', '0'],
      ['user:alice', 'posted', '-25', '50', '0', '0'],
      ['user:bob', 'posted', '25', '25', '0', '0'],
    ]);
    // Wallets only: house accounts and the treasury have no history.
    expect(new Set(oneByOne.map((row) => row.account))).toEqual(new Set(['user:alice', 'user:bob']));
  });

  it('verify holds the history to the balances, and the unlock counts to the progress', async () => {
    await project(story(), [unlocked('ivy', 'a')]);
    await inTransaction(async (client) => {
      expect(await checkBalanceHistory(client, READ_SCHEMA)).toEqual([]);
      expect(await checkUnlockCounts(client, READ_SCHEMA)).toEqual([]);
    });
    await pool.query(`UPDATE ${READ_SCHEMA}.accounts SET posted = posted + 1 WHERE account = 'user:bob'`);
    await pool.query(`UPDATE ${READ_SCHEMA}.unlock_counts SET unlocked = 2`);
    await inTransaction(async (client) => {
      expect(await checkBalanceHistory(client, READ_SCHEMA)).toEqual([
        'user:bob coins: balance history ends at posted 25, pending 0/0, the balance is 26, 0/0',
      ]);
      expect(await checkUnlockCounts(client, READ_SCHEMA)).toEqual(['user ivy: 2 unlocks counted, 1 unlocked in achievement_progress']);
    });
  });

  it('goes on from the line earlier batches left, as a v1 close settles several transactions at one position', async () => {
    const first = tx('house:app_1', 'user:carol', 7, 1, 9);
    const second = tx('house:app_1', 'user:carol', 8, 2, 9);
    await project([postedAtOnce(tx('treasury', 'user:carol', 10, 0))], [pending(first), pending(second)], [closed(9, 3)]);
    expect((await history()).map((row) => [row.change, row.posted, row.pending_credit])).toEqual([
      ['posted', '10', '0'],
      ['pending', '10', '7'],
      ['pending', '10', '15'],
      ['posted', '17', '8'],
      ['posted', '25', '0'],
    ]);
  });

  it('never lets a wallet\'s time go back, so time order stays the store\'s order (a v1 store\'s times may go back)', async () => {
    const late = tx('treasury', 'user:lou', 10, 50);
    const early = tx('user:lou', 'house:app_1', 4, 40); // stored after `late`, stamped before it
    const after = tx('treasury', 'user:lou', 1, 60);
    const events = [postedAtOnce(late), postedAtOnce(early), postedAtOnce(after)];
    await project([events[0]], [events[1]], [events[2]]);
    const live = await history();
    expect(live.map((row) => [row.amount, row.posted, row.at.toISOString()])).toEqual([
      ['10', '10', iso(50)],
      ['-4', '6', iso(50)],
      ['1', '7', iso(60)],
    ]);
    await truncateAll();
    await replay(events);
    expect(await history()).toEqual(live);
    expect((await balanceAt(pool, 'default', 'lou', at(55))).balances[0]).toMatchObject({ posted: '6' });
    await inTransaction(async (client) => expect(await checkBalanceHistory(client, READ_SCHEMA)).toEqual([]));
  });

  it('answers the balances as they stood at a time, each change at or before it counted', async () => {
    await project(story());
    const line = async (second: number) => (await balanceAt(pool, 'default', 'alice', at(second))).balances;
    const zeros = { currency: 'coins', available: '0', posted: '0', pending_debit: '0', pending_credit: '0' };
    expect(await line(9)).toEqual([zeros]);
    expect(await line(10)).toEqual([{ ...zeros, available: '100', posted: '100' }]);
    expect(await line(25)).toEqual([{ currency: 'coins', available: '70', posted: '100', pending_debit: '30', pending_credit: '5' }]);
    expect(await line(45)).toEqual([{ currency: 'coins', available: '35', posted: '75', pending_debit: '40', pending_credit: '0' }]);
    expect(await line(50)).toEqual([{ ...zeros, available: '75', posted: '75' }]);
    expect(await line(3600)).toEqual([{ ...zeros, available: '50', posted: '50' }]);
    expect(await balanceAt(pool, 'default', 'nobody', at(3600))).toEqual({ user_id: 'nobody', balances: [zeros] });
  });

  it('states the opening balance, each posted movement with its running balance and the closing balance', async () => {
    await project(story());
    const whole = await statement(pool, { realm: 'default', user_id: 'alice', currency: 'coins' }, MAX_STATEMENT_MOVEMENTS);
    expect(whole).toEqual({
      opening_balance: '0',
      closing_balance: '50',
      split_at: null,
      movements: [
        { transaction_id: expect.any(Number), event_id: null, type: 'credit', description: 'welcome', reverses_transaction_id: null, amount: '100', balance: '100', posted_at: iso(10) },
        { transaction_id: expect.any(Number), event_id: 1, type: 'debit', description: '=SUM(A1) round', reverses_transaction_id: null, amount: '-30', balance: '70', posted_at: iso(30) },
        { transaction_id: expect.any(Number), event_id: 1, type: 'credit', description: null, reverses_transaction_id: null, amount: '5', balance: '75', posted_at: iso(30) },
        { transaction_id: expect.any(Number), event_id: null, type: 'transfer', description: 'split the pot', reverses_transaction_id: null, amount: '-25', balance: '50', posted_at: iso(60) },
      ],
    });
    // [30 s, 60 s): the round's two movements; the transfer at 60 s belongs to the next period.
    const period = await statement(pool, { realm: 'default', user_id: 'alice', currency: 'coins', from: at(30), to: at(60) }, MAX_STATEMENT_MOVEMENTS);
    expect(period.opening_balance).toBe('100');
    expect(period.movements.map((m) => m.amount)).toEqual(['-30', '5']);
    expect(period.closing_balance).toBe('75');
    // A period without movements: opening = closing; another currency: nothing at all.
    expect(await statement(pool, { realm: 'default', user_id: 'alice', currency: 'coins', from: at(31), to: at(59) }, 10)).toEqual({
      opening_balance: '75',
      closing_balance: '75',
      movements: [],
      split_at: null,
    });
    expect(await statement(pool, { realm: 'default', user_id: 'alice', currency: 'gems' }, 10)).toEqual({ opening_balance: '0', closing_balance: '0', movements: [], split_at: null });
  });

  it(`answers exactly ${MAX_STATEMENT_MOVEMENTS} movements, and one more names the time to split at`, async () => {
    const grants = Array.from({ length: MAX_STATEMENT_MOVEMENTS + 1 }, (_, i) => postedAtOnce(tx('treasury', 'user:whale', 1, 100 + i)));
    await project(grants);
    const full = await statement(pool, { realm: 'default', user_id: 'whale', currency: 'coins', to: at(100 + MAX_STATEMENT_MOVEMENTS) }, MAX_STATEMENT_MOVEMENTS);
    expect(full.split_at).toBeNull();
    expect(full.movements).toHaveLength(MAX_STATEMENT_MOVEMENTS);
    expect(full.movements[MAX_STATEMENT_MOVEMENTS - 1].balance).toBe(String(MAX_STATEMENT_MOVEMENTS));
    expect(full.closing_balance).toBe(String(MAX_STATEMENT_MOVEMENTS));
    const over = await statement(pool, { realm: 'default', user_id: 'whale', currency: 'coins' }, MAX_STATEMENT_MOVEMENTS);
    expect(over.split_at).toBe(iso(100 + MAX_STATEMENT_MOVEMENTS));
    expect(over.closing_balance).toBe(String(MAX_STATEMENT_MOVEMENTS + 1));
    const rest = await statement(pool, { realm: 'default', user_id: 'whale', currency: 'coins', from: at(100 + MAX_STATEMENT_MOVEMENTS) }, MAX_STATEMENT_MOVEMENTS);
    expect(rest).toMatchObject({ opening_balance: String(MAX_STATEMENT_MOVEMENTS), closing_balance: String(MAX_STATEMENT_MOVEMENTS + 1), split_at: null });
    expect(rest.movements).toHaveLength(1);
  });

  it('ranks wallets by posted balance, ties sharing a rank (1, 1, 3), without house accounts, the treasury or empty wallets', async () => {
    await project([
      postedAtOnce(tx('treasury', 'user:dave', 50, 1)),
      postedAtOnce(tx('treasury', 'user:erin', 80, 1)),
      postedAtOnce(tx('treasury', 'user:frank', 80, 1)),
      postedAtOnce(tx('treasury', 'user:gina', 5, 1)),
      postedAtOnce(tx('user:gina', 'house:app_1', 5, 2)),
      postedAtOnce(tx('house:app_1', 'user:hal', 1, 3)),
    ]);
    expect(await balanceLeaderboard(pool, 'default', 'coins', 100)).toEqual([
      { rank: 1, user_id: 'erin', value: '80' },
      { rank: 1, user_id: 'frank', value: '80' },
      { rank: 3, user_id: 'dave', value: '50' },
      { rank: 4, user_id: 'hal', value: '1' },
    ]);
    expect(await balanceLeaderboard(pool, 'default', 'coins', 2)).toHaveLength(2);
    expect(await balanceLeaderboard(pool, 'default', 'gems', 100)).toEqual([]);
  });

  it('counts unlocks per user and ranks them the same way', async () => {
    await project([unlocked('ivy', 'a'), unlocked('ivy', 'b'), unlocked('jack', 'a')], [unlocked('kim', 'a'), unlocked('kim', 'b')]);
    const live = await achievementLeaderboard(pool, 'default', 100);
    expect(live).toEqual([
      { rank: 1, user_id: 'ivy', value: 2 },
      { rank: 1, user_id: 'kim', value: 2 },
      { rank: 3, user_id: 'jack', value: 1 },
    ]);
    await truncateAll();
    await replay([unlocked('ivy', 'a'), unlocked('ivy', 'b'), unlocked('jack', 'a')], [unlocked('kim', 'a'), unlocked('kim', 'b')]);
    expect(await achievementLeaderboard(pool, 'default', 1)).toEqual([live[0]]);
  });
});
