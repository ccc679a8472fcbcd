/**
 * Feeds the Discord role outbox from the event store (checkpointed-feed.ts, its own checkpoint):
 * AchievementRegistered remembers an achievement's role, AchievementUnlocked of one with a role
 * enqueues a grant, keyed by the unlock's id, so an unlock is granted once, ever.
 */
import type { Pool, PoolClient } from 'pg';
import type { AchievementRegistered, AchievementUnlocked } from '@coffer/contracts';
import type { EventStore, RecordedEvent } from '@coffer/event-store';
import type { JsonLogger } from '@coffer/platform';
import { roleGrantOf, type RoleGrant } from '../domain/role-grants';
import { NOTIFIER_SCHEMA } from '../store/schema';
import { CheckpointedFeed } from './checkpointed-feed';

/** Most grants waiting at once: beyond it, a new one is recorded as failed at once (a Discord outage cannot grow the table without end). */
export const MAX_PENDING_ROLE_GRANTS = 10_000;

export class RoleFeeder {
  private readonly feed: CheckpointedFeed;

  constructor(
    store: EventStore,
    pool: Pool,
    logger: JsonLogger,
    enqueued: () => void,
    private readonly maxPending = MAX_PENDING_ROLE_GRANTS,
  ) {
    this.feed = new CheckpointedFeed(store, pool, logger, {
      checkpointTable: `${NOTIFIER_SCHEMA}.role_checkpoint`,
      eventTypes: ['AchievementRegistered', 'AchievementUnlocked'],
      what: 'discord role outbox',
      apply: (client, events) => this.enqueue(client, events),
      enqueued,
    });
  }

  start(): void {
    this.feed.start();
  }

  stop(): Promise<void> {
    return this.feed.stop();
  }

  private async enqueue(client: PoolClient, events: RecordedEvent[]): Promise<number> {
    const roles = new Map<string, string>();
    const id = (appId: string, key: string) => `${appId}/${key}`;
    const registered = events.map((event) => event.data as unknown as AchievementRegistered).filter((data, index) => events[index].type === 'AchievementRegistered' && data.discord_role_id);
    if (registered.length) {
      for (const data of registered) roles.set(id(data.app_id, data.key), data.discord_role_id as string);
      await client.query(
        `INSERT INTO ${NOTIFIER_SCHEMA}.badge_roles (app_id, key, role_id) SELECT * FROM unnest($1::text[], $2::text[], $3::text[])
         ON CONFLICT (app_id, key) DO NOTHING`,
        [registered.map((data) => data.app_id), registered.map((data) => data.key), registered.map((data) => data.discord_role_id)],
      );
    }
    const unlocks = events.filter((event) => event.type === 'AchievementUnlocked').map((event) => event.data as unknown as AchievementUnlocked);
    if (!unlocks.length) return 0;
    const earlier = unlocks.filter((unlock) => !roles.has(id(unlock.app_id, unlock.key)));
    if (earlier.length) {
      const { rows } = await client.query<{ app_id: string; key: string; role_id: string }>(
        `SELECT r.app_id, r.key, r.role_id FROM ${NOTIFIER_SCHEMA}.badge_roles r
           JOIN unnest($1::text[], $2::text[]) AS u(app_id, key) ON r.app_id = u.app_id AND r.key = u.key`,
        [earlier.map((unlock) => unlock.app_id), earlier.map((unlock) => unlock.key)],
      );
      for (const row of rows) roles.set(id(row.app_id, row.key), row.role_id);
    }
    const grants = unlocks.map((unlock) => roleGrantOf(unlock, (appId, key) => roles.get(id(appId, key)))).filter((grant): grant is RoleGrant => grant !== null);
    if (!grants.length) return 0;
    const { rows } = await client.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${NOTIFIER_SCHEMA}.role_grants WHERE status = 'pending'`);
    let waiting = Number(rows[0].n);
    const status = grants.map(() => (waiting++ < this.maxPending ? 'pending' : 'failed'));
    await client.query(
      `INSERT INTO ${NOTIFIER_SCHEMA}.role_grants (unlock_id, app_id, key, user_id, role_id, status, error, next_attempt_at)
       SELECT u, a, k, m, r, s, CASE WHEN s = 'failed' THEN $7 END, CASE WHEN s = 'pending' THEN now() END
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) WITH ORDINALITY AS g(u, a, k, m, r, s, n)
        ORDER BY n
       ON CONFLICT (unlock_id) DO NOTHING`,
      [
        grants.map((grant) => grant.unlock_id),
        grants.map((grant) => grant.app_id),
        grants.map((grant) => grant.key),
        grants.map((grant) => grant.user_id),
        grants.map((grant) => grant.role_id),
        status,
        `not attempted: ${this.maxPending} role grants were already waiting`,
      ],
    );
    return status.filter((each) => each === 'pending').length;
  }
}
