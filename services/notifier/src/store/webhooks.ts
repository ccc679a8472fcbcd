/**
 * The apps' webhooks and their delivery logs, as the notifier answers the gateway's requests.
 * An app sees and deletes only its own; a registration is checked for where it leads (SSRF) and
 * remembers its Idempotency-Key's command id and request hash for its replays.
 */
import type { Pool } from 'pg';
import {
  isWebhookEvents,
  isWebhookUrlShape,
  MAX_LIST_LIMIT_FOR_DELIVERIES,
  MAX_WEBHOOKS_PER_APP,
  refusal,
  WEBHOOK_EVENTS_MESSAGE,
  WEBHOOK_URL_MESSAGE,
  type CreatedWebhookReply,
  type DeliveriesReply,
  type DeliveryReply,
  type Reply,
  type RequestMeta,
  type WebhookReply,
} from '@coffer/contracts';
import { newWebhookSecret } from '../domain/signature';
import type { TargetRules } from '../domain/target';
import { targetRefusal } from '../delivery/http-target';
import { NOTIFIER_SCHEMA } from './schema';

interface WebhookRow {
  webhook_id: string;
  url: string;
  events: string[];
  created_at: Date;
}

const view = (row: WebhookRow): WebhookReply => ({
  webhook_id: Number(row.webhook_id),
  url: row.url,
  events: row.events,
  created_at: row.created_at.toISOString(),
});

const invalid = (field: string, message: string) => refusal('VALIDATION_FAILED', 'the request is not valid', { fields: { [field]: [message] } });
const accepted = <Result>(result: Result): Reply<Result> => ({ ok: true, result });

export class Webhooks {
  constructor(
    private readonly pool: Pool,
    private readonly rules: TargetRules,
    /** The store's newest position now: a new webhook hears what happens after it. */
    private readonly headPosition: () => Promise<bigint | undefined>,
  ) {}

  async create(meta: RequestMeta, data: { url: unknown; events: unknown }, requestHash: string | null): Promise<Reply<CreatedWebhookReply>> {
    const app = meta.app_id;
    if (app === null) return refusal('FORBIDDEN', 'webhooks belong to apps: call with an API key');
    if (!isWebhookUrlShape(data.url)) return invalid('url', WEBHOOK_URL_MESSAGE);
    if (!isWebhookEvents(data.events)) return invalid('events', WEBHOOK_EVENTS_MESSAGE);
    const first = await this.pool.query<WebhookRow & { app_id: string; secret: string; request_hash: string | null }>(
      `SELECT webhook_id::text, app_id, url, events, created_at, secret, request_hash FROM ${NOTIFIER_SCHEMA}.webhooks WHERE command_id = $1`,
      [meta.command_id],
    );
    if (first.rows.length) return this.replay(first.rows[0], app, requestHash);
    const refused = await targetRefusal(data.url, this.rules);
    if (refused) return invalid('url', refused);
    const after = (await this.headPosition()) ?? -1n;
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      // Registrations of one app take turns, so two at once cannot both pass the limit.
      await client.query(`SELECT pg_advisory_xact_lock(hashtext('coffer_notifier.webhooks:' || $1))`, [app]);
      const again = await client.query(`SELECT 1 FROM ${NOTIFIER_SCHEMA}.webhooks WHERE command_id = $1`, [meta.command_id]);
      if (again.rows.length) {
        await client.query('ROLLBACK');
        return this.create(meta, data, requestHash); // a concurrent duplicate won: answer its reply
      }
      const { rows: count } = await client.query<{ n: string }>(
        `SELECT count(*)::text AS n FROM ${NOTIFIER_SCHEMA}.webhooks WHERE app_id = $1 AND deleted_at IS NULL`,
        [app],
      );
      if (Number(count[0].n) >= MAX_WEBHOOKS_PER_APP) {
        await client.query('ROLLBACK');
        return refusal('LIMIT_EXCEEDED', `an app may have at most ${MAX_WEBHOOKS_PER_APP} webhooks: delete one first`, {
          limit: 'MAX_WEBHOOKS_PER_APP',
          maximum: MAX_WEBHOOKS_PER_APP,
        });
      }
      const secret = newWebhookSecret();
      const { rows } = await client.query<WebhookRow>(
        `INSERT INTO ${NOTIFIER_SCHEMA}.webhooks (app_id, url, events, secret, after_position, command_id, request_hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING webhook_id::text, url, events, created_at`,
        [app, data.url, data.events, secret, after.toString(), meta.command_id, requestHash],
      );
      await client.query('COMMIT');
      return accepted({ ...view(rows[0]), secret, replayed: false });
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /** The same Idempotency-Key again: the first answer (secret included: it is that answer), or a refusal of another body. */
  private replay(
    row: WebhookRow & { app_id: string; secret: string; request_hash: string | null },
    app: string,
    requestHash: string | null,
  ): Reply<CreatedWebhookReply> {
    // A command id is <app>:<hash of the key>, so another app's can only be a forgery.
    if (row.app_id !== app) return refusal('FORBIDDEN', 'that command id is another app’s');
    if (row.request_hash === null || row.request_hash !== requestHash) {
      return refusal('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used with another request');
    }
    return accepted({ ...view(row), secret: row.secret, replayed: true });
  }

  async list(meta: RequestMeta): Promise<Reply<{ data: WebhookReply[] }>> {
    if (meta.app_id === null) return refusal('FORBIDDEN', 'webhooks belong to apps: call with an API key');
    const { rows } = await this.pool.query<WebhookRow>(
      `SELECT webhook_id::text, url, events, created_at FROM ${NOTIFIER_SCHEMA}.webhooks
        WHERE app_id = $1 AND deleted_at IS NULL ORDER BY webhook_id LIMIT $2`,
      [meta.app_id, MAX_WEBHOOKS_PER_APP],
    );
    return accepted({ data: rows.map(view) });
  }

  /** Deletes the app's webhook and what waits for it; its log goes too. Another app's is NOT_FOUND, as a missing one. */
  async delete(meta: RequestMeta, webhookId: number): Promise<Reply<null>> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const { rowCount } = await client.query(
        `UPDATE ${NOTIFIER_SCHEMA}.webhooks SET deleted_at = now() WHERE webhook_id = $1 AND app_id = $2 AND deleted_at IS NULL`,
        [webhookId, meta.app_id],
      );
      if (!rowCount) {
        await client.query('ROLLBACK');
        return notFound(webhookId);
      }
      await client.query(`DELETE FROM ${NOTIFIER_SCHEMA}.outbox WHERE webhook_id = $1`, [webhookId]);
      await client.query('COMMIT');
      return accepted(null);
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /** The webhook's deliveries, newest first, a page at a time (`cursor`: the last page's last sequence number). */
  async deliveries(meta: RequestMeta, webhookId: number, limit: number, cursor: string | null): Promise<Reply<DeliveriesReply>> {
    const owned = await this.pool.query(`SELECT 1 FROM ${NOTIFIER_SCHEMA}.webhooks WHERE webhook_id = $1 AND app_id = $2 AND deleted_at IS NULL`, [
      webhookId,
      meta.app_id,
    ]);
    if (!owned.rows.length) return notFound(webhookId);
    const pageSize = Math.min(Math.max(1, Math.trunc(limit)), MAX_LIST_LIMIT_FOR_DELIVERIES);
    const { rows } = await this.pool.query<{
      seq: string;
      delivery_id: string;
      event_id: string;
      type: DeliveryReply['type'];
      status: DeliveryReply['status'];
      attempts: number;
      last_attempt_at: Date | null;
      response_code: number | null;
      error: string | null;
      next_attempt_at: Date | null;
      created_at: Date;
    }>(
      `SELECT seq::text, delivery_id, event_id, type, status, attempts, last_attempt_at, response_code, error, next_attempt_at, created_at
         FROM ${NOTIFIER_SCHEMA}.outbox WHERE webhook_id = $1 AND ($2::bigint IS NULL OR seq < $2::bigint)
        ORDER BY seq DESC LIMIT $3`,
      [webhookId, cursor, pageSize + 1],
    );
    const page = rows.slice(0, pageSize);
    const iso = (time: Date | null) => (time === null ? null : time.toISOString());
    return accepted({
      data: page.map((row) => ({
        delivery_id: row.delivery_id,
        event_id: row.event_id,
        type: row.type,
        status: row.status,
        attempts: row.attempts,
        last_attempt_at: iso(row.last_attempt_at),
        response_code: row.response_code,
        error: row.error,
        next_attempt_at: iso(row.next_attempt_at),
        created_at: row.created_at.toISOString(),
      })),
      next_cursor: rows.length > pageSize ? page[page.length - 1].seq : null,
    });
  }
}

const notFound = (webhookId: number) => refusal('NOT_FOUND', `no webhook ${webhookId} of this app`, { webhook_id: webhookId });
