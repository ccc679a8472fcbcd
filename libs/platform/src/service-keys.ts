/**
 * The deployment's service keys: what the gateway and the achievements service sign their NATS
 * requests with, and what every service checks them against (request-signature.ts).
 *
 * COFFER_SERVICE_KEY when set (hosts that share no database, or a rotation): one key, or two
 * while a rotation rolls out; the first signs and both are accepted. Otherwise the key is
 * generated at the first start of the first service and kept in PostgreSQL, so every process of
 * the deployment (`npm start`, a test or chaos harness) finds the same one with no manual step.
 * Whoever can read that table can sign; whoever can write the event store can do far more, so the
 * database is inside the trust boundary either way (README, "Trust model").
 */
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { underSchemaLock } from '@coffer/event-store';
import { retryWhileDatabaseAway, type DatabaseWait } from './database';

export interface ServiceKey {
  /** Named in every signature, so receivers know which key to check with during a rotation. */
  id: string;
  secret: string;
}

/** One key signs; a second is accepted while a rotation rolls out. */
export const SERVICE_KEY_MAX_COUNT = 2;
/** 32 characters of base64url carry 192 bits; generated secrets carry 256. */
export const SERVICE_KEY_SECRET_MIN_CHARS = 32;
export const SERVICE_KEY_SECRET_MAX_CHARS = 256;
const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
const SECRET = /^[A-Za-z0-9_-]+$/;

/**
 * Reads `<key_id>:<secret>[,<key_id>:<secret>]`. A problem is returned as text that never quotes
 * the value: configuration errors are logged.
 */
export function parseServiceKeys(raw: string): ServiceKey[] | { problem: string } {
  const entries = raw.split(',').map((entry) => entry.trim());
  if (entries.length > SERVICE_KEY_MAX_COUNT) {
    return { problem: `must hold at most ${SERVICE_KEY_MAX_COUNT} keys (the signing key, then the one being retired)` };
  }
  const keys: ServiceKey[] = [];
  for (const [index, entry] of entries.entries()) {
    const colon = entry.indexOf(':');
    const id = colon < 0 ? '' : entry.slice(0, colon);
    const secret = colon < 0 ? '' : entry.slice(colon + 1);
    const which = `key ${index + 1}`;
    if (!KEY_ID.test(id)) return { problem: `${which} must be <key_id>:<secret> with a key_id of 1-32 characters of [A-Za-z0-9_-]` };
    if (secret.length < SERVICE_KEY_SECRET_MIN_CHARS || secret.length > SERVICE_KEY_SECRET_MAX_CHARS || !SECRET.test(secret)) {
      return {
        problem: `${which} (${id}) must have a secret of ${SERVICE_KEY_SECRET_MIN_CHARS}-${SERVICE_KEY_SECRET_MAX_CHARS} characters of [A-Za-z0-9_-] (npm run coffer -- service-key new makes one)`,
      };
    }
    if (keys.some((key) => key.id === id)) return { problem: `names key_id ${id} twice` };
    keys.push({ id, secret });
  }
  return keys;
}

export function generateServiceKey(): ServiceKey {
  return { id: `k${randomBytes(4).toString('hex')}`, secret: randomBytes(32).toString('base64url') };
}

/** The COFFER_SERVICE_KEY form of keys. */
export function formatServiceKeys(keys: readonly ServiceKey[]): string {
  return keys.map((key) => `${key.id}:${key.secret}`).join(',');
}

/**
 * The configured keys, or the deployment's generated key from PostgreSQL (made on first use),
 * waiting for the database as `wait` says: a service starts right after ensureDatabase, and
 * PostgreSQL may restart in between.
 */
export async function loadServiceKeys(
  config: { serviceKeys: ServiceKey[] | undefined; databaseUrl: string },
  wait: DatabaseWait = {},
): Promise<ServiceKey[]> {
  return config.serviceKeys ?? retryWhileDatabaseAway(() => storedServiceKeys(config.databaseUrl), wait);
}

/**
 * The newest stored keys, newest first (so the newest signs); the first caller on an empty table
 * stores a new one. Services start together: the transaction-scoped advisory lock keeps two of
 * them from each generating a key.
 */
export async function storedServiceKeys(databaseUrl: string): Promise<ServiceKey[]> {
  const client = new Client({ connectionString: databaseUrl });
  client.on('error', () => undefined); // a dropped connection fails the query below instead
  await client.connect();
  try {
    return await underSchemaLock(client, 'coffer:service-keys', async (locked) => {
      await locked.query('CREATE SCHEMA IF NOT EXISTS coffer_platform');
      await locked.query(
        `CREATE TABLE IF NOT EXISTS coffer_platform.service_keys (
           key_id text PRIMARY KEY,
           secret text NOT NULL,
           created_at timestamptz NOT NULL DEFAULT now())`,
      );
      const stored = await locked.query<{ key_id: string; secret: string }>(
        'SELECT key_id, secret FROM coffer_platform.service_keys ORDER BY created_at DESC, key_id LIMIT $1',
        [SERVICE_KEY_MAX_COUNT],
      );
      if (stored.rows.length > 0) return stored.rows.map((row) => ({ id: row.key_id, secret: row.secret }));
      const key = generateServiceKey();
      await locked.query('INSERT INTO coffer_platform.service_keys (key_id, secret) VALUES ($1, $2)', [key.id, key.secret]);
      return [key];
    });
  } finally {
    await client.end().catch(() => undefined);
  }
}
