/**
 * The notifier's own tables (schema `coffer_notifier`, beside the event store): the apps'
 * webhooks, the outbox of deliveries (each a notification for one webhook, with its latest
 * attempt: the deliveries log is the outbox itself), the owners of open finance events, and
 * the checkpoint the outbox is fed from. The outbox rows and the checkpoint are written in one
 * transaction, so a crash neither loses nor doubles a notification.
 *
 * The secret is stored as given out, not hashed: signing a delivery needs it. It is never logged,
 * never answered again but to a replay of the registration's own Idempotency-Key, and never
 * published on the feed.
 */
import type { Pool } from 'pg';
import { createUnderLock } from '@coffer/event-store';

export const NOTIFIER_SCHEMA = 'coffer_notifier';

export const NOTIFIER_DDL = [
  `CREATE SCHEMA IF NOT EXISTS ${NOTIFIER_SCHEMA}`,
  `CREATE TABLE IF NOT EXISTS ${NOTIFIER_SCHEMA}.webhooks (
     webhook_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
     app_id text NOT NULL,
     url text NOT NULL,
     events text[] NOT NULL,
     secret text NOT NULL,
     -- Events at or before this store position happened before the webhook existed: not its.
     after_position bigint NOT NULL,
     created_at timestamptz NOT NULL DEFAULT now(),
     deleted_at timestamptz,
     -- The registration's command id (<app>:sha256(Idempotency-Key)) and request hash, for its replays.
     command_id text NOT NULL UNIQUE,
     request_hash text)`,
  `CREATE INDEX IF NOT EXISTS webhooks_app ON ${NOTIFIER_SCHEMA}.webhooks (app_id) WHERE deleted_at IS NULL`,
  `CREATE TABLE IF NOT EXISTS ${NOTIFIER_SCHEMA}.outbox (
     seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
     delivery_id uuid NOT NULL UNIQUE,
     webhook_id bigint NOT NULL,
     event_id text NOT NULL,
     type text NOT NULL,
     body text NOT NULL,
     status text NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
     attempts integer NOT NULL DEFAULT 0,
     first_attempt_at timestamptz,
     last_attempt_at timestamptz,
     response_code integer,
     error text,
     next_attempt_at timestamptz,
     created_at timestamptz NOT NULL DEFAULT now(),
     UNIQUE (webhook_id, event_id))`,
  // The head of each webhook's queue (its oldest pending delivery) is what the deliverer reads.
  `CREATE INDEX IF NOT EXISTS outbox_pending ON ${NOTIFIER_SCHEMA}.outbox (webhook_id, seq) WHERE status = 'pending'`,
  `CREATE INDEX IF NOT EXISTS outbox_log ON ${NOTIFIER_SCHEMA}.outbox (webhook_id, seq DESC)`,
  `CREATE TABLE IF NOT EXISTS ${NOTIFIER_SCHEMA}.finance_event_owners (
     event_id bigint PRIMARY KEY,
     app_id text NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS ${NOTIFIER_SCHEMA}.checkpoint (
     id boolean PRIMARY KEY DEFAULT true CHECK (id),
     position bigint,
     updated_at timestamptz NOT NULL DEFAULT now())`,
  `INSERT INTO ${NOTIFIER_SCHEMA}.checkpoint (id, position) VALUES (true, NULL) ON CONFLICT (id) DO NOTHING`,
  // The last UTC day whose daily.summary was enqueued (null: none yet).
  `CREATE TABLE IF NOT EXISTS ${NOTIFIER_SCHEMA}.summary_checkpoint (
     id boolean PRIMARY KEY DEFAULT true CHECK (id),
     last_day date,
     updated_at timestamptz NOT NULL DEFAULT now())`,
  `INSERT INTO ${NOTIFIER_SCHEMA}.summary_checkpoint (id, last_day) VALUES (true, NULL) ON CONFLICT (id) DO NOTHING`,
  // Discord roles of badges (README, Discord): each achievement's role, from AchievementRegistered.
  `CREATE TABLE IF NOT EXISTS ${NOTIFIER_SCHEMA}.badge_roles (
     app_id text NOT NULL,
     key text NOT NULL,
     role_id text NOT NULL,
     PRIMARY KEY (app_id, key))`,
  // The role outbox: one grant per unlock of an achievement with a role (unlock_id: once, ever).
  `CREATE TABLE IF NOT EXISTS ${NOTIFIER_SCHEMA}.role_grants (
     seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
     unlock_id text NOT NULL UNIQUE,
     app_id text NOT NULL,
     key text NOT NULL,
     user_id text NOT NULL,
     role_id text NOT NULL,
     status text NOT NULL CHECK (status IN ('pending', 'granted', 'failed')),
     attempts integer NOT NULL DEFAULT 0,
     first_attempt_at timestamptz,
     last_attempt_at timestamptz,
     response_code integer,
     error text,
     next_attempt_at timestamptz,
     created_at timestamptz NOT NULL DEFAULT now())`,
  `CREATE INDEX IF NOT EXISTS role_grants_due ON ${NOTIFIER_SCHEMA}.role_grants (next_attempt_at, seq) WHERE status = 'pending'`,
  `CREATE TABLE IF NOT EXISTS ${NOTIFIER_SCHEMA}.role_checkpoint (
     id boolean PRIMARY KEY DEFAULT true CHECK (id),
     position bigint,
     updated_at timestamptz NOT NULL DEFAULT now())`,
  `INSERT INTO ${NOTIFIER_SCHEMA}.role_checkpoint (id, position) VALUES (true, NULL) ON CONFLICT (id) DO NOTHING`,
];

/** Creates the schema when missing; instances starting together take turns (advisory lock). */
export async function ensureNotifierSchema(pool: Pool): Promise<void> {
  await createUnderLock(pool, `${NOTIFIER_SCHEMA}:ddl`, NOTIFIER_DDL);
}
