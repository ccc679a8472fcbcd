/**
 * POST /admin/operations/verify and /rebuild run the CLI's verify and rebuild (the projector's
 * functions, not a copy) as a job in this gateway: they read every event, far longer than a
 * request may last. One at a time, across every gateway and console: a job holds a PostgreSQL
 * advisory lock for its whole run, and another is 409 CONFLICT meanwhile. The latest job, with
 * its progress, is what GET /admin/operations/job answers.
 */
import { randomUUID } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';

export type OperationKind = 'verify' | 'rebuild';

/** verify: `{ok, position, problems}`; rebuild: `{generation, events, seconds, events_per_second}`. */
export interface OperationResult {
  ok?: boolean;
  position?: string | null;
  problems?: string[];
  generation?: number;
  events?: number;
  seconds?: number;
  events_per_second?: number;
}

export interface OperationJob {
  operation_id: string;
  kind: OperationKind;
  status: 'running' | 'done' | 'failed';
  started_at: string;
  finished_at: string | null;
  /** Events replayed so far and in all (a rebuild counts them; verify reports none). */
  progress: { done: number; total: number } | null;
  result: OperationResult | null;
  error: string | null;
}

/** Runs one kind of job to its result, reporting progress as it goes; resources are its own. */
export type OperationRunner = (progress: (done: number, total: number) => void) => Promise<OperationResult>;

/** The advisory lock that makes jobs one at a time across gateways. */
const OPERATIONS_LOCK = 'coffer-operations';

export class OperationJobs {
  private latest: OperationJob | undefined;
  private running: Promise<void> | undefined;

  constructor(
    /** Where the advisory lock is taken (one connection held for the job's run). */
    private readonly pool: Pool,
    private readonly runners: Record<OperationKind, OperationRunner>,
  ) {}

  get current(): OperationJob | null {
    return this.latest ? { ...this.latest, progress: this.latest.progress && { ...this.latest.progress } } : null;
  }

  /** Starts a job, or answers undefined when one runs already (here or in another gateway). */
  async start(kind: OperationKind): Promise<OperationJob | undefined> {
    if (this.isRunning()) return undefined;
    const client = await this.pool.connect();
    let locked = false;
    try {
      const { rows } = await client.query('SELECT pg_try_advisory_lock(hashtext($1)) AS locked', [OPERATIONS_LOCK]);
      locked = rows[0].locked === true;
    } finally {
      if (!locked) client.release();
    }
    // Checked again: another request of this gateway may have started one while the lock was asked for.
    if (!locked || this.isRunning()) {
      if (locked) await unlock(client);
      return undefined;
    }
    const job: OperationJob = {
      operation_id: randomUUID(),
      kind,
      status: 'running',
      started_at: new Date().toISOString(),
      finished_at: null,
      progress: null,
      result: null,
      error: null,
    };
    this.latest = job;
    this.running = this.run(job, client);
    return this.current ?? undefined;
  }

  private isRunning(): boolean {
    return this.latest?.status === 'running';
  }

  /** Resolves when the running job (if any) has ended: shutdown and tests. */
  async settled(): Promise<void> {
    await this.running;
  }

  private async run(job: OperationJob, client: PoolClient): Promise<void> {
    try {
      job.result = await this.runners[job.kind]((done, total) => (job.progress = { done, total }));
      job.status = 'done';
    } catch (error) {
      job.status = 'failed';
      job.error = (error as Error).message || String(error);
    } finally {
      job.finished_at = new Date().toISOString();
      await unlock(client);
    }
  }
}

async function unlock(client: PoolClient): Promise<void> {
  try {
    await client.query('SELECT pg_advisory_unlock(hashtext($1))', [OPERATIONS_LOCK]);
    client.release();
  } catch (error) {
    client.release(error as Error); // a broken connection: its session (and lock) ends with it
  }
}
