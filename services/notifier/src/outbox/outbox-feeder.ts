/**
 * Feeds the webhooks outbox from the event store (checkpointed-feed.ts): each batch's deliveries
 * are written with the new checkpoint in one transaction, so a crash neither loses a notification
 * nor enqueues one twice (and the outbox's (webhook, event) key would refuse a double). Never a
 * dual write: the writers know nothing of webhooks.
 */
import { randomUUID } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import { webhookHears } from '@coffer/contracts';
import type { EventStore, RecordedEvent } from '@coffer/event-store';
import type { JsonLogger } from '@coffer/platform';
import { CheckpointedFeed } from './checkpointed-feed';
import { deliveryBody, notificationOf, READ_EVENT_TYPES, SETTLING_EVENT_TYPES, type Notification } from '../domain/notifications';
import { NOTIFIER_SCHEMA } from '../store/schema';

/** Most deliveries waiting for one webhook: beyond it, new notifications for it are recorded as failed at once (see README). */
export const MAX_PENDING_PER_WEBHOOK = 10_000;

interface Target {
  webhook_id: string;
  app_id: string;
  events: string[];
  after_position: string;
}

export class OutboxFeeder {
  private readonly feed: CheckpointedFeed;

  constructor(
    store: EventStore,
    pool: Pool,
    logger: JsonLogger,
    /** Called after a batch enqueued deliveries, so the deliverer looks at once. */
    enqueued: () => void,
    private readonly maxPendingPerWebhook = MAX_PENDING_PER_WEBHOOK,
  ) {
    this.feed = new CheckpointedFeed(store, pool, logger, {
      checkpointTable: `${NOTIFIER_SCHEMA}.checkpoint`,
      eventTypes: READ_EVENT_TYPES,
      what: 'webhook outbox',
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

  /** Remembers finance events' owners and writes one outbox row per notification and webhook that hears it. */
  private async enqueue(client: PoolClient, events: RecordedEvent[]): Promise<number> {
    const owners = await this.owners(client, events);
    const notifications: Array<{ notification: Notification; position: bigint }> = [];
    for (const event of events) {
      const notification = notificationOf(event, (eventId) => owners.get(eventId) ?? null);
      if (notification) notifications.push({ notification, position: event.globalPosition });
    }
    const settled = events.filter((event) => SETTLING_EVENT_TYPES.includes(event.type)).map((event) => eventIdOf(event));
    if (settled.length) {
      // A settled event changes no more: its owner is needed no longer (the table holds open events only).
      await client.query(`DELETE FROM ${NOTIFIER_SCHEMA}.finance_event_owners WHERE event_id = ANY($1::bigint[])`, [settled]);
    }
    if (!notifications.length) return 0;
    const apps = [...new Set(notifications.map(({ notification }) => notification.app_id))];
    const { rows: targets } = await client.query<Target>(
      `SELECT webhook_id::text, app_id, events, after_position::text FROM ${NOTIFIER_SCHEMA}.webhooks
        WHERE deleted_at IS NULL AND app_id = ANY($1::text[]) ORDER BY webhook_id`,
      [apps],
    );
    if (!targets.length) return 0;
    const { rows: pendingRows } = await client.query<{ webhook_id: string; pending: string }>(
      `SELECT webhook_id::text, count(*)::text AS pending FROM ${NOTIFIER_SCHEMA}.outbox
        WHERE status = 'pending' AND webhook_id = ANY($1::bigint[]) GROUP BY webhook_id`,
      [targets.map((target) => target.webhook_id)],
    );
    const pending = new Map(pendingRows.map((row) => [row.webhook_id, Number(row.pending)]));
    const rows = { delivery: [] as string[], webhook: [] as string[], event: [] as string[], type: [] as string[], body: [] as string[], status: [] as string[], error: [] as Array<string | null> };
    for (const { notification, position } of notifications) {
      for (const target of targets) {
        if (target.app_id !== notification.app_id || !webhookHears(target.events, notification.type)) continue;
        if (position <= BigInt(target.after_position)) continue;
        const waiting = pending.get(target.webhook_id) ?? 0;
        const full = waiting >= this.maxPendingPerWebhook;
        if (!full) pending.set(target.webhook_id, waiting + 1);
        rows.delivery.push(randomUUID());
        rows.webhook.push(target.webhook_id);
        rows.event.push(notification.id);
        rows.type.push(notification.type);
        rows.body.push(deliveryBody(notification));
        rows.status.push(full ? 'failed' : 'pending');
        rows.error.push(full ? `not attempted: ${this.maxPendingPerWebhook} deliveries were already waiting for this webhook` : null);
      }
    }
    if (!rows.delivery.length) return 0;
    await client.query(
      `INSERT INTO ${NOTIFIER_SCHEMA}.outbox (delivery_id, webhook_id, event_id, type, body, status, error, next_attempt_at)
       SELECT d, w, e, t, b, s, x, CASE WHEN s = 'pending' THEN now() END
         FROM unnest($1::uuid[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[]) WITH ORDINALITY AS r(d, w, e, t, b, s, x, n)
        ORDER BY n
       ON CONFLICT (webhook_id, event_id) DO NOTHING`,
      [rows.delivery, rows.webhook, rows.event, rows.type, rows.body, rows.status, rows.error],
    );
    return rows.delivery.length;
  }

  /** The owners of the finance events this batch mentions: opened in it (remembered now), or earlier. */
  private async owners(client: PoolClient, events: RecordedEvent[]): Promise<Map<number, string>> {
    const owners = new Map<number, string>();
    const opened = events.filter((event) => event.type === 'EventOpened');
    if (opened.length) {
      const ids = opened.map((event) => eventIdOf(event));
      const apps = opened.map((event) => String((event.data as { app_id: unknown }).app_id));
      ids.forEach((id, index) => owners.set(id, apps[index]));
      await client.query(
        `INSERT INTO ${NOTIFIER_SCHEMA}.finance_event_owners (event_id, app_id)
         SELECT * FROM unnest($1::bigint[], $2::text[]) ON CONFLICT (event_id) DO NOTHING`,
        [ids, apps],
      );
    }
    const expired = events.filter((event) => event.type === 'EventExpired').map((event) => eventIdOf(event)).filter((id) => !owners.has(id));
    if (expired.length) {
      const { rows } = await client.query<{ event_id: string; app_id: string }>(
        `SELECT event_id::text, app_id FROM ${NOTIFIER_SCHEMA}.finance_event_owners WHERE event_id = ANY($1::bigint[])`,
        [expired],
      );
      for (const row of rows) owners.set(Number(row.event_id), row.app_id);
    }
    return owners;
  }
}

function eventIdOf(event: RecordedEvent): number {
  return Number((event.data as { event_id: unknown }).event_id);
}
