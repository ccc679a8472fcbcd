import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { Registry } from 'prom-client';
import { createTestDatabase, type TestDatabase } from '@coffer/testing';
import { Generations } from '../../../projector/src/read-models/generations';
import { FEED_CONSUMER, quarantine, readModelsConsumer } from '../../../projector/src/quarantine';
import { registerProjectionMetrics } from './projection-metrics';

describe('quarantine in /metrics', () => {
  let database: TestDatabase;
  let pool: Pool;

  beforeAll(async () => {
    database = await createTestDatabase('quarantine_metrics');
    pool = database.pool();
  });

  afterAll(async () => {
    await pool.end();
    await database.drop();
  });

  const scrape = async () => {
    const registry = new Registry();
    registerProjectionMetrics(registry, pool);
    return (await registry.metrics()).split('\n').filter((line) => line.startsWith('coffer_quarantined_events'));
  };

  it('is absent before any projector made the table, then counts the serving generation and the feed', async () => {
    expect(await scrape()).toEqual([]);
    const generations = new Generations(pool);
    await generations.ensure();
    expect(await scrape()).toEqual(['coffer_quarantined_events{consumer="read_models"} 0', 'coffer_quarantined_events{consumer="feed"} 0']);

    const event = (position: bigint) => ({ id: randomUUID(), type: 'TransactionPosted', globalPosition: position });
    await quarantine(pool, readModelsConsumer(1), event(10n), new Error('cannot fold'));
    await quarantine(pool, readModelsConsumer(1), event(11n), new Error('cannot fold'));
    await quarantine(pool, readModelsConsumer(7), event(10n), new Error('a scratch generation of verify'));
    await quarantine(pool, FEED_CONSUMER, event(12n), new Error('too large'));
    expect(await scrape()).toEqual(['coffer_quarantined_events{consumer="read_models"} 2', 'coffer_quarantined_events{consumer="feed"} 1']);
  });
});
