import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Pool } from 'pg';
import { CONFIG, type CofferConfig } from '@coffer/platform';
import { READ_SCHEMA, type Queryable } from '@coffer/read-models';
import { ApiError } from '../http/api-error';
import { CheckpointWatcher } from './checkpoint-watcher';
import { readModelDb } from './read-model-db';
import { DB_POOL } from '../tokens';

/**
 * Where the serving read models stand (the `coffer_read` views of the serving generation): their
 * checkpoint, and read-your-writes waits on it. The queries themselves are the read models' own
 * (@coffer/read-models), called through FinanceReads and AchievementReads.
 */
@Injectable()
export class ReadModels implements OnModuleInit, OnApplicationShutdown {
  readonly checkpoint: CheckpointWatcher;

  private readonly db: Queryable;

  constructor(@Inject(DB_POOL) pool: Pool, @Inject(CONFIG) config: CofferConfig) {
    this.db = readModelDb(pool);
    this.checkpoint = new CheckpointWatcher(config.databaseUrl, () => this.position());
  }

  onModuleInit(): Promise<void> {
    return this.checkpoint.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.checkpoint.close();
  }

  /** Position the serving read models have reached (-1 before any event). */
  async position(): Promise<bigint> {
    const { rows } = await this.db.query(`SELECT position FROM ${READ_SCHEMA}.checkpoint`);
    return rows.length ? BigInt(rows[0].position) : -1n;
  }

  /** Whether the read models include `position` as far as this gateway heard, without asking or waiting. */
  includes(position: bigint): boolean {
    return this.checkpoint.heard >= position;
  }

  /**
   * Read-your-writes: waits until the read models include the write at `position` (the
   * X-Coffer-Position of a command's response), or answers UNAVAILABLE after `timeoutMs`.
   */
  async waitFor(position: bigint, timeoutMs: number): Promise<void> {
    if (await this.checkpoint.reached(position, timeoutMs).catch(() => false)) return;
    throw new ApiError('UNAVAILABLE', 'the read models have not reached that position yet: retry, or ask for consistency=strong', {
      min_position: position.toString(),
    });
  }
}
