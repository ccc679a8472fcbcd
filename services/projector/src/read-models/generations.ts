import { READ_CHECKPOINT_CHANNEL } from '@coffer/contracts';
import type { Pool, PoolClient } from 'pg';
import { QUARANTINE_DDL, QUARANTINE_TABLE, readModelsConsumer } from '../quarantine';
import {
  generationDdl,
  generationSchema,
  lookupKeyDdl,
  META_DDL,
  META_SCHEMA,
  olderShapeViewDdl,
  READ_MODEL_SCHEMA_VERSION,
  readerIndexDdl,
  viewDdl,
} from './schema';

const LOCK = 'coffer-read-models';

export interface Checkpoint {
  position: bigint | undefined;
  lastEventAt: Date | null;
  eventsProjected: bigint;
}

/** Read-model generations in PostgreSQL: which one serves, their checkpoints, creating and swapping. */
export class Generations {
  constructor(readonly pool: Pool) {}

  /** Creates the meta table and generation 1 (serving through the views) when missing. */
  async ensure(): Promise<void> {
    await this.transaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [LOCK]);
      for (const statement of [...META_DDL, ...QUARANTINE_DDL]) await client.query(statement);
      const { rowCount } = await client.query(`SELECT 1 FROM ${META_SCHEMA}.read_models`);
      if (rowCount) return;
      for (const statement of [...generationDdl(1), ...readerIndexDdl(1)]) await client.query(statement);
      for (const statement of viewDdl(1)) await client.query(statement);
      await client.query(`INSERT INTO ${META_SCHEMA}.read_models (active_generation, next_generation, schema_version) VALUES (1, 2, $1)`, [
        READ_MODEL_SCHEMA_VERSION,
      ]);
    });
  }

  async active(client: Pool | PoolClient = this.pool): Promise<number> {
    const { rows } = await client.query(`SELECT active_generation FROM ${META_SCHEMA}.read_models`);
    return rows[0].active_generation;
  }

  /**
   * Whether the serving generation has the shape this code writes (READ_MODEL_SCHEMA_VERSION);
   * one that has not is rebuilt before anything projects into it.
   */
  async servesCurrentShape(client: Pool | PoolClient = this.pool): Promise<boolean> {
    const { rows } = await client.query(`SELECT schema_version FROM ${META_SCHEMA}.read_models`);
    return rows[0].schema_version === READ_MODEL_SCHEMA_VERSION;
  }

  /** Lets the gateway read an older-shaped serving generation while it is rebuilt (schema.ts). */
  async keepOlderShapeReadable(): Promise<void> {
    await this.pool.query(olderShapeViewDdl(await this.active()));
  }

  async checkpoint(generation: number, client: Pool | PoolClient = this.pool): Promise<Checkpoint> {
    const { rows } = await client.query(
      `SELECT position, last_event_at, events_projected FROM ${generationSchema(generation)}.checkpoint`,
    );
    const position = BigInt(rows[0].position);
    return {
      position: position < 0n ? undefined : position,
      lastEventAt: rows[0].last_event_at,
      eventsProjected: BigInt(rows[0].events_projected),
    };
  }

  /**
   * Moves a generation's checkpoint inside the transaction that wrote its rows. `announce` is
   * for the serving generation only: it tells readers waiting for read-your-writes, at commit,
   * on READ_CHECKPOINT_CHANNEL (a generation still being rebuilt serves nobody, so it is silent).
   */
  async setCheckpoint(client: PoolClient, generation: number, position: bigint, lastEventAt: Date, count: number, announce = false) {
    await client.query(
      `UPDATE ${generationSchema(generation)}.checkpoint
          SET position = $1, last_event_at = $2, events_projected = events_projected + $3, updated_at = now()
       ${announce ? `RETURNING pg_notify('${READ_CHECKPOINT_CHANNEL}', position::text)` : ''}`,
      [position.toString(), lastEventAt, count],
    );
  }

  /**
   * A fresh, empty generation that serves nobody yet (for rebuild and verify), without the
   * reader-only indexes: `indexForReaders` adds them before it may serve. Without `lookupKeys`
   * (for a replay) `addLookupKeys` must add those before the live projection may write to it.
   */
  async create(options: { lookupKeys?: boolean } = {}): Promise<number> {
    return this.transaction(async (client) => {
      const { rows } = await client.query(
        `UPDATE ${META_SCHEMA}.read_models SET next_generation = next_generation + 1 RETURNING next_generation - 1 AS g`,
      );
      const generation: number = rows[0].g;
      for (const statement of generationDdl(generation, options)) await client.query(statement);
      return generation;
    });
  }

  async addLookupKeys(generation: number): Promise<void> {
    for (const statement of lookupKeyDdl(generation)) await this.pool.query(statement);
  }

  async indexForReaders(generation: number): Promise<void> {
    for (const statement of readerIndexDdl(generation)) await this.pool.query(statement);
  }

  /** Makes `generation` the one readers see; call inside a transaction holding the lock. */
  async activate(client: PoolClient, generation: number): Promise<void> {
    for (const statement of viewDdl(generation)) await client.query(statement);
    // Every generation this code creates has its shape.
    await client.query(`UPDATE ${META_SCHEMA}.read_models SET active_generation = $1, schema_version = $2`, [
      generation,
      READ_MODEL_SCHEMA_VERSION,
    ]);
  }

  /** Drops a generation with the events it quarantined: they were its own, not the store's. */
  async drop(generation: number): Promise<void> {
    await this.transaction(async (client) => {
      await client.query(`DROP SCHEMA IF EXISTS ${generationSchema(generation)} CASCADE`);
      await client.query(`DELETE FROM ${QUARANTINE_TABLE} WHERE consumer = $1`, [readModelsConsumer(generation)]);
    });
  }

  /**
   * Runs `work` in a transaction holding the read-model lock: the live projector takes it for
   * every batch, so a rebuild's final catch-up and swap cannot interleave with a batch.
   */
  async locked<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    return this.transaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [LOCK]);
      return work(client);
    });
  }

  async transaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let failure: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      failure = error as Error;
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      // A client whose transaction failed may have lost its connection: the pool discards it.
      client.release(failure);
    }
  }
}
