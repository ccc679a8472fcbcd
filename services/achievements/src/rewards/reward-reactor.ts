import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { EVENT_SCHEMA_VERSIONS, upcastEvent, type AchievementUnlocked, type RewardGranted, type RewardWithheld } from '@coffer/contracts';
import { WrongExpectedRevisionError, type EventStore, type RecordedEvent, type Subscription } from '@coffer/event-store';
import { AdvisoryLockLeadership, LeadershipLoop, type JsonLogger, type LeaderRole } from '@coffer/platform';
import { rewardStream } from '../domain/streams';
import { ACHIEVEMENTS_SCHEMA } from '../writer/achievements-schema';
import type { RewardPayer } from './ledger-payer';
import { retryAt, rewardCommandId, rewardStanding, type RewardStanding } from './reward-attempts';
import { WithheldRewards, type RewardToPay } from './withheld-rewards';

export interface RewardReactorOptions {
  /** Where the leadership lock is held (a session of its own); omit to run without one. */
  databaseUrl?: string;
  batchSize: number;
  /** First wait after a failed attempt; doubled each time up to maxRetryMs. */
  retryMs: number;
  maxRetryMs: number;
  /** How often held rewards are looked at for one that is due (they fall due at 00:00 UTC). */
  withheldPollMs: number;
  /** Most held rewards tried in one go. */
  withheldBatchSize: number;
  /** The clock that dates a refusal and says which held rewards are due (tests move it). */
  now?: () => Date;
}

export const DEFAULT_REACTOR_OPTIONS: Omit<RewardReactorOptions, 'databaseUrl'> = {
  batchSize: 100,
  retryMs: 100,
  maxRetryMs: 5000,
  withheldPollMs: 60_000,
  withheldBatchSize: 100,
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
 *   1. reads the last event of stream `reward-<unlock_id>`: RewardGranted → done; RewardWithheld
 *      → it waits on the withheld list (see below);
 *   2. sends the ledger PayReward with command id `<app_id>:reward:<unlock_id>` (attempt 1) and a
 *      request hash fixed by the unlock id, until the ledger answers (UNAVAILABLE and timeouts
 *      are retried with backoff: the batch is held, and later unlocks wait behind it);
 *   3. appends the outcome to `reward-<unlock_id>` after the event read in 1: RewardGranted, or,
 *      when the ledger refused (the app's daily mint limit, a currency taken from the app),
 *      RewardWithheld and a row in coffer_achievements.withheld_rewards due at the next 00:00
 *      UTC. A second loop sends each due reward again as the next attempt, with a command id of
 *      its own (reward-attempts.ts says why that cannot pay twice), until it is granted.
 *
 * A crash anywhere neither loses nor doubles a reward: before 2 the unlock is handled again from
 * the checkpoint; between 2 and 3 the resend is deduplicated by the ledger, which answers with
 * the first outcome; after 3 step 1 sees it, and a duplicate append fails its revision check
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
  private readonly withheld: WithheldRewards;
  private readonly now: () => Date;

  constructor(
    private readonly store: EventStore,
    private readonly pool: Pool,
    private readonly payer: RewardPayer,
    private readonly logger: JsonLogger,
    private readonly options: RewardReactorOptions = DEFAULT_REACTOR_OPTIONS,
  ) {
    this.withheld = new WithheldRewards(pool);
    this.now = options.now ?? (() => new Date());
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

  /** Holding the lock: tails the store from the checkpoint, and retries held rewards, until it steps down. */
  async lead(): Promise<{ ended: Promise<void> }> {
    this.logger.event('info', 'leading the reward reactor');
    this.leading = true;
    this.tailing = Promise.all([this.tail(), this.retryWithheld()]).then(() => undefined);
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
    const reward: RewardToPay = {
      unlock,
      unlock_position: stored.globalPosition,
      correlation_id: event.metadata?.correlation_id ?? randomUUID(),
      causation_id: event.id,
    };
    const standing = await this.standingOf(unlock.unlock_id);
    if (standing.kind === 'granted') return;
    // Withheld before a crash: make sure it is on the to-do list (the row may be what was lost).
    if (standing.kind === 'withheld') return this.persistently('hold the reward', () => this.withheld.hold(reward, standing.attempt, standing.retry_at));
    await this.settle(reward, standing);
  }

  /**
   * Sends the reward's next attempt until the ledger answers, then records the outcome in its
   * stream: RewardGranted, or RewardWithheld and a row to try again from the next UTC day.
   */
  private async settle(reward: RewardToPay, standing: Exclude<RewardStanding, { kind: 'granted' }>): Promise<'granted' | 'withheld'> {
    const { unlock } = reward;
    let payment = await this.race(this.payer.pay(unlock, reward.correlation_id, standing.attempt));
    for (let retry = 1; payment.kind === 'retry'; retry++) {
      this.logger.event(retry === 1 ? 'warn' : 'debug', 'reward not paid yet: retrying', {
        unlock_id: unlock.unlock_id,
        attempt: standing.attempt,
        retry,
        reason: payment.reason,
      });
      await this.pause(this.backoff(retry));
      payment = await this.race(this.payer.pay(unlock, reward.correlation_id, standing.attempt));
    }
    const common = { unlock_id: unlock.unlock_id, app_id: unlock.app_id, key: unlock.key, user_id: unlock.user_id };
    const { amount, currency } = unlock.reward!;

    if (payment.kind === 'refused') {
      // Resending the same attempt would get the same refusal: hold it, and go on with the next
      // unlock (holding every later reward behind one the app's limit refuses would be worse).
      const refusedAt = this.now();
      const data: RewardWithheld = {
        ...common,
        amount,
        currency,
        attempt: standing.attempt,
        code: payment.refusal.code,
        message: payment.refusal.message,
        withheld_at: refusedAt.toISOString(),
        retry_at: retryAt(refusedAt).toISOString(),
      };
      const recorded = await this.record(reward, standing, 'RewardWithheld', data);
      this.logger.event('warn', 'the ledger refused an achievement reward: withheld until the next UTC day', {
        ...common,
        attempt: standing.attempt,
        code: data.code,
        message: data.message,
        retry_at: data.retry_at,
      });
      if (recorded) await this.persistently('hold the reward', () => this.withheld.hold(reward, standing.attempt + 1, data.retry_at));
      return 'withheld';
    }

    const data: RewardGranted = { ...common, transaction_id: payment.transaction_id, amount, currency, granted_at: payment.created_at };
    const recorded = await this.record(reward, standing, 'RewardGranted', data);
    if (recorded) {
      this.granted++;
      if (standing.kind === 'withheld') await this.persistently('release the reward', () => this.withheld.release(unlock.unlock_id));
      this.logger.event('info', 'achievement reward granted', {
        unlock_id: unlock.unlock_id,
        transaction_id: payment.transaction_id,
        attempt: standing.attempt,
        replayed: payment.replayed,
      });
    }
    return 'granted';
  }

  /**
   * Appends the outcome of `standing.attempt` after the stream's last event. False when another
   * reactor recorded first (a lost lock): its row is then brought in line with what it recorded.
   */
  private async record(
    reward: RewardToPay,
    standing: Exclude<RewardStanding, { kind: 'granted' }>,
    type: 'RewardGranted' | 'RewardWithheld',
    data: RewardGranted | RewardWithheld,
  ): Promise<boolean> {
    const { unlock } = reward;
    const appended = await this.persistently(`record ${type}`, async () => {
      try {
        await this.store.append(
          rewardStream(unlock.unlock_id),
          [
            {
              id: randomUUID(),
              type,
              data,
              metadata: {
                schema_version: EVENT_SCHEMA_VERSIONS[type],
                correlation_id: reward.correlation_id,
                causation_id: reward.causation_id,
                command_id: rewardCommandId(unlock.app_id, unlock.unlock_id, standing.attempt),
                app_id: unlock.app_id,
                key_id: null,
              },
            },
          ],
          standing.revision,
        );
        return true;
      } catch (error) {
        if (error instanceof WrongExpectedRevisionError) return false; // recorded already
        throw error;
      }
    });
    if (!appended) {
      const now = await this.standingOf(unlock.unlock_id);
      if (now.kind === 'granted') await this.persistently('release the reward', () => this.withheld.release(unlock.unlock_id));
      if (now.kind === 'withheld') await this.persistently('hold the reward', () => this.withheld.hold(reward, now.attempt, now.retry_at));
    }
    return appended;
  }

  private async standingOf(unlockId: string): Promise<RewardStanding> {
    const [last] = await this.persistently('read the reward stream', () =>
      this.store.readStream(rewardStream(unlockId), { direction: 'backwards', maxCount: 1 }),
    );
    return rewardStanding(last);
  }

  // ---- withheld rewards ----------------------------------------------------------------------

  /**
   * While leading: every withheldPollMs, tries the held rewards that are due, oldest unlock
   * first, up to withheldBatchSize at a time. Once the ledger refuses an app's currency in a
   * pass, that app's other rewards in it wait for the next day untried: one refused command per
   * app and currency a day, however many rewards it has held.
   */
  private async retryWithheld(): Promise<void> {
    while (this.leading && !this.stopped) {
      let full = false;
      try {
        const now = this.now();
        const due = await this.withheld.due(now, this.options.withheldBatchSize);
        full = due.length === this.options.withheldBatchSize;
        const refused = new Set<string>();
        for (const held of due) {
          if (!this.leading || this.stopped) return;
          const appCurrency = `${held.unlock.app_id}\u0000${held.unlock.reward?.currency}`;
          if (refused.has(appCurrency)) {
            await this.withheld.postpone(held.unlock.unlock_id, retryAt(now));
            continue;
          }
          const standing = await this.standingOf(held.unlock.unlock_id);
          if (standing.kind === 'granted') {
            await this.withheld.release(held.unlock.unlock_id);
            continue;
          }
          if ((await this.settle(held, standing)) === 'withheld') refused.add(appCurrency);
        }
      } catch (error) {
        if (this.stopped || !this.leading) return;
        full = false; // a failing pass waits before the next
        this.logger.event('error', 'reward reactor could not retry withheld rewards', { error: (error as Error).message });
      }
      if (!full) await this.pause(this.options.withheldPollMs).catch(() => undefined);
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
