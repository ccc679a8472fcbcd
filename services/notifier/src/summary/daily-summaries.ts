/**
 * daily.summary (API.md): at 00:00 UTC each app whose webhook asked for it gets the past day's
 * totals from the read models (minted, absorbed, transferred per currency, active users,
 * unlocks), and after a downtime every day it missed (bounded, days.ts). A day is summarised only
 * once the read models hold all of it (they reached the store's head after that midnight), and
 * its outbox rows and the summary checkpoint are written in one transaction: once per webhook and
 * day, whatever restarts. The summary's id is derived from (app, day): a double is the same id.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import { READ_SCHEMA } from '@coffer/read-models';
import { retryDelayMs, sleep, type JsonLogger } from '@coffer/platform';
import { addDays, daysDue } from '../domain/days';
import { NOTIFIER_SCHEMA } from '../store/schema';

/** How often the notifier looks whether a day is due (and whether the read models caught up with it). */
export const SUMMARY_CHECK_INTERVAL_MS = 30_000;

const UNDEFINED_TABLE = '42P01';

export interface DailySummary {
  day: string;
  app_id: string;
  totals: Array<{ currency: string; minted: string; absorbed: string; transferred: string }>;
  /** Users with a transaction of the app created that day. */
  active_users: number;
  /** Achievements of the app unlocked that day. */
  unlocks: number;
}

/** A UUID from (app, day): every attempt and every restart names the same summary. */
export function summaryId(appId: string, day: string): string {
  const hex = createHash('sha256').update(`daily.summary\n${appId}\n${day}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export class DailySummaries {
  private stopped = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;

  constructor(
    private readonly pool: Pool,
    private readonly headPosition: () => Promise<bigint | undefined>,
    private readonly logger: JsonLogger,
    private readonly enqueued: () => void,
    private readonly clock: () => number = Date.now,
    private readonly intervalMs = SUMMARY_CHECK_INTERVAL_MS,
  ) {}

  start(): void {
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      try {
        await this.summariseDueDays();
        failures = 0;
      } catch (error) {
        failures++;
        this.logger.event(failures === 1 ? 'error' : 'debug', 'daily summaries failed, trying again', { error: (error as Error).message });
        await sleep(retryDelayMs(failures));
        continue;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.intervalMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /** Enqueues every due day whose data the read models hold, oldest first; stops at the first that is not ready. */
  async summariseDueDays(): Promise<string[]> {
    const done: string[] = [];
    const { rows } = await this.pool.query<{ last_day: string | null }>(`SELECT last_day::text FROM ${NOTIFIER_SCHEMA}.summary_checkpoint`);
    const lastDay = rows[0]?.last_day ?? null;
    for (const day of daysDue(lastDay, this.clock())) {
      if (this.stopped || !(await this.readModelsHold(day))) break;
      // Another notifier summarised it first: the next round reads its checkpoint.
      if (!(await this.summarise(day, done.length ? done[done.length - 1] : lastDay))) break;
      done.push(day);
    }
    if (done.length) this.enqueued();
    return done;
  }

  /** The read models hold all of `day`: their last event is after it, or they reached the store's head after its midnight. */
  private async readModelsHold(day: string): Promise<boolean> {
    const head = await this.headPosition(); // now, after the day's midnight: every event of the day is at or before it
    const { rows } = await this.pool
      .query<{ position: string | null; last_event_at: Date | null }>(`SELECT position::text, last_event_at FROM ${READ_SCHEMA}.checkpoint`)
      .catch((error: { code?: string }) => {
        if (error.code === UNDEFINED_TABLE) return { rows: [] }; // no projector has made the read models yet
        throw error;
      });
    const checkpoint = rows[0];
    if (!checkpoint) return false;
    const midnight = Date.parse(`${addDays(day, 1)}T00:00:00Z`);
    if (checkpoint.last_event_at !== null && checkpoint.last_event_at.getTime() >= midnight) return true;
    if (head === undefined) return true;
    return checkpoint.position !== null && BigInt(checkpoint.position) >= head;
  }

  /** Enqueues one day's summaries with the checkpoint; false when the checkpoint was not where this round read it. */
  private async summarise(day: string, expectedLastDay: string | null): Promise<boolean> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<{ last_day: string | null }>(`SELECT last_day::text FROM ${NOTIFIER_SCHEMA}.summary_checkpoint FOR UPDATE`);
      if ((rows[0]?.last_day ?? null) !== expectedLastDay) {
        await client.query('ROLLBACK');
        return false;
      }
      const end = `${addDays(day, 1)}T00:00:00Z`;
      const { rows: hooks } = await client.query<{ webhook_id: string; app_id: string }>(
        `SELECT webhook_id::text, app_id FROM ${NOTIFIER_SCHEMA}.webhooks
          WHERE deleted_at IS NULL AND created_at < $1 AND (events @> ARRAY['daily.summary'] OR events @> ARRAY['*']) ORDER BY webhook_id`,
        [end],
      );
      for (const app of new Set(hooks.map((hook) => hook.app_id))) {
        const summary = await this.summaryOf(client, app, day);
        const body = JSON.stringify({ id: summaryId(app, day), type: 'daily.summary', occurred_at: end.replace('Z', '.000Z'), data: summary });
        for (const hook of hooks.filter((each) => each.app_id === app)) {
          await client.query(
            `INSERT INTO ${NOTIFIER_SCHEMA}.outbox (delivery_id, webhook_id, event_id, type, body, status, next_attempt_at)
             VALUES ($1, $2, $3, 'daily.summary', $4, 'pending', now()) ON CONFLICT (webhook_id, event_id) DO NOTHING`,
            [randomUUID(), hook.webhook_id, summaryId(app, day), body],
          );
        }
      }
      await client.query(`UPDATE ${NOTIFIER_SCHEMA}.summary_checkpoint SET last_day = $1, updated_at = now()`, [day]);
      await client.query('COMMIT');
      return true;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  private async summaryOf(client: PoolClient, app: string, day: string): Promise<DailySummary> {
    const from = `${day}T00:00:00Z`;
    const to = `${addDays(day, 1)}T00:00:00Z`;
    const totals = await client.query<DailySummary['totals'][number]>(
      `SELECT currency, minted::text, absorbed::text, transferred::text FROM ${READ_SCHEMA}.daily_totals
        WHERE day = $1::date AND app_id = $2 ORDER BY currency`,
      [day, app],
    );
    const users = await client.query<{ n: number }>(
      `SELECT count(DISTINCT user_id)::int AS n FROM ${READ_SCHEMA}.transactions WHERE app_id = $1 AND created_at >= $2 AND created_at < $3`,
      [app, from, to],
    );
    const unlocks = await client.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${READ_SCHEMA}.achievement_progress WHERE app_id = $1 AND unlocked_at >= $2 AND unlocked_at < $3`,
      [app, from, to],
    );
    return { day, app_id: app, totals: totals.rows, active_users: users.rows[0].n, unlocks: unlocks.rows[0].n };
  }
}
