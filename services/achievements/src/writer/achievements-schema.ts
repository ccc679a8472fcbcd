/**
 * The service's own PostgreSQL tables (schema `coffer_achievements`, beside the event store):
 * the idempotency keys it has bound to a request, the achievement keys each app holds (its
 * quota), the reward reactor's checkpoint and the rewards it holds for a later day. None is state the domain decides on: the events
 * are the truth.
 */
import type { Pool } from 'pg';
import { createUnderLock } from '@coffer/event-store';

export const ACHIEVEMENTS_SCHEMA = 'coffer_achievements';

export const ACHIEVEMENTS_DDL = [
  `CREATE SCHEMA IF NOT EXISTS ${ACHIEVEMENTS_SCHEMA}`,
  `CREATE TABLE IF NOT EXISTS ${ACHIEVEMENTS_SCHEMA}.commands (
     command_id text PRIMARY KEY,
     request_hash text NOT NULL,
     claimed_at timestamptz NOT NULL DEFAULT now())`,
  `CREATE INDEX IF NOT EXISTS commands_claimed_at ON ${ACHIEVEMENTS_SCHEMA}.commands (claimed_at)`,
  `CREATE TABLE IF NOT EXISTS ${ACHIEVEMENTS_SCHEMA}.definitions (
     app_id text NOT NULL,
     key text NOT NULL,
     reserved_at timestamptz NOT NULL DEFAULT now(),
     PRIMARY KEY (app_id, key))`,
  `CREATE TABLE IF NOT EXISTS ${ACHIEVEMENTS_SCHEMA}.reactor_checkpoint (
     id boolean PRIMARY KEY DEFAULT true CHECK (id),
     position bigint NOT NULL,
     updated_at timestamptz NOT NULL DEFAULT now())`,
  // A reward the ledger refused (RewardWithheld is the record; this row is the reactor's to-do
  // list, written after the event and rebuilt from the reward stream when a crash lost it).
  `CREATE TABLE IF NOT EXISTS ${ACHIEVEMENTS_SCHEMA}.withheld_rewards (
     unlock_id text PRIMARY KEY,
     unlock_position bigint NOT NULL,
     unlock jsonb NOT NULL,
     correlation_id text NOT NULL,
     causation_id text NOT NULL,
     attempt integer NOT NULL CHECK (attempt >= 1),
     retry_at timestamptz NOT NULL)`,
  `CREATE INDEX IF NOT EXISTS withheld_rewards_due ON ${ACHIEVEMENTS_SCHEMA}.withheld_rewards (retry_at, unlock_position)`,
];

/** Creates the schema when missing; instances starting together take turns (advisory lock). */
export async function ensureAchievementsSchema(pool: Pool): Promise<void> {
  await createUnderLock(pool, `${ACHIEVEMENTS_SCHEMA}:ddl`, ACHIEVEMENTS_DDL);
}
