#!/usr/bin/env node
// `npm run chaos [-- flags]`: a Jepsen-style bank test of Coffer under faults. It starts its own
// PostgreSQL and NATS (never the shared ones), the services as separate processes from their
// dist/ (gateway, two ledgers, projector, achievements) under a restart policy, and clients that
// retry every write with the same Idempotency-Key. Then, for each fault in turn: load, inject,
// measure recovery, stop the load, wait until the system is quiet, and check that every
// acknowledged op is there exactly once, nothing refused or unasked is, every balance equals the
// acknowledged movements, and `coffer verify` passes. Writes chaos/results/chaos-<ts>.{json,md}
// (a full run also chaos/latest/), the model and last state for offline re-checks
// (chaos-<ts>.state.json), and exits 1 when any fault failed or a check could not be shown to fail.
// A fault fails on anything lost, doubled, phantom or wrong, a failed `verify`, or no recovery
// within 30 s of its end; in a full run also on a missed 2 s write-resume target, which a quick
// run (CI, on a shared machine) only reports.
//
//   --quick         one round of each fault and two combinations (a few minutes; CI runs this)
//   --rounds=N      rounds of the single faults in a full run (default 3)
//   --vus=N         virtual users besides the probes (default 8)
//   --only=TEXT     only the faults whose name contains TEXT (not kept as latest)
//   --no-build      use the services' dist/ as it is
'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { randomBytes } = require('node:crypto');
const { spawnSync } = require('node:child_process');
const { PrivatePostgres, PrivateNats, freePort } = require('../tools/private-servers');
const { serviceEnvironment } = require('../tools/service-environment');
const { ledgerRoleOf } = require('../tools/ledger-roles');
const { Supervisor, RESTART_DELAY_MS } = require('./supervisor');
const { HttpClient, Traffic, WRITE_RETRY_BOUND_MS } = require('./client');
const { Model, setUp, defineAchievements, startLoad, PROBE_INTERVAL_MS } = require('./workload');
const { Db, waitForQuiet, readModels, throughApi } = require('./observe');
const { injectAndMeasure, recoveryResult, RECOVERY_DEADLINE_MS } = require('./recovery');
const { check, selfTest } = require('./checker');
const faults = require('./faults');
const { runVerify, sabotageProof } = require('./verify');
const { writeReport } = require('./report');

const repo = path.resolve(__dirname, '..');
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const log = (message) => process.stderr.write(`[chaos ${new Date().toISOString().slice(11, 19)}] ${message}\n`);

const EVENT_TIMEOUT_SECONDS = 3; // short, so events left alone (and those a fault stalls) expire inside the trial
const STARTUP_TIMEOUT_MS = 90_000;
const HEALTHY_TIMEOUT_MS = 60_000;
const WARMUP_MS = 2_000; // load before the fault: rounds are open when it lands
const STEADY_MS = 2_000; // load after recovery, to see it hold
const QUIET_TIMEOUT_MS = EVENT_TIMEOUT_SECONDS * 1000 + 15_000;
const EVIDENCE_GROUPS_COUNT = 6; // per service and trial, besides every change of a ledger's role
const SERVICES = [
  ['ledger-a', 'services/ledger/dist/main.js'],
  ['ledger-b', 'services/ledger/dist/main.js'],
  ['projector', 'services/projector/dist/main.js'],
  ['achievements', 'services/achievements/dist/main.js'],
  ['gateway', 'services/gateway/dist/main.js'],
];
const APP_NAMES = ['Blackjack', 'Slots', 'Trivia'];
const FAILING_TYPES = ['lost', 'doubled', 'phantom', 'wrong', 'unsettled'];
const EXPECTED_REFUSALS = ['INSUFFICIENT_FUNDS', 'EVENT_NOT_OPEN']; // what a busy bank and an expired round answer

// ---------------------------------------------------------------- flags

function parseFlags(argv) {
  const flags = {};
  for (const arg of argv) {
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!match || !['quick', 'rounds', 'vus', 'only', 'no-build'].includes(match[1])) {
      throw new Error(`unknown argument ${arg} (see the header of chaos/run.js)`);
    }
    flags[match[1]] = match[2] ?? true;
  }
  const count = (name, fallback) => {
    if (flags[name] === undefined) return fallback;
    const value = Number(flags[name]);
    if (!Number.isInteger(value) || value < 1 || value > 100) throw new Error(`--${name} must be an integer from 1 to 100`);
    return value;
  };
  return {
    quick: Boolean(flags.quick),
    // The 2 s targets decide a full run; a quick run (CI, on a shared machine) reports them.
    enforceTargets: !flags.quick,
    rounds: count('rounds', 3),
    vus: count('vus', 8),
    only: typeof flags.only === 'string' ? flags.only : null,
    build: !flags['no-build'],
  };
}

// ---------------------------------------------------------------- the system under test

function build() {
  log('building: npx tsc -b tsconfig.build.json');
  const tsc = require.resolve('typescript/bin/tsc', { paths: [repo] });
  const result = spawnSync(process.execPath, [tsc, '-b', 'tsconfig.build.json'], { cwd: repo, stdio: 'inherit' });
  if (result.status !== 0) throw new Error('the build failed: fix it, or pass --no-build to use the dist/ that is there');
}

async function startServices(ctx) {
  const { supervisor } = ctx;
  for (const [name, script] of SERVICES) {
    if (!fs.existsSync(path.join(repo, script))) throw new Error(`${script} is missing: build first (or drop --no-build)`);
    supervisor.add(name, script);
  }
  // The first ledger alone, so which one leads is known; then the rest, as `npm start` starts them.
  const first = supervisor.get('ledger-a');
  const leading = first.waitForLine((line) => ledgerRoleOf(line.json?.msg) === 'active', STARTUP_TIMEOUT_MS);
  first.start();
  if (!(await leading)) throw new Error(`ledger-a did not lead within ${STARTUP_TIMEOUT_MS / 1000} s (see ${first.logFile})`);
  for (const [name] of SERVICES.slice(1)) supervisor.get(name).start();
  const healthy = await waitHealthy(ctx, STARTUP_TIMEOUT_MS);
  if (!healthy.ok) throw new Error(`Coffer did not come up: ${healthy.why}`);
  log(`services up: ${supervisor.all().map((s) => `${s.name} pid ${s.pid}`).join(', ')}`);
}

/** All services running (none frozen), one ledger leading and one standing by, the gateway ready. */
async function waitHealthy(ctx, timeoutMs) {
  const deadline = now() + timeoutMs;
  let why = '';
  while (now() < deadline) {
    const services = ctx.supervisor.all();
    const roles = ctx.supervisor.ledgers().map((ledger) => `${ledger.name} ${ledger.role()?.role ?? 'silent'}`);
    if (services.some((s) => !s.alive || s.frozen)) why = `not running: ${services.filter((s) => !s.alive || s.frozen).map((s) => s.name).join(', ')}`;
    else if (!ctx.supervisor.activeLedger() || ctx.supervisor.ledgers().some((l) => !l.role())) why = `ledger roles: ${roles.join(', ')}`;
    else {
      const ready = await ctx.client.request('GET', '/ready', { route: 'GET /ready' });
      if (ready.status === 200) return { ok: true, ms: Math.round(now() - (deadline - timeoutMs)) };
      why = `/ready answered ${ready.status || ready.error}`;
    }
    await sleep(100);
  }
  return { ok: false, why };
}

// ---------------------------------------------------------------- one trial

function machineBusy() {
  const v = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  return { busy: v.slice(0, 8).reduce((a, b) => a + b, 0) - v[3] - (v[4] || 0), total: v.slice(0, 8).reduce((a, b) => a + b, 0) };
}

/** Warnings, errors and role changes the services logged in the window, grouped by message: the evidence. */
function evidence(ctx, from, to) {
  const out = {};
  for (const service of ctx.supervisor.all()) {
    const groups = new Map();
    for (const line of service.evidenceLines(from, to)) {
      const msg = line.json ? String(line.json.msg) : line.text.slice(0, 120);
      if (!groups.has(msg)) groups.set(msg, { msg, count: 0, first: line.text.slice(0, 400), at_ms: Math.round(line.t - from) });
      groups.get(msg).count++;
    }
    const all = [...groups.values()].sort((a, b) => a.at_ms - b.at_ms);
    const others = all.filter((g) => ledgerRoleOf(g.msg) === null).slice(0, EVIDENCE_GROUPS_COUNT);
    const kept = all.filter((g) => ledgerRoleOf(g.msg) !== null || others.includes(g));
    if (kept.length) out[service.name] = kept;
  }
  return out;
}

const round = (value) => (value === null || value === undefined ? null : Math.round(value));

async function runTrial(ctx, trial, fault) {
  const target = faults.targetOf(fault);
  const result = { trial, fault: fault.name, injected: faults.describe(fault), target_ms: target, failures: [], warnings: [] };
  log(`trial ${trial}: ${fault.name}`);
  const healthy = await waitHealthy(ctx, HEALTHY_TIMEOUT_MS);
  if (!healthy.ok) {
    result.failures.push(`not healthy before the fault: ${healthy.why}`);
    result.abort = true;
    return result;
  }
  await defineAchievements(ctx, trial);
  const cpuBefore = machineBusy();
  const harnessBefore = process.cpuUsage();
  const wallBefore = now();
  result.loadavg_1m = os.loadavg()[0];
  const load = (ctx.load = startLoad(ctx, trial, ctx.opts.vus));
  await sleep(WARMUP_MS);

  const injection = await injectAndMeasure(ctx, fault);
  const { recovery } = injection;
  await sleep(STEADY_MS);
  const loadStopping = now();
  await load.stop();
  const loadStopped = now();
  const cpuAfter = machineBusy();
  result.machine_busy_cores = Number(((cpuAfter.busy - cpuBefore.busy) / ((cpuAfter.total - cpuBefore.total) / os.cpus().length)).toFixed(2));
  const harness = process.cpuUsage(harnessBefore);
  result.harness_cores = Number(((harness.user + harness.system) / 1000 / (loadStopped - wallBefore)).toFixed(2)); // the clients' share of it
  const targetMisses = ctx.opts.enforceTargets ? result.failures : result.warnings;
  Object.assign(result, recoveryResult(injection, recovery, target, result.failures, targetMisses));
  // Until the last client stopped: an answer a dead or frozen backend held back still belongs to the fault.
  result.traffic = ctx.traffic.countBetween(injection.injected, loadStopped);
  result.load_stop_ms = round(loadStopped - loadStopping);
  const ops = ctx.model.opsOfTrial(trial);
  result.ops = opsSummary(ops, result.failures);

  const quiet = await waitForQuiet(ctx.db, ctx.natsUrl, ctx.domainTypes, QUIET_TIMEOUT_MS);
  result.quiet = quiet.steps;
  for (const what of quiet.pending) result.failures.push(`not quiet after ${QUIET_TIMEOUT_MS / 1000} s: ${what}`);
  Object.assign(result, await checkTrial(ctx, trial, ops, result.failures));
  result.events_open_at_injection = await eventsOpenAt(ctx.db, injection.injected);

  result.exits = ctx.supervisor.all().flatMap((s) =>
    s.exits
      .filter((e) => e.t >= injection.injected)
      .map((e) => ({ service: s.name, at_ms: round(e.t - injection.injected), code: e.code, signal: e.signal, planned: e.planned, last_lines: e.planned ? [] : e.last_lines })),
  );
  result.evidence = evidence(ctx, injection.injected, loadStopped);
  result.ledger_roles_after = ctx.supervisor.ledgers().map((ledger) => {
    const role = ledger.role();
    return { service: ledger.name, role: role?.role ?? null, said_at_ms: role ? round(role.t - injection.injected) : null };
  });
  result.ok = result.failures.length === 0;
  log(
    `trial ${trial} ${result.ok ? 'ok' : 'FAILED'}: ${fault.name}: writes resumed ${result.writes_resumed_ms ?? '–'} ms ` +
      `(${result.writes_resumed_after_ref_ms ?? '–'} after ${result.ref_is_back ? 'back' : 'the fault'}, target ${target ?? '–'}), ` +
      `read models ${result.read_models_caught_up_ms ?? '–'} ms, ${result.ops.acknowledged} acked, ${result.ops.unknown} unknown, ` +
      `503s ${result.traffic.status_503}, 500s ${result.traffic.status_500}, no answer ${result.traffic.no_answer}` +
      [...result.failures, ...result.warnings.map((w) => `${w} (reported, not enforced in a quick run)`)].map((line) => `\n    ${line}`).join(''),
  );
  return result;
}

function opsSummary(ops, failures) {
  const refused = ops.filter((op) => op.outcome === 'refused');
  // The clients send only well-formed requests: any other definitive refusal told one of them a wrong "no".
  const unexpected = refused.filter((op) => !EXPECTED_REFUSALS.includes(op.code));
  if (unexpected.length) failures.push(`${unexpected.length} unexpected refusals, e.g. ${unexpected[0].route} ${unexpected[0].status} ${unexpected[0].code}`);
  return {
    sent: ops.length,
    acknowledged: ops.filter((op) => op.outcome === 'acked').length,
    refused: refused.length,
    unknown: ops.filter((op) => op.outcome === 'unknown').length,
    refusals: countBy(refused, (op) => `${op.route} ${op.status} ${op.code}`),
    unexpected_refusals: unexpected.length,
  };
}

/**
 * The read models and the API against the whole model (every trial so far); anomalies are
 * reported once, by the first trial after which they were seen. Then `coffer verify`.
 */
async function checkTrial(ctx, trial, ops, failures) {
  const observed = await readModels(ctx.db);
  const ids = ops.map((op) => op.reply?.transaction_id).filter((id) => typeof id === 'number');
  observed.api = await throughApi(ctx.client, ctx.model, trial, ids.length ? Math.min(...ids) : Number.MAX_SAFE_INTEGER);
  ctx.lastObserved = observed;
  const checked = check(ctx.model, observed);
  const fresh = checked.anomalies.filter((a) => !ctx.reported.has(a.key));
  for (const a of fresh) ctx.reported.add(a.key);
  const counts = Object.fromEntries(FAILING_TYPES.map((type) => [type, fresh.filter((a) => a.type === type).length]));
  for (const type of FAILING_TYPES) if (counts[type]) failures.push(`${counts[type]} ${type}`);
  const verify = await runVerify(ctx.env);
  if (!verify.ok) failures.push(`verify failed: ${verify.output.split('\n').slice(0, 3).join(' | ')}`);
  return { anomalies: fresh, counts, stats: checked.stats, verify };
}

/** Finance events open at that moment, and how they ended: the faults must land on open rounds. */
async function eventsOpenAt(db, t) {
  const at = new Date(t).toISOString();
  const { rows } = await db.query(
    `SELECT status, count(*)::int AS n FROM coffer_read.finance_events
      WHERE opened_at <= $1 AND coalesce(closed_at, expired_at, 'infinity') > $1 GROUP BY status`,
    [at],
  );
  return Object.fromEntries(rows.map((row) => [row.status, row.n]));
}

function countBy(list, keyOf) {
  const counts = {};
  for (const item of list) counts[keyOf(item)] = (counts[keyOf(item)] || 0) + 1;
  return counts;
}

// ---------------------------------------------------------------- main

const running = { servers: null, supervisor: null, db: null, client: null };

async function main() {
  const opts = parseFlags(process.argv.slice(2));
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').replace('Z', '');
  const resultsDir = path.join(__dirname, 'results');
  const logDir = path.join(resultsDir, `logs-${stamp}`);
  fs.mkdirSync(logDir, { recursive: true });
  const schedule = faults.schedule(opts).filter((f) => !opts.only || f.name.includes(opts.only));
  if (schedule.length === 0) throw new Error(`no fault matches --only=${opts.only}`);
  if (opts.build) build();

  const started = now();
  // Registered before they start: a Ctrl-C or a failure during the start stops them too.
  const servers = (running.servers = {
    postgres: new PrivatePostgres({ label: 'coffer-chaos-postgres', settings: { max_connections: 200 } }),
    nats: new PrivateNats({ label: 'coffer-chaos-nats' }),
  });
  await servers.postgres.start();
  log(`postgres: private cluster on 127.0.0.1:${servers.postgres.port} (${servers.postgres.dataDir})`);
  await servers.nats.start();
  log(`nats: private nats-server with JetStream on 127.0.0.1:${servers.nats.port}`);
  const port = await freePort();
  // Nothing of the caller's environment but PATH, HOME and the locale reaches the services.
  const env = serviceEnvironment({
    DATABASE_URL: servers.postgres.url('coffer'),
    NATS_URL: servers.nats.url,
    PORT: String(port),
    COFFER_ADMIN_TOKEN: `chaos_admin_${randomBytes(12).toString('hex')}`,
    COFFER_EVENT_TIMEOUT_SECONDS: String(EVENT_TIMEOUT_SECONDS),
    COFFER_NATS_PREFIX: 'coffer',
    COFFER_RATE_LIMIT_PER_SECOND: '1000000', // the clients' retries are the point here, not the limiter
    LOG_LEVEL: 'info',
  });
  const traffic = new Traffic();
  const client = (running.client = new HttpClient(`http://127.0.0.1:${port}`, traffic));
  const supervisor = (running.supervisor = new Supervisor(env, logDir));
  const db = (running.db = new Db(env.DATABASE_URL));
  const model = new Model();
  const ctx = { opts, env, log, logDir, servers, supervisor, client, traffic, db, model, adminToken: env.COFFER_ADMIN_TOKEN, natsUrl: env.NATS_URL, reported: new Set() };
  // What the feed publishes: the public event types only (internal ones never reach it).
  ctx.domainTypes = require('@coffer/contracts').PUBLIC_EVENT_TYPES;

  await startServices(ctx);
  await setUp(ctx, APP_NAMES);
  log(`${APP_NAMES.length} apps, ${model.users.length} users funded; ${schedule.length} faults to go`);

  const results = {
    started_at: new Date().toISOString(),
    machine: { cpus: os.cpus().length, cpu_model: os.cpus()[0]?.model, memory_gb: Math.round(os.totalmem() / 2 ** 30), node: process.version },
    options: opts,
    settings: {
      event_timeout_seconds: EVENT_TIMEOUT_SECONDS,
      write_resume_target_ms: faults.WRITE_RESUME_TARGET_MS,
      write_resume_target_enforced: opts.enforceTargets,
      recovery_deadline_ms: RECOVERY_DEADLINE_MS,
      nats_outage_ms: faults.NATS_OUTAGE_MS,
      postgres_outage_ms: faults.POSTGRES_OUTAGE_MS,
      freeze_ms: faults.FREEZE_MS,
      restart_delay_ms: RESTART_DELAY_MS,
      write_retry_bound_ms: WRITE_RETRY_BOUND_MS,
      virtual_users: opts.vus,
      probe_interval_ms: PROBE_INTERVAL_MS,
    },
    logs: path.relative(repo, logDir),
    trials: [],
  };
  for (let i = 0; i < schedule.length; i++) {
    // A trial that cannot finish (a fault that could not be carried out, a check that threw) is a
    // failed trial, not the end of the run: the next trial's health check decides whether to go on.
    const result = await runTrial(ctx, i + 1, schedule[i]).catch(async (error) => {
      log(`trial ${i + 1} could not finish: ${error.stack || error.message}`);
      await ctx.load?.stop(); // its clients give up within their retry bound
      return { trial: i + 1, fault: schedule[i].name, injected: faults.describe(schedule[i]), ok: false, failures: [`the trial could not finish: ${error.message}`], warnings: [] };
    });
    results.trials.push(result);
    if (result.abort) {
      log('the system did not come back to health: the remaining faults are not run');
      for (const rest of schedule.slice(i + 1)) results.trials.push({ trial: results.trials.length + 1, fault: rest.name, injected: faults.describe(rest), ok: false, failures: ['not run: the system was not healthy'], warnings: [] });
      break;
    }
  }

  // The checks must be able to fail: wrong models and states must be reported, and a corrupted
  // read model must fail both verify and the balance check.
  if (ctx.lastObserved) {
    results.self_test = selfTest(model, ctx.lastObserved);
    results.sabotage = await sabotageProof(ctx, check, readModels).catch((error) => ({ ok: false, error: error.message }));
  }
  results.finished_at = new Date().toISOString();
  results.minutes = Number(((now() - started) / 60000).toFixed(1));
  const harnessBroken = (results.self_test ?? []).some((t) => t.detected === false) || results.sabotage?.ok === false;
  const passed = results.trials.filter((t) => t.ok).length;
  const failed = results.trials.length - passed + (harnessBroken ? 1 : 0);
  results.summary = { passed, failed, harness_proven: !harnessBroken };
  const keepLatest = !opts.quick && !opts.only;
  const files = writeReport(results, resultsDir, stamp, keepLatest ? path.join(__dirname, 'latest') : null);
  // The model and the last observed state, so the checker can be run again on them offline.
  const statePath = path.join(resultsDir, `chaos-${stamp}.state.json`);
  fs.writeFileSync(statePath, JSON.stringify({ ops: model.ops, apps: model.apps, users: model.users, observed: ctx.lastObserved ?? null }));
  files.paths.push(statePath);
  process.stdout.write(`\n${files.markdown}\n`);
  log(`wrote ${files.paths.map((p) => path.relative(repo, p)).join(', ')}`);
  return results.summary;
}

// ---------------------------------------------------------------- cleanup

let cleaning = null;
function cleanup() {
  cleaning ??= (async () => {
    running.client?.close();
    await running.supervisor?.stopAll().catch((error) => log(`stopping the services: ${error.message}`));
    await running.db?.close();
    // stop() is for good: a start racing this cleanup (a Ctrl-C during start-up) cannot bring a server back.
    for (const server of [running.servers?.nats, running.servers?.postgres]) {
      await server?.stop().catch((error) => log(`stopping a private server: ${error.message}`));
    }
  })();
  return cleaning;
}

/** The closing line CI reads, once, whichever way the run ends. */
let finished = false;
function finish(passed, failed, code) {
  if (finished) return;
  finished = true;
  process.stdout.write(`chaos: ${passed} passed, ${failed} failed\n`);
  process.exit(code);
}

let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    if (interrupted) process.exit(130); // the exit handler still kills what is left
    interrupted = true;
    log(`${signal}: stopping everything this run started (again to leave at once)`);
    cleanup().finally(() => finish(0, 1, 130));
  });
}
// Last resort: nothing this run started may outlive it.
process.on('exit', () => {
  running.supervisor?.killAllNowSync();
  running.servers?.nats.stopNowSync();
  running.servers?.postgres.stopNowSync();
});

main()
  .then(async ({ passed, failed }) => {
    await cleanup();
    finish(passed, failed, failed ? 1 : 0);
  })
  .catch(async (error) => {
    if (!interrupted) log(error.stack || error.message); // else: what the interruption cut short
    await cleanup();
    finish(0, 1, 1);
  });
