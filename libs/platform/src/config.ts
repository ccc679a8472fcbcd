/**
 * The configuration every service reads from its environment (API.md, "Running it"), checked
 * at start: a service with a bad variable refuses to start and says which one and why.
 */
import { accessSync, constants } from 'node:fs';
import { userInfo } from 'node:os';
import { DEFAULT_IDEMPOTENCY_RETENTION_MS, DEFAULT_NATS_PREFIX, DEFAULT_REALM, isRealm, MAX_REQUEST_TIMEOUT_MS, REALM_MESSAGE } from '@coffer/contracts';
import { readDiscordConfig, type DiscordConfig } from './discord-config';
import { DEFAULT_POOL_BOUNDS } from './pool';
import { parseServiceKeys, type ServiceKey } from './service-keys';

export interface CofferConfig {
  port: number;
  databaseUrl: string;
  /** May carry `user:password@` (a NATS user of `npm run coffer -- nats-config`): see nats-connection.ts. */
  natsUrl: string;
  /** CA certificate that NATS's TLS certificate is checked against, when it is not a public one. */
  natsCaFile: string | undefined;
  eventStoreUrl: string | undefined;
  adminToken: string | undefined;
  /** COFFER_SERVICE_KEY; unset: the deployment's generated key, kept in PostgreSQL (service-keys.ts). */
  serviceKeys: ServiceKey[] | undefined;
  /**
   * The NATS account whose JetStream keeps analytics' mirror of the feed (nats-config's
   * `ANALYTICS`); the projector makes the mirror there. Unset: analytics reads the feed's stream.
   */
  feedMirrorAccount: string | undefined;
  /** Port of a backend's Prometheus endpoint (GET /metrics); unset: none. The gateway serves its own on PORT. */
  metricsPort: number | undefined;
  eventTimeoutSeconds: number;
  natsPrefix: string;
  /** COFFER_REALM: the realm a ledger writes for; the gateway's and achievements' own subjects. */
  realm: string;
  /**
   * COFFER_REALMS: every realm of the deployment (comma-separated; default: COFFER_REALM alone).
   * The gateway loads each one's API keys at start; `npm start` runs a ledger for each.
   */
  realms: string[];
  /** Longest wait for a NATS reply before the gateway answers 503. */
  requestTimeoutMs: number;
  /** Sustained requests per second each app may make at the gateway (bursts up to twice that). */
  rateLimitPerSecond: number;
  /** Requests without credentials per second from one address (bursts up to twice that). */
  addressRateLimitPerSecond: number;
  /** Failed authentications per second from one address (bursts up to twice that). */
  authFailureLimitPerSecond: number;
  /** How long a command sent with an Idempotency-Key is remembered for its retries. */
  idempotencyRetentionHours: number;
  /** Longest a PostgreSQL statement may run (each service's pools; a rebuild sets its own). */
  pgStatementTimeoutMs: number;
  /** Longest wait for a connection from a PostgreSQL pool (connecting included). */
  pgPoolWaitMs: number;
  /** HTTP: longest time for a client to send its request headers. */
  httpHeadersTimeoutMs: number;
  /** HTTP: longest time for a client to send its whole request (headers and body). */
  httpRequestTimeoutMs: number;
  /** HTTP: how long an idle keep-alive connection stays open between requests. */
  httpKeepAliveTimeoutMs: number;
  /** HTTP: a connection with no traffic either way for this long is closed. */
  httpIdleTimeoutMs: number;
  /** HTTP: connections open at once; more are closed as they arrive. */
  httpMaxConnections: number;
  /**
   * COFFER_WEBHOOK_ALLOW_PRIVATE=1 (development): webhooks may target loopback and private
   * addresses, over http:// too. Unset: https:// to public addresses only (SSRF).
   */
  webhookAllowPrivate: boolean;
  /** The Discord integration (discord-config.ts): every part off until its variables are set. */
  discord: DiscordConfig;
  logLevel: LogLevel;
}

/**
 * Admin tokens and service keys that were published as examples (the compose file's old
 * default, the README's) or say they are placeholders: whoever read the example could use them.
 */
const PLACEHOLDER_SECRETS = [
  /change[-_ ]?me/i,
  /your[-_ ]?(own[-_ ]?)?(secret|token|key)/i,
  /placeholder/i,
  /example/i,
  /^(.)\1*$/, // one character repeated
];

export function isPlaceholderSecret(value: string): boolean {
  return PLACEHOLDER_SECRETS.some((pattern) => pattern.test(value));
}

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
  }
}

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env = process.env): CofferConfig {
  const problems: string[] = [];
  /**
   * Reads one variable. A problem names the variable and, unless `shown` says otherwise, the
   * value it got; secrets (tokens, keys, URLs that may carry a password) are never echoed.
   */
  const read = <T>(name: string, fallback: T, parse: (raw: string) => T | string, shown: (raw: string) => string | null = JSON.stringify): T => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const parsed = parse(raw.trim());
    if (typeof parsed === 'string' && parsed.startsWith('!')) {
      const got = shown(raw);
      problems.push(`${name} ${parsed.slice(1)}${got === null ? '' : ` (got ${got})`}`);
      return fallback;
    }
    return parsed as T;
  };
  const secret = () => null;
  const realm = read('COFFER_REALM', DEFAULT_REALM, realmId);
  const urlShown = (raw: string) => {
    const shown = withoutPasswords(raw);
    return shown === null ? null : JSON.stringify(shown);
  };
  const integer = (min: number, max: number) => (raw: string) =>
    /^\d+$/.test(raw) && Number(raw) >= min && Number(raw) <= max
      ? Number(raw)
      : `!must be an integer from ${min} to ${max}`;
  const url = (protocols: string[], what: string) => (raw: string) => {
    const urls = raw.split(',');
    try {
      return urls.every((each) => protocols.includes(new URL(each.trim()).protocol)) ? raw : `!must be ${what}`;
    } catch {
      return `!must be ${what}`;
    }
  };
  const token = (raw: string) => (/^[A-Za-z0-9_-]{1,64}$/.test(raw) ? raw : '!must be 1-64 characters of [A-Za-z0-9_-]');

  const config: CofferConfig = {
    port: read('PORT', 3000, integer(1, 65535)),
    databaseUrl: withDefaultUser(
      read('DATABASE_URL', 'postgres://127.0.0.1:5432/coffer', url(['postgres:', 'postgresql:'], 'a postgres:// URL'), urlShown),
    ),
    natsUrl: read('NATS_URL', 'nats://127.0.0.1:4222', url(['nats:', 'tls:', 'ws:', 'wss:'], 'a nats:// URL (several: comma-separated)'), urlShown),
    natsCaFile: read<string | undefined>('NATS_CA_FILE', undefined, readableFile),
    eventStoreUrl: read<string | undefined>(
      'EVENTSTORE_URL',
      undefined,
      url(['esdb:', 'esdb+discover:', 'kurrentdb:', 'kdb:'], 'an esdb:// connection string'),
      urlShown,
    ),
    adminToken: read<string | undefined>(
      'COFFER_ADMIN_TOKEN',
      undefined,
      (raw) =>
        raw.length < 16
          ? '!must be at least 16 characters'
          : isPlaceholderSecret(raw)
            ? '!is a published example or a placeholder: choose your own (openssl rand -base64 32)'
            : raw,
      secret,
    ),
    serviceKeys: read<ServiceKey[] | undefined>(
      'COFFER_SERVICE_KEY',
      undefined,
      (raw) => {
        const keys = parseServiceKeys(raw);
        if ('problem' in keys) return `!${keys.problem}`;
        const placeholder = keys.find((key) => isPlaceholderSecret(key.secret));
        return placeholder ? `!key ${placeholder.id} is a published example or a placeholder: npm run coffer -- service-key new` : keys;
      },
      secret,
    ),
    feedMirrorAccount: read<string | undefined>('COFFER_FEED_MIRROR_ACCOUNT', undefined, token),
    metricsPort: read<number | undefined>('COFFER_METRICS_PORT', undefined, integer(1, 65535)),
    eventTimeoutSeconds: read('COFFER_EVENT_TIMEOUT_SECONDS', 60, integer(1, 86400)),
    natsPrefix: read('COFFER_NATS_PREFIX', DEFAULT_NATS_PREFIX, token),
    realm,
    realms: read<string[] | undefined>('COFFER_REALMS', undefined, realmList) ?? [realm],
    requestTimeoutMs: read('COFFER_REQUEST_TIMEOUT_MS', 5000, integer(100, MAX_REQUEST_TIMEOUT_MS)),
    rateLimitPerSecond: read('COFFER_RATE_LIMIT_PER_SECOND', 500, integer(1, 1000000)),
    addressRateLimitPerSecond: read('COFFER_ADDRESS_RATE_LIMIT_PER_SECOND', 100, integer(1, 1000000)),
    authFailureLimitPerSecond: read('COFFER_AUTH_FAILURE_LIMIT_PER_SECOND', 20, integer(1, 1000000)),
    idempotencyRetentionHours: read('COFFER_IDEMPOTENCY_RETENTION_HOURS', DEFAULT_IDEMPOTENCY_RETENTION_MS / 3_600_000, integer(1, 8760)),
    pgStatementTimeoutMs: read('COFFER_PG_STATEMENT_TIMEOUT_MS', DEFAULT_POOL_BOUNDS.statementTimeoutMs, integer(100, 3600000)),
    pgPoolWaitMs: read('COFFER_PG_POOL_WAIT_MS', DEFAULT_POOL_BOUNDS.poolWaitMs, integer(100, 600000)),
    httpHeadersTimeoutMs: read('COFFER_HTTP_HEADERS_TIMEOUT_MS', 10000, integer(100, 600000)),
    httpRequestTimeoutMs: read('COFFER_HTTP_REQUEST_TIMEOUT_MS', 30000, integer(100, 600000)),
    httpKeepAliveTimeoutMs: read('COFFER_HTTP_KEEP_ALIVE_TIMEOUT_MS', 5000, integer(100, 600000)),
    httpIdleTimeoutMs: read('COFFER_HTTP_IDLE_TIMEOUT_MS', 60000, integer(100, 3600000)),
    httpMaxConnections: read('COFFER_HTTP_MAX_CONNECTIONS', 10000, integer(1, 1000000)),
    webhookAllowPrivate: read('COFFER_WEBHOOK_ALLOW_PRIVATE', false, (raw) =>
      raw === '1' ? true : raw === '0' ? false : '!must be 1 (allow private webhook targets) or 0',
    ),
    discord: readDiscordConfig(env, problems),
    logLevel: read<LogLevel>('LOG_LEVEL', 'info', (raw) =>
      (LOG_LEVELS as readonly string[]).includes(raw) ? (raw as LogLevel) : `!must be one of ${LOG_LEVELS.join(', ')}`,
    ),
  };
  // Node refuses a headers timeout longer than the request's, and a connection closed for
  // silence while its request waits for the ledger would lose the answer.
  if (config.httpHeadersTimeoutMs > config.httpRequestTimeoutMs) {
    problems.push('COFFER_HTTP_HEADERS_TIMEOUT_MS must not exceed COFFER_HTTP_REQUEST_TIMEOUT_MS');
  }
  if (config.httpIdleTimeoutMs <= config.requestTimeoutMs) {
    problems.push('COFFER_HTTP_IDLE_TIMEOUT_MS must exceed COFFER_REQUEST_TIMEOUT_MS');
  }
  if (problems.length) throw new ConfigError(problems);
  return config;
}

function realmId(raw: string): string {
  return isRealm(raw) ? raw : `!${REALM_MESSAGE}`;
}

/** Distinct realm ids, comma-separated. */
function realmList(raw: string): string[] | string {
  const realms = [...new Set(raw.split(',').map((each) => each.trim()))];
  const bad = realms.find((each) => !isRealm(each));
  return bad === undefined ? realms : `!${JSON.stringify(bad)}: ${REALM_MESSAGE}`;
}

function readableFile(raw: string): string {
  try {
    accessSync(raw, constants.R_OK);
    return raw;
  } catch {
    return '!must name a readable file';
  }
}

/**
 * Query parameters that may carry a secret: pg takes `?password=` (and `sslpassword`) as well as
 * the password before the host.
 */
const SECRET_PARAMETER = /pass|secret|token/i;

/**
 * A URL as it may be shown in logs and configuration errors: passwords, in the user part or in a
 * query parameter, replaced by `***`. A value that does not parse as URLs is not shown at all,
 * since where its password is is unknown.
 */
export function withoutPasswords(raw: string): string | null {
  try {
    return raw
      .split(',')
      .map((each) => {
        const parsed = new URL(each.trim());
        if (parsed.password) parsed.password = '***';
        for (const name of new Set(parsed.searchParams.keys())) {
          if (SECRET_PARAMETER.test(name)) parsed.searchParams.set(name, '***');
        }
        return parsed.toString();
      })
      .join(',');
  } catch {
    return null;
  }
}

/** libpq's habit: a URL without a user means the OS user. The pg driver needs it said. */
export function withDefaultUser(databaseUrl: string): string {
  const parsed = new URL(databaseUrl);
  if (!parsed.username) parsed.username = process.env.PGUSER ?? userInfo().username;
  return parsed.toString();
}
