/**
 * The audit trail in PostgreSQL: a command's row is the same however its events were batched.
 * The projector folds each live batch on its own and merges a command split across batches into
 * the row an earlier batch wrote; a rebuild (and `verify`'s fresh fold) sees other batch borders.
 * Found by the benchmark: a close whose three users came in two batches was merged in value
 * order, and `verify` failed on a row that differed only in the order of its users.
 */
import type { Pool, PoolClient } from 'pg';
import type { ReplayedEvent } from '@coffer/event-store';
import { createTestDatabase, type TestDatabase } from '@coffer/testing';
import { AUDIT_TRAIL_TABLE, auditTrail, auditTrailDdl, foldAuditTrail, MAX_AUDIT_USER_IDS, writeAuditTrail } from './audit-trail';
import type { FoldContext } from './read-model';
import { READ_SCHEMA } from './read-model';

const AT = Date.parse('2026-11-30T12:00:00Z');
let position = 1n;
const who = { schema_version: 1, decided_at_epoch_ms: AT, command_id: 'c1', correlation_id: 'corr-1', app_id: 'app_1', key_id: 'key_1', command_type: 'CloseEvent' };
const event = (type: string, data: object, metadata: object = who): ReplayedEvent => ({
  type,
  data,
  globalPosition: position++,
  occurredAt: new Date(AT),
  metadata: metadata as ReplayedEvent['metadata'],
});

describe('the audit trail in PostgreSQL', () => {
  let database: TestDatabase;
  let pool: Pool;

  beforeAll(async () => {
    database = await createTestDatabase('audit_trail');
    pool = database.pool();
  });

  afterAll(async () => {
    await pool.end();
    await database.drop();
  });

  beforeEach(async () => {
    await pool.query(`DROP SCHEMA IF EXISTS ${READ_SCHEMA} CASCADE`);
    await pool.query(`CREATE SCHEMA ${READ_SCHEMA}`);
    for (const statement of auditTrailDdl(READ_SCHEMA)) await pool.query(statement);
  });

  async function project(batches: ReplayedEvent[][]): Promise<Record<string, unknown>[]> {
    await pool.query(`TRUNCATE ${READ_SCHEMA}.${AUDIT_TRAIL_TABLE}`);
    for (const batch of batches) {
      const client: PoolClient = await pool.connect();
      try {
        await writeAuditTrail(client, READ_SCHEMA, foldAuditTrail(batch), 'default');
      } finally {
        client.release();
      }
    }
    return (await pool.query(`SELECT command_id, correlation_id, user_ids, events, event_count FROM ${READ_SCHEMA}.${AUDIT_TRAIL_TABLE} ORDER BY position`)).rows;
  }

  /** A rebuild's replay of the same events in pages: rows COPYed as they are final. */
  async function replay(pages: ReplayedEvent[][]): Promise<Record<string, unknown>[]> {
    await pool.query(`TRUNCATE ${READ_SCHEMA}.${AUDIT_TRAIL_TABLE}`);
    const replaying = auditTrail.replay!('default');
    const client: PoolClient = await pool.connect();
    try {
      for (const page of pages) await replaying.fold(page, {} as FoldContext)(client, READ_SCHEMA);
      await replaying.finish(client, READ_SCHEMA);
    } finally {
      client.release();
    }
    return (await pool.query(`SELECT * FROM ${READ_SCHEMA}.${AUDIT_TRAIL_TABLE} ORDER BY position`)).rows;
  }

  const live = async (batches: ReplayedEvent[][]) => {
    await project(batches);
    return (await pool.query(`SELECT * FROM ${READ_SCHEMA}.${AUDIT_TRAIL_TABLE} ORDER BY position`)).rows;
  };

  it('writes the same rows live and in a replay, wherever batches or pages split the commands', async () => {
    const as = (command_id: string, extra: object = {}) => ({ ...who, command_id, correlation_id: `corr-${command_id}`, ...extra });
    const events = [
      event('TransactionPosted', { user_id: 'zoe' }, as('c1')),
      event('TransactionPosted', { user_id: 'ann' }, as('c1')),
      event('EventClosed', {}, as('c1')),
      // Values COPY and an array literal must escape: quotes, backslashes, commas, braces, tabs.
      event('TransactionPosted', { user_id: 'a"b\\c,{d}\te' }, as('c2', { user_ids: ['x y'] })),
      event('CommandRefused', { code: 'INSUFFICIENT_FUNDS', message: 'not enough\nfunds' }, as('c3', { command_type: 'PostTransaction' })),
      // The same key reused by another request, refused in the same decision: its own row, even
      // when a batch begins with it right after the first request's row.
      event('CommandRefused', { code: 'IDEMPOTENCY_KEY_REUSED', message: 'reused' }, as('c3', { correlation_id: 'corr-other' })),
      event('TransactionPosted', { user_id: 'mia' }, as('c4', { app_id: null, key_id: null, admin_token_id: 'root' })),
    ];
    const whole = await live([events]);
    expect(whole).toHaveLength(5);
    expect(await replay([events])).toEqual(whole);
    for (let border = 1; border < events.length; border++) {
      expect([border, await replay([events.slice(0, border), events.slice(border)])]).toEqual([border, whole]);
      expect([border, await live([events.slice(0, border), events.slice(border)])]).toEqual([border, whole]);
    }
    expect(await replay(events.map((one) => [one]))).toEqual(whole);
    expect(await live(events.map((one) => [one]))).toEqual(whole);
  });

  it("keeps a command's users and event types in the order they first came, at every batch border", async () => {
    // Users whose value order is not their order of arrival, and event types likewise.
    const events = [
      event('TransactionPosted', { user_id: 'zoe' }),
      event('TransactionPosted', { user_id: 'ann' }),
      event('TransactionPosted', { user_id: 'mia' }),
      event('TransactionPosted', { user_id: 'ann' }),
      event('EventClosed', {}),
    ];
    const whole = await project([events]);
    expect(whole).toEqual([expect.objectContaining({ user_ids: ['zoe', 'ann', 'mia'], events: ['TransactionPosted', 'EventClosed'], event_count: 5 })]);
    for (let border = 1; border < events.length; border++) {
      expect([border, await project([events.slice(0, border), events.slice(border)])]).toEqual([border, whole]);
    }
    expect(await project(events.map((one) => [one]))).toEqual(whole);
  });

  it(`keeps the first ${MAX_AUDIT_USER_IDS} users of a command split across batches, as one fold would`, async () => {
    const users = Array.from({ length: MAX_AUDIT_USER_IDS + 20 }, (_, n) => `user-${(MAX_AUDIT_USER_IDS + 20 - n).toString().padStart(4, '0')}`);
    const events = users.map((user_id) => event('TransactionPosted', { user_id }, { ...who, command_id: 'c2' }));
    const whole = await project([events]);
    expect((whole[0].user_ids as string[]).length).toBe(MAX_AUDIT_USER_IDS);
    expect(whole[0].user_ids).toEqual(users.slice(0, MAX_AUDIT_USER_IDS));
    expect(await project([events.slice(0, 30), events.slice(30, 90), events.slice(90)])).toEqual(whole);
  });
});
