/**
 * `npm run coffer -- admin-token reset`: a new bootstrap admin token, for an operator who lost
 * the one the first gateway start printed. Only its SHA-256 is stored, in the row the gateway
 * keeps it in (services/gateway/src/auth/admin-token.ts: coffer_gateway.settings,
 * admin_token_sha256); the token is printed once, here, and never again. Every running gateway
 * reads that row every ADMIN_TOKEN_REFRESH_MS (5 s) and refuses the old token from then on.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createUnderLock } from '@coffer/event-store';
import { createPool, requireDatabase, type CofferConfig } from '@coffer/platform';

/** The gateway's row; the two files must agree (cli.integration.spec.ts proves a gateway takes the new token). */
const SETTING = 'admin_token_sha256';
/** services/gateway/src/auth/admin-token.ts ADMIN_TOKEN_REFRESH_MS, as the operator is told it. */
const GATEWAY_REFRESH_SECONDS = 5;

export const ADMIN_TOKEN_USAGE = `  admin-token reset          a new bootstrap admin token, printed once; the old one stops
                             working on every gateway within ${GATEWAY_REFRESH_SECONDS} s`;

export async function runAdminToken(args: string[], config: CofferConfig, describeTarget: (config: CofferConfig) => string): Promise<number> {
  if (args[1] !== 'reset') return 2;
  if (config.adminToken) {
    // The gateways of this deployment most likely run with the same environment: the stored
    // token would be a second one they ignore.
    console.error(
      'admin-token reset: COFFER_ADMIN_TOKEN is set, and a gateway started with it uses it and nothing else: change COFFER_ADMIN_TOKEN and restart the gateways instead.',
    );
    return 1;
  }
  await requireDatabase(config.databaseUrl);
  console.error(`coffer admin-token reset: ${describeTarget(config)}`);
  const token = `cadm_${randomBytes(32).toString('base64url')}`;
  const hash = createHash('sha256').update(token, 'utf8').digest('hex');
  const pool = createPool({ connectionString: config.databaseUrl, max: 1 }, { statementTimeoutMs: 30_000, poolWaitMs: config.pgPoolWaitMs });
  try {
    // As the gateway makes them (same lock), for a database no gateway has started on yet.
    await createUnderLock(pool, 'coffer-gateway:settings', [
      'CREATE SCHEMA IF NOT EXISTS coffer_gateway',
      'CREATE TABLE IF NOT EXISTS coffer_gateway.settings (name text PRIMARY KEY, value text NOT NULL)',
    ]);
    await pool.query(
      'INSERT INTO coffer_gateway.settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value',
      [SETTING, hash],
    );
  } finally {
    await pool.end();
  }
  console.log(`New Coffer admin token (shown once, keep it safe): ${token}`);
  console.error(
    `The previous token stops working on every running gateway within ${GATEWAY_REFRESH_SECONDS} s; gateways started with COFFER_ADMIN_TOKEN keep using that instead.`,
  );
  return 0;
}
