/**
 * The test helper that runs the built services as processes: a setting exported in the test's own
 * environment (an EVENTSTORE_URL, a COFFER_METRICS_PORT two ledgers would fight over) must not
 * reach them; only PATH, HOME, the locale and what the test gives them do.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { ROOT, Service, waitFor } from './processes';

const STRAY = {
  EVENTSTORE_URL: 'esdb://developer-store:2113',
  NATS_CA_FILE: '/home/dev/ca.pem',
  COFFER_METRICS_PORT: '9100',
  COFFER_REALM: 'mine',
  PGSSLMODE: 'require',
};

describe('Service (a built service as a process)', () => {
  const script = join(tmpdir(), `coffer-print-env-${process.pid}.js`);

  beforeAll(() => {
    writeFileSync(script, 'process.stdout.write(JSON.stringify(process.env) + "\\n");\n');
    Object.assign(process.env, STRAY);
  });

  afterAll(() => {
    for (const name of Object.keys(STRAY)) delete process.env[name];
    rmSync(script, { force: true });
  });

  it("gets the test's settings and the machine's variables, and none of the test process's own", async () => {
    const service = new Service('print-env', relative(ROOT, script), { COFFER_NATS_PREFIX: 'own', NATS_URL: 'nats://127.0.0.1:1' });
    await waitFor('its environment', () => service.lines.length > 0, 10000, [service]);
    const seen = JSON.parse(service.lines[0]) as Record<string, string>;
    expect(seen).toMatchObject({ COFFER_NATS_PREFIX: 'own', NATS_URL: 'nats://127.0.0.1:1', PATH: process.env.PATH });
    for (const name of Object.keys(STRAY)) expect({ name, value: seen[name] }).toEqual({ name, value: undefined });
    await service.kill();
  });
});
