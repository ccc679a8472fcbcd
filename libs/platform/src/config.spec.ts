import { ConfigError, loadConfig, withoutPasswords } from './config';
import { generateServiceKey } from './service-keys';

function problemsOf(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.join('\n');
    throw error;
  }
  throw new Error('the configuration was accepted');
}

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

  it('reads the realms: COFFER_REALM alone by default, COFFER_REALMS distinct, each a realm id', () => {
    expect(loadConfig({}).realms).toEqual(['default']);
    expect(loadConfig({ COFFER_REALM: 'blue' }).realms).toEqual(['blue']);
    expect(loadConfig({ COFFER_REALMS: 'default, blue,default' }).realms).toEqual(['default', 'blue']);
    expect(loadConfig({ COFFER_REALM: 'a'.repeat(32) }).realm).toBe('a'.repeat(32));
    expect(problemsOf({ COFFER_REALM: 'a'.repeat(33) })).toContain('COFFER_REALM realm must be 1-32 characters');
    expect(problemsOf({ COFFER_REALM: 'Blue' })).toContain('COFFER_REALM');
    expect(problemsOf({ COFFER_REALMS: 'default,has_underscore' })).toContain('COFFER_REALMS "has_underscore"');
    expect(problemsOf({ COFFER_REALMS: 'default,' })).toContain('COFFER_REALMS ""');
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
    expect(problemsOf({ COFFER_HTTP_HEADERS_TIMEOUT_MS: '2001', COFFER_HTTP_REQUEST_TIMEOUT_MS: '2000' })).toBe(
      'COFFER_HTTP_HEADERS_TIMEOUT_MS must not exceed COFFER_HTTP_REQUEST_TIMEOUT_MS',
    );
    expect(problemsOf({ COFFER_HTTP_IDLE_TIMEOUT_MS: '5000' })).toBe('COFFER_HTTP_IDLE_TIMEOUT_MS must exceed COFFER_REQUEST_TIMEOUT_MS');
    expect(problemsOf({ COFFER_IDEMPOTENCY_RETENTION_HOURS: '0' })).toContain('COFFER_IDEMPOTENCY_RETENTION_HOURS');
    expect(problemsOf({ COFFER_HTTP_MAX_CONNECTIONS: '0' })).toContain('COFFER_HTTP_MAX_CONNECTIONS');
  });

  it('never echoes a secret in a problem: tokens and keys not at all, URLs without their passwords', () => {
    const problems = problemsOf({
      COFFER_ADMIN_TOKEN: 'sh0rt-secret',
      COFFER_SERVICE_KEY: 'k1:too-short-a-secret-to-keep',
      DATABASE_URL: 'mysql://coffer:db-password-123@db/coffer',
      NATS_URL: 'http://gateway:nats-password-456@nats:4222',
      EVENTSTORE_URL: 'esdb://admin:esdb password@@:x',
    });
    for (const name of ['COFFER_ADMIN_TOKEN', 'COFFER_SERVICE_KEY', 'DATABASE_URL', 'NATS_URL', 'EVENTSTORE_URL']) expect(problems).toContain(name);
    for (const secret of ['sh0rt-secret', 'too-short-a-secret-to-keep', 'db-password-123', 'nats-password-456', 'esdb password']) {
      expect(problems).not.toContain(secret);
    }
    expect(problems).toContain('(got "mysql://coffer:***@db/coffer")');
  });

  it('never echoes a password given as a query parameter, which pg honours too', () => {
    const problems = problemsOf({
      DATABASE_URL: 'mysql://db/coffer?user=coffer&password=db-password-789&sslpassword=key-pass-012&application_name=coffer',
      NATS_URL: 'http://nats:4222?Password=nats-password-345',
    });
    for (const secret of ['db-password-789', 'key-pass-012', 'nats-password-345']) expect(problems).not.toContain(secret);
    expect(problems).toContain('(got "mysql://db/coffer?user=coffer&password=***&sslpassword=***&application_name=coffer")');
    expect(withoutPasswords('postgres://a:b@db/x?password=c&password=d')).toBe('postgres://a:***@db/x?password=***');
  });

  it.each([
    ['the old compose default', 'change-me-please-0123456789'],
    ["the README's old example", 'your-own-secret-of-16+chars'],
    ['a placeholder', 'CHANGEME_CHANGEME_CHANGEME'],
    ['an example', 'example-admin-token-1234'],
    ['one character repeated', 'xxxxxxxxxxxxxxxxxxxx'],
  ])('refuses %s as the admin token', (_what, token) => {
    const problems = problemsOf({ COFFER_ADMIN_TOKEN: token });
    expect(problems).toContain('COFFER_ADMIN_TOKEN is a published example or a placeholder');
    expect(problems).not.toContain(token);
  });

  it('takes an admin token of 16 characters and refuses one of 15', () => {
    expect(loadConfig({ COFFER_ADMIN_TOKEN: 'a1b2c3d4e5f6g7h8' }).adminToken).toBe('a1b2c3d4e5f6g7h8');
    expect(problemsOf({ COFFER_ADMIN_TOKEN: 'a1b2c3d4e5f6g7h' })).toContain('must be at least 16 characters');
  });

  it('reads one service key, or two during a rotation (the first signs), and refuses a third', () => {
    const [a, b, c] = [generateServiceKey(), generateServiceKey(), generateServiceKey()];
    expect(loadConfig({}).serviceKeys).toBeUndefined();
    expect(loadConfig({ COFFER_SERVICE_KEY: `${a.id}:${a.secret}` }).serviceKeys).toEqual([a]);
    expect(loadConfig({ COFFER_SERVICE_KEY: `${a.id}:${a.secret}, ${b.id}:${b.secret}` }).serviceKeys).toEqual([a, b]);
    const three = problemsOf({ COFFER_SERVICE_KEY: [a, b, c].map((key) => `${key.id}:${key.secret}`).join(',') });
    expect(three).toContain('COFFER_SERVICE_KEY must hold at most 2 keys');
    expect(three).not.toContain(a.secret);
  });

  it('refuses a service key secret under 32 characters, a bad key id, a key id twice and a placeholder', () => {
    expect(loadConfig({ COFFER_SERVICE_KEY: `k1:${'a1'.repeat(16)}` }).serviceKeys).toEqual([{ id: 'k1', secret: 'a1'.repeat(16) }]);
    expect(problemsOf({ COFFER_SERVICE_KEY: `k1:${'a1'.repeat(15)}b` })).toContain('secret of 32-256 characters');
    expect(problemsOf({ COFFER_SERVICE_KEY: `k.1:${'a1'.repeat(16)}` })).toContain('key_id of 1-32 characters');
    expect(problemsOf({ COFFER_SERVICE_KEY: `k1:${'a1'.repeat(16)},k1:${'b2'.repeat(16)}` })).toContain('names key_id k1 twice');
    expect(problemsOf({ COFFER_SERVICE_KEY: `k1:change-me-${'0'.repeat(30)}` })).toContain('is a published example or a placeholder');
  });

  it("takes the NATS account of analytics' feed mirror as a name, and nothing by default", () => {
    expect(loadConfig({}).feedMirrorAccount).toBeUndefined();
    expect(loadConfig({ COFFER_FEED_MIRROR_ACCOUNT: 'ANALYTICS' }).feedMirrorAccount).toBe('ANALYTICS');
    expect(problemsOf({ COFFER_FEED_MIRROR_ACCOUNT: 'ANALYTICS.>' })).toContain('COFFER_FEED_MIRROR_ACCOUNT must be 1-64 characters of [A-Za-z0-9_-]');
  });

  it('takes NATS credentials in the URL and a CA file that exists', () => {
    const config = loadConfig({ NATS_URL: 'tls://gateway:s3cret@nats:4222', NATS_CA_FILE: __filename, COFFER_METRICS_PORT: '9464' });
    expect(config).toMatchObject({ natsUrl: 'tls://gateway:s3cret@nats:4222', natsCaFile: __filename, metricsPort: 9464 });
    expect(problemsOf({ NATS_CA_FILE: '/no/such/ca.pem' })).toContain('NATS_CA_FILE must name a readable file');
  });
});
