#!/usr/bin/env node
// `npm run bench [-- flags]`: builds Coffer, then measures it and the baseline wallet side by
// side on this machine with the same closed-loop workloads (the mix, then posting only), and writes bench/results/bench-<ts>.
// {json,md,svg}. Each system gets a fresh database (dropped afterwards); Coffer gets its own NATS
// prefix (its JetStream stream is deleted afterwards). Exits 1 when verify finds lost or doubled
// money (or a phase failed); targets that are missed are reported, not fatal.
//
//   --quick              15 s per system, 3 s warm-up, 200k events for rebuild/cold start
//   --duration=S         measured seconds per system (default 60)
//   --warmup=S           unmeasured seconds before each measurement (default 5)
//   --concurrency=N      virtual users (default 64)
//   --users=N            users (default 10000), Zipf exponent --zipf=S (default 1)
//   --apps=N             apps sharing the load (default 4)
//   --rebuild-events=N   store size for rebuild and cold start (default 1000000; env BENCH_REBUILD_EVENTS)
//   --fill-budget=S      longest time to grow the store to that size (default 900, quick 240)
//   --fill=fast|http     grow it with Coffer's ledger writer in-process (default) or through HTTP
//   --idempotency-keys   send an Idempotency-Key with every POST (both systems)
//   --baseline-pool=N    the baseline's pg pool size (default 20: its best on 2 cores)
//   --profile            run the services with --cpu-prof; the report lists where their CPU went
//   --quiet-wait=S       wait up to S s (default 120) for other work on the machine to calm down
//   --keep-database      leave Coffer's database (and its 1 M-event store) for profiling; the log names it
//   --skip-baseline --skip-coffer --skip-rebuild --skip-realms --no-build
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { randomBytes } = require('node:crypto');
const { spawnSync } = require('node:child_process');
const sys = require('./system');
const { createApps, fundUsers } = require('./load');
const { LagSampler } = require('./lag');
const { checkBaseline } = require('./baseline/check');
const { scalePhase, runCli } = require('./scale');
const { writeReport } = require('./report');
const { monotonicUs, summarizeProfiles } = require('./profile');

const { repo, sleep, now } = sys;
const log = (message) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);

// ---------------------------------------------------------------- flags

function parseFlags(argv) {
  try {
    return readFlags(argv);
  } catch (error) {
    throw Object.assign(error, { usage: true });
  }
}

function readFlags(argv) {
  const flags = {};
  for (const arg of argv) {
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!match) throw new Error(`unknown argument ${arg} (see the header of bench/run.js)`);
    flags[match[1]] = match[2] === undefined ? true : match[2];
  }
  const known = [
    'quick', 'duration', 'warmup', 'concurrency', 'users', 'zipf', 'apps', 'rebuild-events', 'fill-budget',
    'idempotency-keys', 'baseline-pool', 'skip-baseline', 'skip-coffer', 'skip-rebuild', 'no-build', 'profile',
    'quiet-wait', 'fill', 'keep-database', 'skip-realms',
  ];
  for (const name of Object.keys(flags)) if (!known.includes(name)) throw new Error(`unknown flag --${name}`);
  const quick = Boolean(flags.quick);
  const number = (name, fallback) => {
    if (flags[name] === undefined || flags[name] === true) return fallback;
    const value = Number(flags[name]);
    if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
    return value;
  };
  return {
    quick,
    duration: number('duration', quick ? 15 : 60),
    warmup: number('warmup', quick ? 3 : 5),
    concurrency: Math.round(number('concurrency', 64)),
    users: Math.round(number('users', 10000)),
    zipf: number('zipf', 1),
    apps: Math.round(number('apps', 4)),
    rebuildEvents: Math.round(number('rebuild-events', Number(process.env.BENCH_REBUILD_EVENTS) || (quick ? 200000 : 1000000))),
    fillBudget: number('fill-budget', quick ? 240 : 900),
    fill: flags.fill === 'http' ? 'http' : 'fast',
    idempotencyKeys: Boolean(flags['idempotency-keys']),
    baselinePool: Math.round(number('baseline-pool', 20)),
    profile: Boolean(flags.profile),
    quietWait: flags['quiet-wait'] === '0' ? 0 : number('quiet-wait', 120),
    skipBaseline: Boolean(flags['skip-baseline']),
    skipCoffer: Boolean(flags['skip-coffer']),
    skipRebuild: Boolean(flags['skip-rebuild']),
    skipRealms: Boolean(flags['skip-realms']),
    build: !flags['no-build'],
    keepDatabase: Boolean(flags['keep-database']),
  };
}

// ---------------------------------------------------------------- shared pieces

const EVENT_TIMEOUT_SECONDS = 5; // short, so abandoned rounds expire inside the run
const GRANT = 5000; // coins per user at setup: enough that most debits pass, few enough that hot users run dry
const APP_NAMES = ['Blackjack', 'Slots', 'Trivia', 'Fishing', 'Poker', 'Roulette', 'Bingo', 'Racing'];

/** The posting-only workload (issue 12): a closed loop of postings over this many users, uniformly. */
const POSTING_USERS = 100;

function workloadConfig(opts, baseUrl, apps, workload = 'mixed') {
  const common = { baseUrl, apps, concurrency: opts.concurrency, warmupSeconds: opts.warmup, durationSeconds: opts.duration };
  if (workload === 'posting') return { ...common, users: POSTING_USERS, zipfExponent: 0, idempotencyKeys: true, mix: 'posting' };
  return { ...common, users: opts.users, zipfExponent: opts.zipf, idempotencyKeys: opts.idempotencyKeys, mix: 'mixed' };
}

/**
 * Runs the load generator as a child process (its CPU is then its own line in the report).
 * `onMeasure(t)` / `onDone(t)` bracket the measured window; `onAcks` gets write acks for lag.
 */
function runLoadChild(config, { logDir, onMeasure, onDone, onAcks, control } = {}) {
  const entry = sys.startNode('loadgen', path.join(__dirname, 'load.js'), {
    ipc: true,
    logDir,
    onLine: (line) => process.stderr.write(`[loadgen] ${line}\n`),
  });
  const hooks = [];
  let answered = false;
  const result = new Promise((resolve, reject) => {
    entry.child.on('message', (message) => {
      if (message.type === 'result' || message.type === 'error') answered = true;
      if (message.type === 'phase' && message.phase === 'measure') hooks.push(onMeasure?.(message.t));
      else if (message.type === 'phase' && message.phase === 'done') hooks.push(onDone?.(message.t));
      else if (message.type === 'acks') onAcks?.(message.acks);
      else if (message.type === 'result') Promise.all(hooks).then(() => resolve(message.result), reject);
      else if (message.type === 'error') reject(new Error(`load generator failed: ${message.message}`));
    });
    // It exits right after sending its result, which may settle only once the window's hooks have
    // (they ask the services for counters): its exit says nothing then.
    entry.exited.then(({ code, signal }) => answered || reject(new Error(`load generator exited (${signal || code}) without a result`)));
  });
  entry.child.send({ type: 'run', config });
  if (control) control.stop = () => entry.child.connected && entry.child.send({ type: 'stop' });
  return { pid: entry.child.pid, result };
}

/** Fails fast when a service dies mid-run instead of waiting for timeouts. */
function watchServices(entries) {
  let armed = true;
  const died = new Promise((_, reject) => {
    for (const entry of entries) {
      entry.exited.then(({ code, signal }) => {
        if (armed) reject(new Error(`${entry.name} exited unexpectedly (${signal || `code ${code}`}); see its log`));
      });
    }
  });
  died.catch(() => {});
  return { race: (promise) => Promise.race([promise, died]), disarm: () => (armed = false) };
}

async function cpuSamplerFor(groups, databases, exclude = () => []) {
  const monitor = new (require('pg').Client)({ connectionString: sys.databaseUrl('postgres') });
  monitor.on('error', () => {});
  await monitor.connect();
  const nats = sys.pidsByName('nats-server'); // shared with whoever else uses this server
  const sampler = new sys.CpuSampler(async () => ({
    ...groups(),
    postgres: await sys.postgresPids(monitor, databases, exclude()),
    nats,
  }));
  sampler.close = () => monitor.end().catch(() => {});
  return sampler;
}

/**
 * Coffer's gateway counts the requests it sent to the services in batches and the messages they
 * left in (coffer_nats_batched_requests_total / coffer_nats_batch_messages_total); null for a
 * system without them (the baseline) or when /metrics does not answer.
 */
async function batchCounters(baseUrl) {
  try {
    const response = await fetch(`${baseUrl}/metrics`, { signal: AbortSignal.timeout(5000) });
    if (!response.ok) return null;
    const text = await response.text();
    const value = (name) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
    const requests = value('coffer_nats_batched_requests_total');
    const messages = value('coffer_nats_batch_messages_total');
    return Number.isFinite(requests) && Number.isFinite(messages) ? { requests, messages } : null;
  } catch {
    return null;
  }
}

/** Requests and messages in the window, and their ratio: the mean batch size. */
function batchSizeBetween(before, after) {
  if (!before || !after) return null;
  const requests = after.requests - before.requests;
  const messages = after.messages - before.messages;
  return { requests, messages, mean_requests_per_message: messages > 0 ? Math.round((requests / messages) * 100) / 100 : null };
}

/** Runs the measured workload with CPU (and, for Coffer, lag) sampling around the window. */
async function measure(opts, { baseUrl, apps, logDir, groups, databases, lag, guard, workload = 'mixed' }) {
  const background = opts.quietWait > 0 ? await sys.waitForQuiet({ maxSeconds: opts.quietWait, log }) : null;
  const monotonic = {};
  let loadPid = null;
  const cpu = await cpuSamplerFor(
    () => ({ ...groups(), loadgen: loadPid ? [loadPid] : [], bench: [process.pid] }),
    databases,
    () => (lag?.pid ? [lag.pid] : []),
  );
  let cpuResult = null;
  let batchesBefore = null;
  let batches = null;
  const load = runLoadChild(workloadConfig(opts, baseUrl, apps, workload), {
    logDir,
    onMeasure: async () => {
      monotonic.from = monotonicUs();
      log(`measuring the ${workload} workload for ${opts.duration} s at concurrency ${opts.concurrency}`);
      batchesBefore = await batchCounters(baseUrl);
      return cpu.start();
    },
    onDone: async () => {
      monotonic.to = monotonicUs();
      cpuResult = await cpu.stop();
      batches = batchSizeBetween(batchesBefore, await batchCounters(baseUrl));
    },
    onAcks: (acks) => lag?.add(acks),
  });
  loadPid = load.pid;
  try {
    const result = await guard.race(load.result);
    result.cpu = cpuResult;
    result.background_before = background;
    if (batches) result.nats_batches = batches;
    Object.defineProperty(result, 'monotonic', { value: monotonic, enumerable: false }); // for --profile only
    return result;
  } finally {
    await cpu.close();
  }
}

// ---------------------------------------------------------------- the baseline

async function runBaseline(opts, ctx) {
  const id = randomBytes(4).toString('hex');
  const database = `coffer_bench_${id}_baseline`;
  const databaseUrl = await sys.createDatabase(database);
  const port = await sys.freePort();
  const adminToken = `bench_admin_${randomBytes(12).toString('hex')}`;
  log(`baseline: database ${database}, port ${port}, pool ${opts.baselinePool}`);
  const profileDir = path.join(ctx.logDir, 'profiles-baseline');
  const server = sys.startNode('baseline', path.join(__dirname, 'baseline', 'server.js'), {
    logDir: ctx.logDir,
    nodeArgs: opts.profile ? ['--cpu-prof', `--cpu-prof-dir=${path.join(profileDir, 'baseline')}`] : [],
    env: {
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      COFFER_ADMIN_TOKEN: adminToken,
      COFFER_EVENT_TIMEOUT_SECONDS: String(EVENT_TIMEOUT_SECONDS),
      BASELINE_POOL_SIZE: String(opts.baselinePool),
    },
  });
  const guard = watchServices([server]);
  let result;
  try {
    if (!(await guard.race(sys.httpReady(port)))) throw new Error('the baseline did not become ready');
    const baseUrl = `http://127.0.0.1:${port}`;
    const apps = await createApps(baseUrl, adminToken, APP_NAMES.slice(0, opts.apps));
    const funding = await fundUsers(baseUrl, adminToken, opts.users, GRANT, { bulk: true });
    log(`baseline: ${opts.apps} apps, ${funding.users} users funded`);
    result = await measure(opts, {
      baseUrl,
      apps,
      logDir: ctx.logDir,
      groups: () => ({ baseline: [server.child.pid] }),
      databases: [database],
      guard,
    });
    result.posting = await measure(opts, { baseUrl, apps, logDir: ctx.logDir, groups: () => ({ baseline: [server.child.pid] }), databases: [database], guard, workload: 'posting' });
    log(`baseline: ${result.posting.committed.per_second} posted tx/s in the posting-only workload`);
    // Let abandoned rounds expire (the sweeper voids them) before checking the books.
    await sleep((EVENT_TIMEOUT_SECONDS + 2) * 1000);
    result.verify = await checkBaseline(databaseUrl);
    log(`baseline: ${result.committed.per_second} committed tx/s; books ${result.verify.ok ? 'balance' : 'DO NOT balance'}`);
    result.pool_size = opts.baselinePool;
  } finally {
    guard.disarm();
    await sys.stopProcess(server);
    await sys.dropDatabase(database).catch(() => {});
  }
  if (opts.profile) result.profiles = summarizeProfiles(profileDir, result.monotonic.from, result.monotonic.to);
  return result;
}

// ---------------------------------------------------------------- Coffer

const SERVICES = ['ledger', 'projector', 'achievements', 'gateway'];
/** The second realm of the two-realm run, and its ledger's name among the services. */
const SECOND_REALM = 'blue';
const SECOND_REALM_LEDGER = `ledger-${SECOND_REALM}`;

async function startCoffer(ctx) {
  const id = randomBytes(4).toString('hex');
  const database = `coffer_bench_${id}`;
  const databaseUrl = await sys.createDatabase(database);
  const natsUrl = process.env.NATS_URL || 'nats://127.0.0.1:4222';
  const prefix = `bench_${id}`;
  sys.owned.streams.push({ natsUrl, prefix });
  const port = await sys.freePort();
  const env = {
    DATABASE_URL: databaseUrl,
    NATS_URL: natsUrl,
    PORT: String(port),
    COFFER_NATS_PREFIX: prefix,
    COFFER_ADMIN_TOKEN: `bench_admin_${randomBytes(12).toString('hex')}`,
    COFFER_EVENT_TIMEOUT_SECONDS: String(EVENT_TIMEOUT_SECONDS),
    // The per-app limiter (500/s by default) guards against one runaway app; the bench measures
    // capacity, so it is lifted here.
    COFFER_RATE_LIMIT_PER_SECOND: '1000000',
    LOG_LEVEL: 'warn',
  };
  log(`coffer: database ${database}, NATS prefix ${prefix}, port ${port}`);
  const services = {};
  const profileDir = path.join(ctx.logDir, 'profiles-coffer');
  /** `as`: another instance of a service under its own name (the second realm's ledger). */
  const start = (name, { as = name, extraEnv = {} } = {}) =>
    (services[as] = sys.startNode(as, path.join(repo, 'services', name, 'dist', 'main.js'), {
      env: { ...env, ...extraEnv },
      logDir: ctx.logDir,
      nodeArgs: ctx.profile ? ['--cpu-prof', `--cpu-prof-dir=${path.join(profileDir, as)}`] : [],
    }));
  start('ledger'); // first, so it takes the writer lock without a race
  for (const name of SERVICES.slice(1)) start(name);
  const coffer = { id, database, databaseUrl, natsUrl, prefix, port, env, services, profileDir, start, baseUrl: `http://127.0.0.1:${port}` };
  coffer.guard = watchServices(Object.values(services));
  // After a service was stopped or restarted on purpose: watch the ones running now.
  coffer.restartWatch = () => {
    coffer.guard.disarm();
    coffer.guard = watchServices(Object.values(services).filter((entry) => sys.owned.processes.has(entry.child.pid)));
  };
  if (!(await coffer.guard.race(sys.httpReady(port)))) throw new Error('Coffer did not answer 200 on /ready within 60 s');
  return coffer;
}

async function stopCoffer(coffer, { keepDatabase = false } = {}) {
  coffer.guard.disarm();
  // The gateway first (no new requests), the writers last.
  for (const name of ['gateway', 'achievements', 'projector', SECOND_REALM_LEDGER, 'ledger']) {
    if (coffer.services[name]) await sys.stopProcess(coffer.services[name]);
  }
  if (keepDatabase) {
    sys.owned.databases.delete(coffer.database); // not dropped by the final clean-up either
    log(`coffer: kept database ${coffer.databaseUrl} (drop it yourself when done)`);
  }
  else await sys.dropDatabase(coffer.database).catch(() => {});
  await sys.deleteStreams(coffer.natsUrl, coffer.prefix).catch(() => {});
  sys.owned.streams = sys.owned.streams.filter((s) => s.prefix !== coffer.prefix);
}

/**
 * Issue 12's realms side by side: a second realm's ledger starts beside the first, as many apps
 * join it, its posting users are funded there, and the posting-only workload runs over the apps
 * of both realms at once (half the virtual users each). Each writer's CPU is its own line.
 */
async function twoRealms(opts, coffer, ctx, defaultApps, pidsOf) {
  coffer.start('ledger', { as: SECOND_REALM_LEDGER, extraEnv: { COFFER_REALM: SECOND_REALM } });
  coffer.restartWatch();
  const token = coffer.env.COFFER_ADMIN_TOKEN;
  // Its writer takes a moment to lead: until then its realm answers 503.
  const deadline = Date.now() + 60_000;
  let blueApps;
  for (;;) {
    try {
      blueApps = await coffer.guard.race(createApps(coffer.baseUrl, token, APP_NAMES.slice(0, opts.apps).map((name) => `${name} ${SECOND_REALM}`), { realm: SECOND_REALM }));
      break;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`the ${SECOND_REALM} realm's ledger did not take apps within 60 s: ${error.message}`);
      await sleep(500);
    }
  }
  await coffer.guard.race(fundUsers(coffer.baseUrl, token, POSTING_USERS, GRANT, { realm: SECOND_REALM }));
  log(`coffer: realm ${SECOND_REALM} has ${blueApps.length} apps and ${POSTING_USERS} funded users`);
  const groups = () => ({ ...pidsOf(), [SECOND_REALM_LEDGER]: [coffer.services[SECOND_REALM_LEDGER].child.pid] });
  // Alternating, so virtual user i (app i mod n) lands in each realm in turn.
  const both = defaultApps.flatMap((app, i) => [app, blueApps[i]]).filter(Boolean);
  const result = await measure(opts, { baseUrl: coffer.baseUrl, apps: both, logDir: ctx.logDir, groups, databases: [coffer.database], guard: coffer.guard, workload: 'posting' });
  result.realms = ['default', SECOND_REALM];
  log(`coffer: ${result.committed.per_second} posted tx/s over two realms (writers: ${result.cpu.cores.ledger} and ${result.cpu.cores[SECOND_REALM_LEDGER]} cores)`);
  return result;
}

async function runCoffer(opts, ctx) {
  const coffer = await startCoffer(ctx);
  const out = {};
  try {
    const apps = await coffer.guard.race(createApps(coffer.baseUrl, coffer.env.COFFER_ADMIN_TOKEN, APP_NAMES.slice(0, opts.apps)));
    const funding = await coffer.guard.race(fundUsers(coffer.baseUrl, coffer.env.COFFER_ADMIN_TOKEN, opts.users, GRANT));
    log(`coffer: ${opts.apps} apps, ${funding.users} users funded`);

    const lag = new LagSampler(coffer.databaseUrl);
    await lag.start();
    const pidsOf = () => Object.fromEntries(SERVICES.map((name) => [name, [coffer.services[name].child.pid]]));
    const result = await measure(opts, {
      baseUrl: coffer.baseUrl,
      apps,
      logDir: ctx.logDir,
      groups: pidsOf,
      databases: [coffer.database],
      lag,
      guard: coffer.guard,
    });
    result.projector_lag = await lag.stop({ windowStart: result.window.start, windowEnd: result.window.end });
    out.load = result;
    log(`coffer: ${result.committed.per_second} committed tx/s, projector lag p99 ${result.projector_lag.lag_ms.p99} ms`);
    out.posting = await measure(opts, { baseUrl: coffer.baseUrl, apps, logDir: ctx.logDir, groups: pidsOf, databases: [coffer.database], guard: coffer.guard, workload: 'posting' });
    log(`coffer: ${out.posting.committed.per_second} posted tx/s in the posting-only workload`);
    if (!opts.skipRealms) out.realms = await twoRealms(opts, coffer, ctx, apps, pidsOf);

    // Let abandoned rounds expire and the projector catch up, then check the books.
    await sleep((EVENT_TIMEOUT_SECONDS + 2) * 1000);
    const verify = await runCli(['verify'], coffer.env, ctx.logDir);
    out.verify = verify;
    log(`coffer: verify ${verify.ok ? 'OK' : 'FAILED'} (${verify.output.split('\n')[0]})`);

    if (!opts.skipRebuild) {
      out.scale = await scalePhase(opts, coffer, { log, logDir: ctx.logDir, apps, runLoadChild, cpuSamplerFor });
    }
    return out;
  } catch (error) {
    out.error = error.message;
    throw Object.assign(error, { partial: out });
  } finally {
    await stopCoffer(coffer, { keepDatabase: opts.keepDatabase });
    // Profiles are written when the services exit.
    if (opts.profile && out.load) out.load.profiles = summarizeProfiles(coffer.profileDir, out.load.monotonic.from, out.load.monotonic.to);
    if (opts.profile && out.realms) out.realms.profiles = summarizeProfiles(coffer.profileDir, out.realms.monotonic.from, out.realms.monotonic.to);
    if (opts.profile && out.posting) out.posting.profiles = summarizeProfiles(coffer.profileDir, out.posting.monotonic.from, out.posting.monotonic.to);
  }
}

// ---------------------------------------------------------------- main

function build() {
  log('building: npx tsc -b tsconfig.build.json');
  const result = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc', { paths: [repo] }), '-b', 'tsconfig.build.json'], {
    cwd: repo,
    stdio: 'inherit',
  });
  if (result.status !== 0) throw new Error('the build failed: fix it, or pass --no-build to use the services/*/dist already there');
  const missing = SERVICES.filter((name) => !fs.existsSync(path.join(repo, 'services', name, 'dist', 'main.js')));
  if (missing.length) throw new Error(`the build produced no dist/main.js for ${missing.join(', ')}`);
}

async function main() {
  const opts = parseFlags(process.argv.slice(2));
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').replace('Z', '');
  const resultsDir = path.join(__dirname, 'results');
  const logDir = path.join(resultsDir, `logs-${stamp}`);
  fs.mkdirSync(logDir, { recursive: true });
  const ctx = { logDir, profile: opts.profile };
  const results = {
    started_at: new Date().toISOString(),
    machine: { ...machineInfo(), postgres: await postgresSettings() },
    options: opts,
    workload: {
      event_timeout_seconds: EVENT_TIMEOUT_SECONDS,
      grant_per_user: GRANT,
      mix_percent: require('./load').MIXES.mixed,
      posting: { users: POSTING_USERS, idempotency_keys: true, route: 'POST /finance/transaction' },
    },
    logs: path.relative(repo, logDir),
  };
  let failed = false;

  if (!opts.skipCoffer && opts.build) build();

  if (!opts.skipBaseline) {
    try {
      results.baseline = await runBaseline(opts, ctx);
      if (!results.baseline.verify.ok) failed = true;
    } catch (error) {
      log(`baseline failed: ${error.message}`);
      results.baseline_error = error.message;
      failed = true;
    }
  }
  if (!opts.skipCoffer) {
    try {
      results.coffer = await runCoffer(opts, ctx);
      if (!results.coffer.verify.ok || results.coffer.scale?.verify?.ok === false) failed = true;
    } catch (error) {
      log(`coffer failed: ${error.message}`);
      results.coffer = { ...(error.partial || {}), error: error.message };
      failed = true;
    }
  }

  results.finished_at = new Date().toISOString();
  const files = writeReport(results, resultsDir, stamp);
  process.stdout.write(`\n${files.markdown}\n`);
  log(`wrote ${Object.values(files.paths).map((p) => path.relative(repo, p)).join(', ')}`);
  return failed ? 1 : 0;
}

/**
 * The server settings the figures depend on. autovacuum above all: with it off (as on the machine
 * of README "Benchmarks") no table is analyzed or vacuumed during a run, so plans rest on
 * default estimates and updated rows leave their dead versions behind.
 */
async function postgresSettings() {
  const names = ['server_version', 'autovacuum', 'shared_buffers', 'synchronous_commit', 'max_wal_size'];
  const { rows } = await sys.withClient(sys.databaseUrl('postgres'), (c) => c.query('SELECT name, setting, unit FROM pg_settings WHERE name = ANY($1)', [names]));
  return Object.fromEntries(rows.map((row) => [row.name, row.unit ? `${row.setting} × ${row.unit}` : row.setting]));
}

function machineInfo() {
  const os = require('node:os');
  return { cpus: os.cpus().length, cpu_model: os.cpus()[0]?.model, memory_gb: Math.round(os.totalmem() / 2 ** 30), node: process.version, platform: `${os.type()} ${os.release()}` };
}

// Ctrl-C: stop the children and drop the databases before leaving. A second one leaves at once.
let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    if (interrupted) {
      sys.killAllNow();
      process.exit(130);
    }
    interrupted = true;
    log(`${signal}: cleaning up (again to leave at once)`);
    sys.cleanup().finally(() => process.exit(130));
  });
}
process.on('exit', sys.killAllNow);

main()
  .then(async (code) => {
    await sys.cleanup();
    process.exit(code);
  })
  .catch(async (error) => {
    log(error.usage ? error.message : error.stack || error.message);
    await sys.cleanup();
    process.exit(1);
  });
