/**
 * `npm run coffer -- nats-config`: a production nats-server configuration for one deployment, in
 * which each component is its own NATS user allowed exactly what it does (README, "Trust
 * model"), with TLS. The request signatures are the defence when NATS has no users (the embedded
 * `npm start`); these permissions are the defence in depth, and they also keep readers away from
 * what is not theirs (another user's replies, the commands on the wire). The services share one
 * account; analytics has one of its own, with a mirror of the feed (../feed/feed-mirror.ts).
 *
 * Written to one folder: nats.conf (users with passwords: keep it private), one <user>.env per
 * component (its NATS_URL and NATS_CA_FILE, for docker compose's env_file), and a private CA with
 * the server's certificate made with openssl.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PATTERNS, subjects } from '@coffer/contracts';
import { inboxPrefixOf } from '@coffer/platform';
import { ANALYTICS_ACCOUNT, importedJetStreamApi, mirrorDeliverPrefix, SERVICES_ACCOUNT } from '../feed/feed-mirror';

export const NATS_USERS = ['gateway', 'ledger', 'achievements', 'projector', 'notifier', 'analytics'] as const;
export type NatsUser = (typeof NATS_USERS)[number];

/** The account each user belongs to: analytics alone in its own. */
export function accountOf(user: NatsUser): string {
  return user === 'analytics' ? ANALYTICS_ACCOUNT : SERVICES_ACCOUNT;
}

/** Consumers the analytics account may hold at once (its users' readers of the feed). */
export const ANALYTICS_MAX_CONSUMERS = 100;

export interface NatsConfigOptions {
  prefix: string;
  /** Host name the services reach NATS at (in their URLs and the certificate). */
  host: string;
  port: number;
  /** Where the server finds its files (paths inside the NATS container). */
  serverCertFile: string;
  serverKeyFile: string;
  storeDir: string;
  /** Monitoring port (the NATS container's health check); none when undefined. */
  monitorPort?: number;
  /** Where the services find the CA certificate (inside their containers). */
  clientCaFile: string;
  passwords?: Partial<Record<NatsUser, string>>;
  /** ANALYTICS_MAX_CONSUMERS unless given (tests meet the limit with fewer). */
  analyticsMaxConsumers?: number;
}

export const COMPOSE_NATS_OPTIONS: Omit<NatsConfigOptions, 'prefix'> = {
  host: 'nats',
  port: 4222,
  serverCertFile: '/etc/nats/tls/server-cert.pem',
  serverKeyFile: '/etc/nats/tls/server-key.pem',
  storeDir: '/data',
  monitorPort: 8222,
  clientCaFile: '/etc/coffer/nats-ca.pem',
};

interface Permissions {
  publish: string[];
  subscribe: string[];
  /** May answer the requests it received (on their reply subjects), and nothing more. */
  respond: boolean;
}

/** What each component may do on NATS: everything else is refused by the server. */
export function permissionsOf(prefix: string): Record<NatsUser, Permissions> {
  const s = subjects(prefix);
  const stream = s.eventsStream;
  // Every realm's subject: a realm is one subject token (PATTERNS).
  const anyRealm = (pattern: string) => `${prefix}.${pattern.replace('{realm}', '*')}`;
  const [ledgerCommands, ledgerQueries, achievementsCommands, ledgerWriter, notifierRequests] = [
    PATTERNS.ledgerCommands,
    PATTERNS.ledgerQueries,
    PATTERNS.achievementsCommands,
    PATTERNS.ledgerWriter,
    PATTERNS.notifierRequests,
  ].map(anyRealm);
  // The active writer's own subjects (`….commands.<instance>`), where senders that heard it announced reach it alone.
  const [writerCommands, writerQueries] = [ledgerCommands, ledgerQueries].map((subject) => `${subject}.*`);
  const inbox = (user: NatsUser) => `${inboxPrefixOf(user)}.>`;
  // A service's container health check (tools/healthcheck.js) probes it with its own user.
  const health = (service: string) => s.health(service);
  return {
    gateway: {
      publish: [ledgerCommands, writerCommands, ledgerQueries, writerQueries, achievementsCommands, notifierRequests, `${prefix}.health.>`],
      subscribe: [inbox('gateway'), ledgerWriter],
      respond: false,
    },
    ledger: {
      // Only the ledger may announce the writer: a forged announcement would misroute commands.
      publish: [health('ledger'), ledgerWriter],
      subscribe: [ledgerCommands, writerCommands, ledgerQueries, writerQueries, health('ledger'), inbox('ledger')],
      respond: true,
    },
    achievements: {
      // The ledger's command subject, for the rewards it pays (the ledger takes only PayReward from it).
      publish: [ledgerCommands, writerCommands, health('achievements')],
      subscribe: [achievementsCommands, health('achievements'), inbox('achievements'), ledgerWriter],
      respond: true,
    },
    projector: {
      publish: [
        s.allEvents,
        health('projector'),
        '$JS.API.INFO',
        `$JS.API.STREAM.INFO.${stream}`,
        `$JS.API.STREAM.CREATE.${stream}`,
        `$JS.API.STREAM.MSG.GET.${stream}`,
        // Analytics' mirror of the feed, in its account (the import of its stream API for it).
        ...analyticsMirrorApi(stream).map((subject) => importedFrom(ANALYTICS_ACCOUNT, subject)),
      ],
      subscribe: [health('projector'), inbox('projector')],
      respond: true,
    },
    notifier: {
      // Webhook registrations from the gateway in; deliveries go out over HTTP, not NATS.
      publish: [health('notifier')],
      subscribe: [notifierRequests, health('notifier'), inbox('notifier')],
      respond: true,
    },
    analytics: {
      // In its own account: read the mirror of the feed there, with consumers of its own, nothing else.
      publish: [
        '$JS.API.INFO',
        `$JS.API.STREAM.INFO.${stream}`,
        `$JS.API.CONSUMER.CREATE.${stream}`,
        `$JS.API.CONSUMER.CREATE.${stream}.>`,
        `$JS.API.CONSUMER.DURABLE.CREATE.${stream}.>`,
        `$JS.API.CONSUMER.INFO.${stream}.>`,
        `$JS.API.CONSUMER.DELETE.${stream}.>`,
        `$JS.API.CONSUMER.MSG.NEXT.${stream}.>`,
        `$JS.ACK.${stream}.>`,
      ],
      subscribe: [inbox('analytics')],
      respond: false,
    },
  };
}

/** Analytics' account's stream API the projector makes the mirror with. */
function analyticsMirrorApi(stream: string): string[] {
  return [`$JS.API.STREAM.INFO.${stream}`, `$JS.API.STREAM.CREATE.${stream}`];
}

/** A JetStream API subject as the other account imports it (`$JS.<account>.API.…`). */
function importedFrom(account: string, subject: string): string {
  return subject.replace(/^\$JS\.API\./, `${importedJetStreamApi(account)}.`);
}

interface AccountLinks {
  exports: string[];
  imports: string[];
}

/**
 * What the services' account exports to analytics' for the mirror to follow the feed (the source
 * consumer's creation, its flow control, its deliveries), and what it imports from analytics' to
 * make the mirror. Only JetStream's own mirroring uses the former: the analytics user may publish
 * on none of them.
 */
function accountLinks(prefix: string): { services: AccountLinks; analytics: AccountLinks } {
  const stream = subjects(prefix).eventsStream;
  const deliveries = `${mirrorDeliverPrefix(prefix)}.>`;
  const consumerCreate = [`$JS.API.CONSUMER.CREATE.${stream}`, `$JS.API.CONSUMER.CREATE.${stream}.>`];
  const flowControl = `$JS.FC.${stream}.>`;
  const serviceExport = (account: string) => (subject: string) => `{ service: ${quote(subject)}, accounts: ${list([account])} }`;
  const serviceImport = (account: string, subject: string, as: string) =>
    `{ service: { account: ${quote(account)}, subject: ${quote(subject)} }, to: ${quote(as)} }`;
  return {
    services: {
      exports: [
        ...[...consumerCreate, flowControl].map(serviceExport(ANALYTICS_ACCOUNT)),
        `{ stream: ${quote(deliveries)}, accounts: ${list([ANALYTICS_ACCOUNT])} }`,
      ],
      imports: analyticsMirrorApi(stream).map((subject) =>
        serviceImport(ANALYTICS_ACCOUNT, subject, importedFrom(ANALYTICS_ACCOUNT, subject)),
      ),
    },
    analytics: {
      exports: analyticsMirrorApi(stream).map(serviceExport(SERVICES_ACCOUNT)),
      imports: [
        ...consumerCreate.map((subject) => serviceImport(SERVICES_ACCOUNT, subject, importedFrom(SERVICES_ACCOUNT, subject))),
        serviceImport(SERVICES_ACCOUNT, flowControl, flowControl),
        `{ stream: { account: ${quote(SERVICES_ACCOUNT)}, subject: ${quote(deliveries)} } }`,
      ],
    },
  };
}

/** A password that needs no quoting in a config file or escaping in a URL. */
export function natsPassword(): string {
  return randomBytes(24).toString('base64url');
}

const quote = (value: string) => JSON.stringify(value);
const list = (values: string[]) => `[${values.map(quote).join(', ')}]`;

/** nats.conf and each component's env file, for the given passwords (made when not given). */
export function natsServerConfig(options: NatsConfigOptions): { conf: string; env: Record<NatsUser, string>; passwords: Record<NatsUser, string> } {
  const passwords = Object.fromEntries(NATS_USERS.map((user) => [user, options.passwords?.[user] ?? natsPassword()])) as Record<NatsUser, string>;
  const permissions = permissionsOf(options.prefix);
  const usersOf = (account: string) =>
    NATS_USERS.filter((user) => accountOf(user) === account).map((user) => {
      const allowed = permissions[user];
      const respond = allowed.respond ? ', allow_responses: true' : '';
      return [
        `      { user: ${quote(user)}, password: ${quote(passwords[user])},`,
        `        permissions: { publish: { allow: ${list(allowed.publish)} }, subscribe: { allow: ${list(allowed.subscribe)} }${respond} } }`,
      ].join('\n');
    });
  const links = accountLinks(options.prefix);
  const entries = (lines: string[]) => lines.map((line) => `      ${line}`).join('\n');
  const conf = `# Coffer's NATS for prefix ${quote(options.prefix)}: made by \`npm run coffer -- nats-config\`.
# It holds every component's password: keep it private (mode 600).
port: ${options.port}
${options.monitorPort === undefined ? '' : `http_port: ${options.monitorPort} # monitoring, for the container's health check (not published)
`}max_payload: 1MB

jetstream {
  store_dir: ${quote(options.storeDir)}
}

tls {
  cert_file: ${quote(options.serverCertFile)}
  key_file: ${quote(options.serverKeyFile)}
  timeout: 2
}

accounts {
  ${SERVICES_ACCOUNT} {
    jetstream: enabled
    users: [
${usersOf(SERVICES_ACCOUNT).join(',\n')}
    ]
    exports: [
${entries(links.services.exports)}
    ]
    imports: [
${entries(links.services.imports)}
    ]
  }
  # Analytics alone, with its mirror of the feed: what JetStream publishes for it stays here.
  ${ANALYTICS_ACCOUNT} {
    jetstream: { max_mem: -1, max_file: -1, max_streams: 1, max_consumers: ${options.analyticsMaxConsumers ?? ANALYTICS_MAX_CONSUMERS} }
    users: [
${usersOf(ANALYTICS_ACCOUNT).join(',\n')}
    ]
    exports: [
${entries(links.analytics.exports)}
    ]
    imports: [
${entries(links.analytics.imports)}
    ]
  }
}
`;
  const env = Object.fromEntries(
    NATS_USERS.map((user) => [
      user,
      `# ${user}'s NATS user: made by \`npm run coffer -- nats-config\`; keep it private.\n` +
        `NATS_URL=tls://${user}:${passwords[user]}@${options.host}:${options.port}\nNATS_CA_FILE=${options.clientCaFile}\n` +
        (user === 'projector' ? `COFFER_FEED_MIRROR_ACCOUNT=${ANALYTICS_ACCOUNT}\n` : ''),
    ]),
  ) as Record<NatsUser, string>;
  return { conf, env, passwords };
}

/**
 * A private CA and a certificate for the NATS server, valid for `hosts` (names and addresses).
 * The CA's key stays in the folder, for the next certificate; nothing that runs needs it.
 */
export function makeTlsFiles(dir: string, hosts: string[], days = 825): void {
  const openssl = (...args: string[]) => {
    try {
      execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error('openssl makes the TLS files: install it (Debian: apt-get install openssl)');
      throw error;
    }
  };
  const caKey = join(dir, 'ca-key.pem');
  const caCert = join(dir, 'ca-cert.pem');
  const serverKey = join(dir, 'server-key.pem');
  const request = join(dir, 'server.csr');
  const extensions = join(dir, 'server.ext');
  const san = hosts.map((host) => (/^[\d.]+$|:/.test(host) ? `IP:${host}` : `DNS:${host}`)).join(',');
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', caKey, '-out', caCert, '-days', String(days), '-subj', '/CN=Coffer NATS CA');
  openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', serverKey, '-out', request, '-subj', `/CN=${hosts[0]}`);
  writeFileSync(extensions, `subjectAltName=${san}\nextendedKeyUsage=serverAuth\n`);
  openssl('x509', '-req', '-in', request, '-CA', caCert, '-CAkey', caKey, '-set_serial', `0x${randomBytes(16).toString('hex')}`, '-out', join(dir, 'server-cert.pem'), '-days', String(days), '-extfile', extensions);
  for (const scratch of [request, extensions]) rmSync(scratch);
  chmodSync(caKey, 0o600);
  chmodSync(serverKey, 0o600);
}

/** `nats-config [--out <dir>] [--host <name>] [--force]`: writes the folder docker-compose.yml reads. */
export function writeNatsConfig(dir: string, prefix: string, { host = COMPOSE_NATS_OPTIONS.host, force = false } = {}): string[] {
  const conf = join(dir, 'nats.conf');
  if (existsSync(conf) && !force) {
    throw new Error(`${conf} exists: its passwords are in use. Run with --force to make new ones (then restart NATS and every service).`);
  }
  mkdirSync(dir, { recursive: true });
  makeTlsFiles(dir, [host, 'localhost', '127.0.0.1']); // first: nats.conf is written only once everything it names exists
  const made = natsServerConfig({ ...COMPOSE_NATS_OPTIONS, host, prefix });
  writeFileSync(conf, made.conf, { mode: 0o600 });
  chmodSync(conf, 0o600);
  for (const user of NATS_USERS) {
    writeFileSync(join(dir, `${user}.env`), made.env[user], { mode: 0o600 });
    chmodSync(join(dir, `${user}.env`), 0o600);
  }
  return [conf, ...NATS_USERS.map((user) => join(dir, `${user}.env`)), join(dir, 'ca-cert.pem'), join(dir, 'server-cert.pem')];
}
