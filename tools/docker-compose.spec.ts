/**
 * docker-compose.yml, as text (no Docker engine runs here): it holds no secret of its own, starts
 * only with an admin token given, and keeps the insecure or private ports off public interfaces.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const compose = readFileSync(join(__dirname, '..', 'docker-compose.yml'), 'utf8');
/** The lines of one service's block (up to the next service at the same indentation). */
const service = (name: string) => {
  const start = compose.indexOf(`\n  ${name}:\n`);
  expect(start).toBeGreaterThan(0);
  const rest = compose.slice(start + 1);
  const end = rest.slice(1).search(/\n {2}[a-z]|\nvolumes:/);
  return rest.slice(0, end + 1);
};

describe('docker-compose.yml', () => {
  it('refuses to start without COFFER_ADMIN_TOKEN: no default, and no known placeholder anywhere', () => {
    expect(compose).toMatch(/COFFER_ADMIN_TOKEN: \$\{COFFER_ADMIN_TOKEN:\?[^}]+\}/);
    expect(compose).not.toMatch(/COFFER_ADMIN_TOKEN:-/);
    expect(compose).not.toContain('change-me');
  });

  it('publishes EventStoreDB and NATS on 127.0.0.1 only', () => {
    expect(service('eventstore')).toContain('- "127.0.0.1:2113:2113"');
    expect(service('nats')).toContain('- "127.0.0.1:4222:4222"');
    expect(compose).not.toMatch(/- "(2113|4222|5432):/);
  });

  it('runs NATS with the generated configuration, and each service as its own NATS user over TLS', () => {
    expect(service('nats')).toContain('command: ["-c", "/etc/nats/nats.conf"]');
    expect(service('nats')).toContain('./deploy/nats/nats.conf:/etc/nats/nats.conf:ro');
    expect(compose).toContain('- ./deploy/nats/ca-cert.pem:/etc/coffer/nats-ca.pem:ro');
    for (const name of ['gateway', 'ledger', 'achievements', 'projector', 'notifier']) {
      expect(service(name)).toContain(`env_file: deploy/nats/${name}.env`);
    }
    expect(compose).not.toMatch(/NATS_URL: nats:\/\//);
  });
});
