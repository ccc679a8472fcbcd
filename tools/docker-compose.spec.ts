/**
 * docker-compose.yml, as text (no Docker engine runs here): it holds no secret of its own, starts
 * only with an admin token given, and keeps the insecure or private ports off public interfaces;
 * the monitoring it loads (ops/) parses, and watches only metrics the code exports.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

const ROOT = join(__dirname, '..');
const compose = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

/** Every TypeScript source file under `dir` (tests and builds left out). */
function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules' || name === 'dist' || name === 'test') return [];
    if (statSync(join(ROOT, path)).isDirectory()) return sources(path);
    return name.endsWith('.ts') && !name.endsWith('.spec.ts') ? [path] : [];
  });
}

/**
 * Every metric name the code can register with prom-client: each is a whole quoted string
 * (`name: 'coffer_…'`, or handed to a helper that makes the gauge). A name in a comment or
 * inside a longer string does not count.
 */
const exported = new Set(
  [...sources('services'), ...sources('libs')].flatMap((path) => [...read(path).matchAll(/'(coffer_[a-z0-9_]+)'/g)].map((match) => match[1])),
);

/** The metric names a PromQL expression reads (a histogram's _bucket/_sum/_count are its own name). */
const metricsIn = (expr: string) => [...expr.matchAll(/\bcoffer_[a-z0-9_]+/g)].map(([name]) => name.replace(/_(bucket|sum|count)$/, ''));
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

  it('runs two realms, a pair of ledgers for each, and the gateway loads both realms\' keys', () => {
    const services = parse(compose, { merge: true }).services; // with the shared environment merged in (<<)
    expect(services.ledger.deploy.replicas).toBe(2);
    expect(services['ledger-blue'].deploy.replicas).toBe(2);
    expect(services.ledger.environment.COFFER_REALM).toBe('default');
    expect(services['ledger-blue'].environment.COFFER_REALM).toBe('blue');
    expect(services.gateway.environment.COFFER_REALMS).toBe('default,blue');
  });

  describe('monitoring (ops/)', () => {
    const prometheus = parse(read('ops/prometheus/prometheus.yml'));
    const alerts = parse(read('ops/prometheus/alerts.yml'));
    const dashboard = JSON.parse(read('ops/grafana/dashboards/coffer.json'));

    it('mounts Prometheus with its configuration and rules, and Grafana with its data source and dashboards, on 127.0.0.1 only', () => {
      expect(service('prometheus')).toContain('- ./ops/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro');
      expect(service('prometheus')).toContain('- ./ops/prometheus/alerts.yml:/etc/prometheus/alerts.yml:ro');
      expect(prometheus.rule_files).toEqual(['/etc/prometheus/alerts.yml']);
      expect(service('grafana')).toContain('- ./ops/grafana/provisioning:/etc/grafana/provisioning:ro');
      expect(service('grafana')).toContain('- ./ops/grafana/dashboards:/var/lib/grafana/dashboards:ro');
      expect(parse(read('ops/grafana/provisioning/dashboards/coffer.yml')).providers[0].options.path).toBe('/var/lib/grafana/dashboards');
      const source = parse(read('ops/grafana/provisioning/datasources/prometheus.yml')).datasources[0];
      expect(source).toMatchObject({ type: 'prometheus', url: 'http://prometheus:9090' });
      expect(service('prometheus')).toContain('- "127.0.0.1:9090:9090"');
      expect(service('grafana')).toContain('- "127.0.0.1:3001:3000"');
      expect(compose).toMatch(/GF_SECURITY_ADMIN_PASSWORD: \$\{GRAFANA_ADMIN_PASSWORD:\?[^}]+\}/);
      // Every panel reads the provisioned data source.
      for (const panel of dashboard.panels) expect(panel.datasource.uid).toBe(source.uid);
    });

    it('scrapes every Coffer process where compose has it serve its metrics', () => {
      const targets = Object.fromEntries(
        prometheus.scrape_configs.map((job: any) => [
          job.job_name,
          job.static_configs?.[0].targets ?? job.dns_sd_configs.map((sd: any) => sd.names.map((name: string) => `${name}:${sd.port}`)).flat(),
        ]),
      );
      expect(targets).toEqual({
        gateway: ['gateway:3000'],
        ledger: ['ledger:9464', 'ledger-blue:9464'],
        achievements: ['achievements:9464'],
        projector: ['projector:9464'],
        notifier: ['notifier:9464'],
      });
      for (const name of ['ledger', 'ledger-blue', 'achievements', 'projector', 'notifier']) expect(service(name)).toContain('COFFER_METRICS_PORT: "9464"');
      expect(service('gateway')).toContain('PORT: "3000"');
    });

    it('alerts on projection lag, a ledger takeover, the 5xx rate and a money-supply change, from metrics the code exports', () => {
      const rules = alerts.groups.flatMap((group: any) => group.rules);
      expect(rules.map((rule: any) => rule.alert)).toEqual(
        expect.arrayContaining(['CofferProjectionLag', 'CofferLedgerTakeover', 'CofferHttp5xxRate', 'CofferMoneySupplyChange']),
      );
      for (const rule of rules) {
        expect({ alert: rule.alert, expr: typeof rule.expr, summary: typeof rule.annotations?.summary }).toEqual({ alert: rule.alert, expr: 'string', summary: 'string' });
        const names = metricsIn(rule.expr);
        expect(names.length).toBeGreaterThan(0);
        for (const name of names) expect({ alert: rule.alert, name, exported: exported.has(name) }).toEqual({ alert: rule.alert, name, exported: true });
      }
    });

    it('charts the supply, committed transactions, p99 latency, projection lag, ledger batches and queue, 5xx and webhook backlog, from metrics the code exports', () => {
      const exprs: string[] = dashboard.panels.flatMap((panel: any) => panel.targets.map((target: any) => target.expr));
      for (const name of exprs.flatMap(metricsIn)) expect({ name, exported: exported.has(name) }).toEqual({ name, exported: true });
      const all = exprs.join('\n');
      for (const wanted of [
        'coffer_money_supply',
        'coffer_ledger_events_appended_total{type="TransactionPosted"}',
        'histogram_quantile(0.99, sum by (le, route) (rate(coffer_http_request_duration_seconds_bucket',
        'coffer_projection_lag_seconds',
        'coffer_ledger_batch_commands_bucket',
        'coffer_ledger_queue_depth',
        'coffer_http_requests_total{status=~"5.."}',
        'coffer_webhook_outbox_pending',
      ]) {
        expect(all).toContain(wanted);
      }
    });
  });
});
