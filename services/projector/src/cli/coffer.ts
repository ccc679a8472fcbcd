/**
 * `npm run coffer -- <command>`: operator commands against the database and event store named
 * by the same environment as the services (DATABASE_URL, EVENTSTORE_URL).
 *
 *   rebuild <projection|all>  replay into fresh read models, swap them in when caught up
 *   verify                    books balance, and read models equal a fresh fold of the events
 *   status                    read-model position and lag
 *   nats-config               a production NATS configuration: a user per component, TLS
 *   service-key new|show      a fresh COFFER_SERVICE_KEY, or the deployment's key in that form
 *   admin-token reset         a new bootstrap admin token (admin-token.ts)
 */
import { resolve } from 'node:path';
import { createEventStore } from '@coffer/event-store';
import {
  configOrExit,
  createPool,
  databaseName,
  formatServiceKeys,
  generateServiceKey,
  loadServiceKeys,
  requireDatabase,
  type CofferConfig,
  type PoolBounds,
} from '@coffer/platform';
import { ADMIN_TOKEN_USAGE, runAdminToken } from './admin-token';
import { writeNatsConfig } from './nats-config';
import { RebuildProgress } from './rebuild-progress';
import { Generations } from '../read-models/generations';
import { rebuild, status, verify } from '../read-models/rebuild-verify-status';
import { READ_MODEL_TABLES } from '../read-models/schema';

const USAGE = `usage: npm run coffer -- <command>
  rebuild <projection|all>   projections: all, ${Object.keys(READ_MODEL_TABLES).join(', ')}
                             (they share one generation: any of them rebuilds them all)
  verify                     exit 1 with a report if the books or the read models are wrong
  status                     read-model position and lag against the event store
  nats-config [--out <dir>] [--host <name>] [--force]
                             nats.conf with a user and permissions per component, TLS files
                             and each component's NATS_URL (default deploy/nats, host nats:
                             what docker-compose.yml reads)
  service-key new            print a fresh COFFER_SERVICE_KEY value (<key_id>:<secret>)
  service-key show           print the deployment's service key(s) in that form
${ADMIN_TOKEN_USAGE}`;

const OPERATIONS = ['rebuild', 'verify', 'status'];

function option(args: string[], name: string): string | undefined {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
}

/** The commands that need neither the event store nor the read models. */
async function runSetup(command: string, args: string[]): Promise<number> {
  if (command === 'nats-config') {
    const config = configOrExit('coffer-cli');
    const dir = resolve(option(args, '--out') ?? 'deploy/nats');
    const written = writeNatsConfig(dir, config.natsPrefix, { host: option(args, '--host'), force: args.includes('--force') });
    console.log(`wrote ${written.length} files to ${dir} for prefix ${config.natsPrefix}:`);
    for (const file of written) console.log(`  ${file}`);
    console.log('nats.conf and the .env files hold passwords: keep them private. docker compose up uses them.');
    return 0;
  }
  if (args[1] === 'new') {
    console.log(formatServiceKeys([generateServiceKey()]));
    return 0;
  }
  if (args[1] === 'show') {
    const config = configOrExit('coffer-cli');
    await requireDatabase(config.databaseUrl);
    console.log(formatServiceKeys(await loadServiceKeys(config)));
    return 0;
  }
  console.error(USAGE);
  return 2;
}

/**
 * A rebuild or verify reads every event and builds whole tables and their indexes: statements
 * the services' timeout would cut short. They still get a bound, so a stuck one ends.
 */
export const OPERATIONS_STATEMENT_TIMEOUT_MS = 3_600_000;

/** Which database and which event store a command reads, without passwords. */
function describeTarget(config: CofferConfig): string {
  const database = new URL(config.databaseUrl);
  // An EventStoreDB connection string may list several hosts (not a URL): drop its user and query only.
  const store = config.eventStoreUrl ? `EventStoreDB at ${config.eventStoreUrl.replace(/\/\/[^@/]*@/, '//').replace(/\?.*$/, '')}` : 'the PostgreSQL event store in it';
  return `database "${databaseName(config.databaseUrl)}" on ${database.hostname}:${database.port || '5432'}, ${store}`;
}

export async function runCli(args: string[]): Promise<number> {
  const [command, target] = args;
  if (command === 'nats-config' || command === 'service-key') return runSetup(command, args);
  if (command === 'admin-token') {
    if (args[1] !== 'reset') {
      console.error(USAGE);
      return 2;
    }
    return runAdminToken(args, configOrExit('coffer-cli'), describeTarget);
  }
  if (!command || !OPERATIONS.includes(command)) {
    console.error(USAGE);
    return 2;
  }
  if (command === 'rebuild' && target !== 'all' && !(target in READ_MODEL_TABLES)) {
    console.error(`unknown projection ${JSON.stringify(target ?? '')}\n${USAGE}`);
    return 2;
  }
  const config = configOrExit('coffer-cli');
  // An operator's command reads what is there: a mistyped DATABASE_URL is an error, not a new,
  // empty and "healthy" database. It says what it reads, on stderr (stdout stays the report).
  await requireDatabase(config.databaseUrl);
  console.error(`coffer ${command}: ${describeTarget(config)}`);
  const bounds: PoolBounds = { statementTimeoutMs: OPERATIONS_STATEMENT_TIMEOUT_MS, poolWaitMs: config.pgPoolWaitMs };
  const store = await createEventStore({
    databaseUrl: config.databaseUrl,
    eventStoreUrl: config.eventStoreUrl,
    createPool: (settings) => createPool(settings, bounds),
  });
  const pool = createPool({ connectionString: config.databaseUrl, max: 2 }, bounds);
  const generations = new Generations(pool);
  try {
    if (command === 'rebuild') {
      const shown = new RebuildProgress(process.stderr);
      const result = await rebuild(store, generations, { progress: shown.update, phase: shown.phase });
      shown.finish();
      console.log(
        `rebuilt read models into generation ${result.generation}: ${result.events} events in ${result.seconds.toFixed(1)} s (${result.eventsPerSecond} events/s), now serving`,
      );
      return 0;
    }
    if (command === 'verify') {
      const report = await verify(store, generations);
      if (report.ok) {
        console.log(`verify: OK at position ${report.position ?? '(empty)'}: every currency sums to zero and every read model equals a fresh fold`);
        return 0;
      }
      console.log(`verify: FAILED at position ${report.position ?? '(empty)'} with ${report.problems.length} problem(s):`);
      for (const problem of report.problems) console.log(`  - ${problem}`);
      return 1;
    }
    console.log(JSON.stringify(await status(store, generations), null, 2));
    return 0;
  } finally {
    await store.close();
    await pool.end();
  }
}

if (require.main === module) {
  runCli(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: Error) => {
      console.error(`coffer: ${error.message}`);
      process.exit(1);
    },
  );
}
