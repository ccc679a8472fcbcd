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
});
