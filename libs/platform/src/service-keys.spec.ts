import { createTestDatabase, type TestDatabase } from '@coffer/testing';
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
