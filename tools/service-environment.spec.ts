/**
 * What a harness passes to the services it starts: the machine's variables and its own settings,
 * nothing else of the caller's environment (whose EVENTSTORE_URL would point the harness's ledgers
 * at the developer's real store).
 */
import { spawnSync } from 'node:child_process';
import { serviceEnvironment } from './service-environment';

describe('serviceEnvironment', () => {
  it("drops the caller's Coffer, NATS, EventStoreDB and PostgreSQL settings and keeps the machine's", () => {
    const parent = {
      PATH: '/usr/bin:/bin',
      HOME: '/home/dev',
      USER: 'dev',
      LANG: 'C.UTF-8',
      LC_ALL: 'C',
      TZ: 'UTC',
      EVENTSTORE_URL: 'esdb://developer-store:2113',
      NATS_URL: 'nats://developer-nats:4222',
      NATS_CA_FILE: '/home/dev/ca.pem',
      DATABASE_URL: 'postgres://developer-db/coffer',
      PGPASSWORD: 'secret',
      PGSSLMODE: 'require',
      COFFER_METRICS_PORT: '9100',
      COFFER_REALM: 'mine',
      COFFER_REQUEST_TIMEOUT_MS: '100',
      COFFER_SERVICE_KEY: 'k1:0123456789abcdef0123456789abcdef',
      NODE_OPTIONS: '--inspect',
    };
    const own = { DATABASE_URL: 'postgres://postgres@127.0.0.1:5999/coffer', COFFER_NATS_PREFIX: 'chaos' };
    const env = serviceEnvironment(own, parent);
    expect(env).toEqual({ PATH: '/usr/bin:/bin', HOME: '/home/dev', USER: 'dev', LANG: 'C.UTF-8', LC_ALL: 'C', TZ: 'UTC', ...own });

    // And a process started with it sees exactly that.
    const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(JSON.stringify(process.env))'], { env: { ...env, PATH: process.env.PATH! }, encoding: 'utf8' });
    expect(Object.keys(JSON.parse(child.stdout)).sort()).toEqual(Object.keys(env).sort());
  });
});
