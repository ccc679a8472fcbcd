import { createTestDatabase, type TestDatabase } from '@coffer/testing';
import { createUnderLock, isCreationRaceLost, underSchemaLock } from './schema-lock';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase('schema_lock');
});

afterAll(async () => {
  await database?.drop();
});

const DDL = ['CREATE SCHEMA IF NOT EXISTS racing', 'CREATE TABLE IF NOT EXISTS racing.things (id int PRIMARY KEY)'];

describe('creating tables under a schema lock', () => {
  it('lets many instances starting together create the same tables, each succeeding', async () => {
    const pools = Array.from({ length: 6 }, () => database.pool());
    try {
      await Promise.all(pools.map((pool) => createUnderLock(pool, 'racing:ddl', DDL)));
      const { rows } = await pools[0].query(`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'racing'`);
      expect(rows[0].n).toBe(1);
    } finally {
      await Promise.all(pools.map((pool) => pool.end()));
    }
  });

  it('runs the rest of the work in the same transaction and rolls it all back when it fails', async () => {
    const pool = database.pool();
    const client = await pool.connect();
    try {
      await expect(
        underSchemaLock(client, 'racing:ddl', async (locked) => {
          await locked.query('CREATE TABLE IF NOT EXISTS racing.rolled_back (id int)');
          throw new Error('the work failed');
        }),
      ).rejects.toThrow('the work failed');
      const { rows } = await client.query(`SELECT to_regclass('racing.rolled_back') AS found`);
      expect(rows[0].found).toBeNull();
    } finally {
      client.release();
      await pool.end();
    }
  });

  it('knows "already exists" from any other database error', () => {
    for (const code of ['23505', '42P04', '42P06', '42P07']) expect(isCreationRaceLost({ code })).toBe(true);
    expect(isCreationRaceLost({ code: '42501' })).toBe(false);
    expect(isCreationRaceLost(new Error('no code'))).toBe(false);
  });
});
