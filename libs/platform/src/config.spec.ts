import { ConfigError, loadConfig } from './config';

describe('configuration', () => {
  it('defaults to the embedded local setup of API.md', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 3000,
      natsUrl: 'nats://127.0.0.1:4222',
      eventStoreUrl: undefined,
      adminToken: undefined,
      eventTimeoutSeconds: 60,
      natsPrefix: 'coffer',
      realm: 'default',
      logLevel: 'info',
      idempotencyRetentionHours: 72,
      pgStatementTimeoutMs: 10000,
      pgPoolWaitMs: 5000,
      httpHeadersTimeoutMs: 10000,
      httpRequestTimeoutMs: 30000,
      httpKeepAliveTimeoutMs: 5000,
      httpIdleTimeoutMs: 60000,
      httpMaxConnections: 10000,
      addressRateLimitPerSecond: 100,
      authFailureLimitPerSecond: 20,
    });
    expect(new URL(config.databaseUrl).pathname).toBe('/coffer');
    expect(new URL(config.databaseUrl).username).not.toBe('');
  });

  it('reads every variable it is given', () => {
    const config = loadConfig({
      PORT: '8080',
      DATABASE_URL: 'postgres://me@db:5432/ledger',
      NATS_URL: 'nats://a:4222,nats://b:4222',
      EVENTSTORE_URL: 'esdb://eventstore:2113?tls=false',
      COFFER_ADMIN_TOKEN: 'a-long-enough-admin-token',
      COFFER_EVENT_TIMEOUT_SECONDS: '5',
      COFFER_NATS_PREFIX: 'test_1',
      COFFER_REALM: 'aussie',
      LOG_LEVEL: 'debug',
    });
    expect(config).toMatchObject({
      port: 8080,
      databaseUrl: 'postgres://me@db:5432/ledger',
      natsUrl: 'nats://a:4222,nats://b:4222',
      eventStoreUrl: 'esdb://eventstore:2113?tls=false',
      eventTimeoutSeconds: 5,
      natsPrefix: 'test_1',
      realm: 'aussie',
      logLevel: 'debug',
    });
  });

  it('refuses to start with every problem named, not just the first', () => {
    let error: unknown;
    try {
      loadConfig({
        PORT: '70000',
        DATABASE_URL: 'mysql://db/coffer',
        NATS_URL: 'not a url',
        EVENTSTORE_URL: 'http://eventstore:2113',
        COFFER_ADMIN_TOKEN: 'short',
        COFFER_EVENT_TIMEOUT_SECONDS: '1.5',
        COFFER_NATS_PREFIX: 'has.dots',
        LOG_LEVEL: 'loud',
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const name of [
      'PORT',
      'DATABASE_URL',
      'NATS_URL',
      'EVENTSTORE_URL',
      'COFFER_ADMIN_TOKEN',
      'COFFER_EVENT_TIMEOUT_SECONDS',
      'COFFER_NATS_PREFIX',
      'LOG_LEVEL',
    ]) {
      expect(problems).toContain(name);
    }
    expect(problems).toContain('(got "70000")');
  });

  it('reads the limits, and refuses HTTP timeouts that contradict each other', () => {
    const config = loadConfig({
      COFFER_IDEMPOTENCY_RETENTION_HOURS: '24',
      COFFER_PG_STATEMENT_TIMEOUT_MS: '2500',
      COFFER_PG_POOL_WAIT_MS: '1500',
      COFFER_HTTP_HEADERS_TIMEOUT_MS: '2000',
      COFFER_HTTP_REQUEST_TIMEOUT_MS: '2000',
      COFFER_HTTP_KEEP_ALIVE_TIMEOUT_MS: '1000',
      COFFER_HTTP_IDLE_TIMEOUT_MS: '5001',
      COFFER_HTTP_MAX_CONNECTIONS: '3',
      COFFER_ADDRESS_RATE_LIMIT_PER_SECOND: '7',
      COFFER_AUTH_FAILURE_LIMIT_PER_SECOND: '2',
    });
    expect(config).toMatchObject({
      idempotencyRetentionHours: 24,
      pgStatementTimeoutMs: 2500,
      pgPoolWaitMs: 1500,
      httpHeadersTimeoutMs: 2000,
      httpRequestTimeoutMs: 2000,
      httpKeepAliveTimeoutMs: 1000,
      httpIdleTimeoutMs: 5001,
      httpMaxConnections: 3,
      addressRateLimitPerSecond: 7,
      authFailureLimitPerSecond: 2,
    });
    const problemsOf = (env: Record<string, string>) => {
      try {
        loadConfig(env);
        return [];
      } catch (error) {
        return (error as ConfigError).problems;
      }
    };
    expect(problemsOf({ COFFER_HTTP_HEADERS_TIMEOUT_MS: '2001', COFFER_HTTP_REQUEST_TIMEOUT_MS: '2000' })).toEqual([
      'COFFER_HTTP_HEADERS_TIMEOUT_MS must not exceed COFFER_HTTP_REQUEST_TIMEOUT_MS',
    ]);
    expect(problemsOf({ COFFER_HTTP_IDLE_TIMEOUT_MS: '5000' })).toEqual(['COFFER_HTTP_IDLE_TIMEOUT_MS must exceed COFFER_REQUEST_TIMEOUT_MS']);
    expect(problemsOf({ COFFER_IDEMPOTENCY_RETENTION_HOURS: '0' })[0]).toContain('COFFER_IDEMPOTENCY_RETENTION_HOURS');
    expect(problemsOf({ COFFER_HTTP_MAX_CONNECTIONS: '0' })[0]).toContain('COFFER_HTTP_MAX_CONNECTIONS');
  });
});
