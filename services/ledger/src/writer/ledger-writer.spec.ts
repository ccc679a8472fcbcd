import { randomUUID } from 'node:crypto';
import { PostgresEventStore } from '@coffer/event-store';
import { JsonLogger } from '@coffer/platform';
import { createTestDatabase, type TestDatabase } from '@coffer/testing';
import { LedgerWriter } from './ledger-writer';
import { SnapshotStore } from './snapshot-store';

describe('LedgerWriter queue', () => {
  let database: TestDatabase;
  let store: PostgresEventStore;
  let snapshots: SnapshotStore;
  let writer: LedgerWriter;

  beforeAll(async () => {
    database = await createTestDatabase('ledger_writer');
    store = await PostgresEventStore.connect({ connectionString: database.url });
    snapshots = new SnapshotStore(database.url);
    writer = new LedgerWriter(store, snapshots, new JsonLogger('ledger', 'error'), {
      realm: 'default',
      eventTimeoutSeconds: 60,
      instanceId: randomUUID(),
      snapshotEvery: 50_000,
      maxBatch: 1000,
      sweepIntervalMs: 100,
      clock: () => new Date(),
    });
  });

  afterAll(async () => {
    await writer.stepDown();
    await store.close();
    await snapshots.close();
    await database.drop();
  });

  it('answers a lone command submitted as the previous batch finishes (nothing else queued)', async () => {
    // The command arrives while the loop that answered the writer's term is still winding
    // down: it once waited for the next submit, so a quiet ledger left a lone request hanging.
    await writer.lead();
    const reply = await Promise.race([
      writer.command(
        { command: { type: 'OpenEvent', description: 'alone' }, request_hash: null },
        { correlation_id: randomUUID(), command_id: randomUUID(), app_id: 'app_1', key_id: null },
      ),
      new Promise((resolve) => setTimeout(() => resolve('no answer within 5 s'), 5000)),
    ]);
    expect(reply).toMatchObject({ ok: true, result: { result: { event_id: 1, status: 'open' } } });
  });
});
