import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { EVENT_SCHEMA_VERSIONS, upcastEvent, type AchievementUnlocked, type RewardGranted } from '@coffer/contracts';
import { WrongExpectedRevisionError, type EventStore, type RecordedEvent, type Subscription } from '@coffer/event-store';
import { AdvisoryLockLeadership, LeadershipLoop, type JsonLogger, type LeaderRole } from '@coffer/platform';
import { rewardStream } from '../domain/streams';
import { ACHIEVEMENTS_SCHEMA } from '../writer/achievements-schema';
import { rewardCommandId, type RewardPayer } from './ledger-payer';

export interface RewardReactorOptions {
  /** Where the leadership lock is held (a session of its own); omit to run without one. */
  databaseUrl?: string;
  batchSize: number;
  /** First wait after a failed attempt; doubled each time up to maxRetryMs. */
  retryMs: number;
  maxRetryMs: number;
}

export const DEFAULT_REACTOR_OPTIONS: Omit<RewardReactorOptions, 'databaseUrl'> = {
  batchSize: 100,
  retryMs: 100,
  maxRetryMs: 5000,
};

const CHECKPOINT = `${ACHIEVEMENTS_SCHEMA}.reactor_checkpoint`;
const LOCK = 'coffer-achievements-reward-reactor';
const LOCK_RETRY_MS = 1000;

class Stopped extends Error {
  override readonly name = 'Stopped';
}

/**
 * Pays the reward of every unlock exactly once. It tails the store for AchievementUnlocked from
 * its checkpoint (table coffer_achievements.reactor_checkpoint, saved after each handled batch)
 * and for each unlock with a reward:
 *
 *   1. skips it when stream `reward-<unlock_id>` exists (already granted);
 *   2. sends the ledger PayReward with command id `<app_id>:reward:<unlock_id>` and a
 *      request hash fixed by the unlock id, until the ledger answers (UNAVAILABLE and timeouts
 *      are retried with backoff: the batch is held, and later unlocks wait behind it);
 *   3. appends RewardGranted to `reward-<unlock_id>` expecting no stream.
 *
 * A crash anywhere neither loses nor doubles a reward: before 2 the unlock is handled again from
 * the checkpoint; between 2 and 3 the resend is deduplicated by the ledger, which answers with
 * the first transaction; after 3 step 1 skips it, and a duplicate append fails its revision check
 * and is ignored. Instances take a PostgreSQL advisory lock so one reactor runs at a time (the
 * loop: LeadershipLoop); should two ever run (a lost lock session), the same two guarantees keep
 * it to one payment.
 */
export class RewardReactor implements LeaderRole {
  private stopped = false;
  /** Whether this instance holds the lock (or runs without one): its tail runs while it does. */
  private leading = false;
  private tailing: Promise<void> | undefined;
  private subscription: Subscription | undefined;
  private readonly lock: AdvisoryLockLeadership | undefined;
  private readonly leadership: LeadershipLoop | undefined;
  private readonly wakers = new Set<() => void>();
  private stopping!: Promise<never>;
  private signalStop!: (error: Error) => void;
  /** Rewards this reactor paid or recorded (for tests and logs). */
  granted = 0;

  constructor(
    private readonly store: EventStore,
    private readonly pool: Pool,
    private readonly payer: RewardPayer,
    private readonly logger: JsonLogger,
    private readonly options: RewardReactorOptions = DEFAULT_REACTOR_OPTIONS,
  ) {
    this.stopping = new Promise<never>((_resolve, reject) => (this.signalStop = reject));
    this.stopping.catch(() => undefined);
    if (options.databaseUrl) {
      this.lock = new AdvisoryLockLeadership(options.databaseUrl, LOCK, logger, LOCK_RETRY_MS);
      this.leadership = new LeadershipLoop(this.lock, this, logger, 'reward reactor lock');
    }
  }

  start(): void {
    if (this.leadership) this.leadership.start();
    else if (!this.tailing) void this.lead();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.signalStop(new Stopped('the reward reactor is stopping'));
    const stopping = this.leadership?.stop();
    await this.stepDown();
    await this.lock?.stop();
    await stopping;
  }

  standby(): void {}

  /** Holding the lock: tails the store from the checkpoint until it steps down. */
  async lead(): Promise<{ ended: Promise<void> }> {
    this.logger.event('info', 'leading the reward reactor');
    this.leading = true;
    this.tailing = this.tail();
    return { ended: this.tailing };
  }

  /** The lock was lost (its session died) or the reactor stops: no more reacting until it is held again. */
  async stepDown(): Promise<void> {
    if (this.leading && !this.stopped) this.logger.event('warn', 'reward reactor lost its lock: pausing');
    this.leading = false;
    for (const wake of this.wakers) wake();
    await this.subscription?.stop();
    await this.tailing;
    this.tailing = undefined;
  }

  private async tail(): Promise<void> {
    while (this.leading && !this.stopped) {
      try {
        const after = await this.checkpoint();
        if (!this.leading || this.stopped) return; // stepped down while reading it: nothing to subscribe for
        const subscription = this.store.subscribeToAll((events) => this.handle(events), {
          after,
          batchSize: this.options.batchSize,
          eventTypes: ['AchievementUnlocked'],
          minReadIntervalMs: 100, // rewards are paid asynchronously anyway
        });
        this.subscription = subscription;
        try {
          await subscription.done;
        } finally {
          // Every event before this position was handled (or was not an unlock): save the scan too.
          if (subscription.position !== undefined) await this.saveCheckpoint(subscription.position).catch(() => undefined);
        }
      } catch (error) {
        if (this.stopped || !this.leading) return;
        this.logger.event('error', 'reward reactor failed, restarting from its checkpoint', { error: (error as Error).message });
        await this.pause(this.options.maxRetryMs).catch(() => undefined);
      }
    }
  }

  /** Handles a batch of unlocks in order, then saves the checkpoint after its last one. */
  private async handle(events: RecordedEvent[]): Promise<void> {
    for (const event of events) await this.react(event);
    await this.persistently('save the checkpoint', () => this.saveCheckpoint(events[events.length - 1].globalPosition));
  }

  private async react(stored: RecordedEvent): Promise<void> {
    const event = upcastEvent(stored);
    const unlock = event.data as AchievementUnlocked;
    if (!unlock.reward) return;
    const stream = rewardStream(unlock.unlock_id);
    const granted = await this.persistently('read the reward stream', () => this.store.readStream(stream, { maxCount: 1 }));
    if (granted.length > 0) return;

    const correlationId = event.metadata?.correlation_id ?? randomUUID();
    let payment = await this.race(this.payer.pay(unlock, correlationId));
    for (let attempt = 1; payment.kind === 'retry'; attempt++) {
      this.logger.event(attempt === 1 ? 'warn' : 'debug', 'reward not paid yet: retrying', {
        unlock_id: unlock.unlock_id,
        attempt,
        reason: payment.reason,
      });
      await this.pause(this.backoff(attempt));
      payment = await this.race(this.payer.pay(unlock, correlationId));
    }
    if (payment.kind === 'refused') {
      // Validated at registration, a credit from a house account cannot be refused: if it ever
      // is, resending cannot help, and holding every later reward behind it would be worse.
      this.logger.event('error', 'the ledger refused an achievement reward', {
        unlock_id: unlock.unlock_id,
        app_id: unlock.app_id,
        user_id: unlock.user_id,
        code: payment.refusal.code,
        message: payment.refusal.message,
      });
      return;
    }

    const data: RewardGranted = {
      unlock_id: unlock.unlock_id,
      app_id: unlock.app_id,
      key: unlock.key,
      user_id: unlock.user_id,
      transaction_id: payment.transaction_id,
      amount: unlock.reward.amount,
      currency: unlock.reward.currency,
      granted_at: payment.created_at,
    };
    const recorded = await this.persistently('record the reward', async () => {
      try {
        await this.store.append(
          stream,
          [
            {
              id: randomUUID(),
              type: 'RewardGranted',
              data,
              metadata: {
                schema_version: EVENT_SCHEMA_VERSIONS.RewardGranted,
                correlation_id: correlationId,
                causation_id: event.id,
                command_id: rewardCommandId(unlock.app_id, unlock.unlock_id),
                app_id: unlock.app_id,
                key_id: null,
              },
            },
          ],
          'no_stream',
        );
        return true;
      } catch (error) {
        if (error instanceof WrongExpectedRevisionError) return false; // recorded already
        throw error;
      }
    });
    if (recorded) {
      this.granted++;
      this.logger.event('info', 'achievement reward granted', {
        unlock_id: unlock.unlock_id,
        transaction_id: payment.transaction_id,
        replayed: payment.replayed,
      });
    }
  }

  // ---- checkpoint and leadership -------------------------------------------------------------

  private async checkpoint(): Promise<bigint | undefined> {
    const { rows } = await this.pool.query<{ position: string }>(`SELECT position FROM ${CHECKPOINT}`);
    return rows.length ? BigInt(rows[0].position) : undefined;
  }

  private async saveCheckpoint(position: bigint): Promise<void> {
    await this.pool.query(
      `INSERT INTO ${CHECKPOINT} (id, position) VALUES (true, $1)
         ON CONFLICT (id) DO UPDATE SET position = GREATEST(${CHECKPOINT}.position, excluded.position), updated_at = now()`,
      [position.toString()],
    );
  }

  // ---- waiting -------------------------------------------------------------------------------

  /** Runs `work` until it succeeds (the store or the database may be restarting), unless stopped. */
  private async persistently<T>(what: string, work: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      if (this.stopped) throw new Stopped(what);
      try {
        return await this.race(work());
      } catch (error) {
        if (error instanceof Stopped || this.stopped) throw error;
        this.logger.event('warn', `reward reactor could not ${what}: retrying`, { attempt, error: (error as Error).message });
        await this.pause(this.backoff(attempt));
      }
    }
  }

  private backoff(attempt: number): number {
    return Math.min(this.options.maxRetryMs, this.options.retryMs * 2 ** (attempt - 1));
  }

  /** Settles with `work`, or rejects with Stopped as soon as the reactor stops. */
  private race<T>(work: Promise<T>): Promise<T> {
    return Promise.race([work, this.stopping]);
  }

  /** Sleeps `ms`; throws Stopped when the reactor stops meanwhile. */
  private async pause(ms: number): Promise<void> {
    if (this.stopped) throw new Stopped('stopping');
    await new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.wakers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.wakers.add(wake);
    });
    if (this.stopped) throw new Stopped('stopping');
  }
}
