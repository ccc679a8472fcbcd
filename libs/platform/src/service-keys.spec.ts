import { createTestDatabase, PrivatePostgres, type TestDatabase } from '@coffer/testing';
import { ensureDatabase } from './database';
import { loadServiceKeys, storedServiceKeys, type ServiceKey } from './service-keys';

describe("the deployment's generated service key", () => {
  let database: TestDatabase;

  beforeEach(async () => {
    database = await createTestDatabase('service_keys');
  });

  afterEach(async () => {
    await database.drop();
  });

  it('is made once by whichever service starts first, and found by every other and every later start', async () => {
    const first = await Promise.all(Array.from({ length: 6 }, () => storedServiceKeys(database.url)));
    const [key] = first[0];
    expect(first).toEqual(Array.from({ length: 6 }, () => [key]));
    expect(key.id).toMatch(/^k[0-9a-f]{8}$/);
    expect(key.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await loadServiceKeys({ serviceKeys: undefined, databaseUrl: database.url })).toEqual([key]);
  });

  it('is not used when COFFER_SERVICE_KEY gives the keys, and none is stored then', async () => {
    const given: ServiceKey[] = [{ id: 'env', secret: 'x1'.repeat(16) }];
    expect(await loadServiceKeys({ serviceKeys: given, databaseUrl: database.url })).toBe(given);
    const pool = database.pool();
    try {
      const { rows } = await pool.query("SELECT to_regclass('coffer_platform.service_keys') AS t");
      expect(rows[0].t).toBeNull();
    } finally {
      await pool.end();
    }
  });
});

describe('the generated service key while PostgreSQL restarts (a private cluster)', () => {
  let postgres: PrivatePostgres | undefined;

  afterEach(async () => {
    await postgres?.stop();
  });

  it('is waited for when the database goes away right after it was made, as a starting service waits for it', async () => {
    const cluster = (postgres = new PrivatePostgres());
    await cluster.start();
    const databaseUrl = cluster.url('coffer_keys');
    await ensureDatabase(databaseUrl);
    await cluster.stopImmediately();
    const waits: number[] = [];
    const loading = loadServiceKeys({ serviceKeys: undefined, databaseUrl }, { onWait: (_error, attempt) => waits.push(attempt) });
    while (waits.length < 2) await new Promise((resolve) => setTimeout(resolve, 50));
    await cluster.start();
    const [key] = await loading;
    expect(key.id).toMatch(/^k[0-9a-f]{8}$/);
    expect(await storedServiceKeys(databaseUrl)).toEqual([key]);
  }, 60000);

  it('is not waited for without onWait (the CLI): the first failure is thrown', async () => {
    const cluster = (postgres = new PrivatePostgres());
    await cluster.start();
    const databaseUrl = cluster.url('coffer_keys');
    await ensureDatabase(databaseUrl);
    await cluster.stopImmediately();
    await expect(loadServiceKeys({ serviceKeys: undefined, databaseUrl })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  }, 60000);
});
