import { Client } from 'pg';
import { READ_CHECKPOINT_CHANNEL } from '@coffer/contracts';
import { createTestDatabase, type TestDatabase } from '@coffer/testing';
import { CheckpointWatcher } from './checkpoint-watcher';

describe('CheckpointWatcher (read-your-writes without polling per request)', () => {
  let database: TestDatabase;
  let db: Client;
  let watcher: CheckpointWatcher;
  let reads = 0;

  const stored = async (): Promise<bigint> => {
    reads++;
    const { rows } = await db.query('SELECT position FROM checkpoint');
    return BigInt(rows[0].position);
  };
  const commitPosition = async (position: bigint, announce: boolean) => {
    await db.query('BEGIN');
    await db.query('UPDATE checkpoint SET position = $1', [position.toString()]);
    if (announce) await db.query('SELECT pg_notify($1, $2)', [READ_CHECKPOINT_CHANNEL, position.toString()]);
    await db.query('COMMIT');
  };

  beforeAll(async () => {
    database = await createTestDatabase('checkpoint_watcher');
    db = new Client({ connectionString: database.url });
    await db.connect();
    await db.query('CREATE TABLE checkpoint (position bigint NOT NULL); INSERT INTO checkpoint VALUES (10)');
    watcher = new CheckpointWatcher(database.url, stored);
    await watcher.start();
  });

  afterAll(async () => {
    await watcher.close();
    await db.end();
    await database.drop();
  });

  it('answers at once for a position already reached', async () => {
    await expect(watcher.reached(10n, 1000)).resolves.toBe(true);
  });

  it('wakes a waiting read when the projector announces a commit that includes its write', async () => {
    const waiting = watcher.reached(20n, 5000);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await commitPosition(25n, true);
    await expect(waiting).resolves.toBe(true);
    const before = reads;
    // Known from the announcement: no query for an older position.
    await expect(watcher.reached(24n, 1000)).resolves.toBe(true);
    expect(reads).toBe(before);
  });

  it('still sees a commit whose announcement never came (the fallback poll)', async () => {
    const waiting = watcher.reached(30n, 5000);
    await commitPosition(30n, false);
    await expect(waiting).resolves.toBe(true);
  });

  it('gives up after the timeout when the read models do not get there', async () => {
    const started = Date.now();
    await expect(watcher.reached(1000n, 200)).resolves.toBe(false);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
  });

  it('ignores announcements that are not positions', async () => {
    await db.query('SELECT pg_notify($1, $2)', [READ_CHECKPOINT_CHANNEL, 'not a number']);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await expect(watcher.position()).resolves.toBe(30n);
  });
});
