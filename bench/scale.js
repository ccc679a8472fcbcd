// Rebuild and start-up figures at a given store size (default 1 M events): grow the store through
// the real HTTP path (a writes-only closed loop at the same concurrency), time `coffer rebuild
// all`, then restart the ledger a few times and time each cold start from its snapshot, and
// verify the books once more at that size.
'use strict';

const path = require('node:path');
const { Client } = require('pg');
const sys = require('./system');
const { summarize } = require('./stats');

const { repo, sleep, now, round } = sys;
const CLI = path.join(repo, 'services', 'projector', 'dist', 'cli', 'coffer.js');
const COLD_STARTS = 3;

/**
 * Runs the operations CLI from its build output. Not tools/coffer.js: that one rebuilds the
 * workspace first, and a tree others are editing may not build at that moment (or may build
 * code other than what the running services were started from).
 */
function runCli(args, env, logDir, { onStart } = {}) {
  const lines = [];
  const started = now();
  const entry = sys.startNode(`coffer-${args[0]}`, CLI, {
    args,
    env: { ...env, LOG_LEVEL: 'warn' },
    logDir,
    onLine: (line) => lines.push(line.replace(/^.*\r/, '')), // the progress bar rewrites one line
  });
  onStart?.(entry.child.pid);
  return entry.exited.then(({ code, signal }) => ({
    ok: code === 0,
    code: code ?? signal,
    seconds: round((now() - started) / 1000, 2),
    output: lines.filter((line) => !/^\[[#.]+\]/.test(line)).join('\n').trim(),
  }));
}

async function scalePhase(opts, coffer, { log, logDir, apps, runLoadChild, cpuSamplerFor }) {
  const out = { target_events: opts.rebuildEvents };
  const db = new Client({ connectionString: coffer.databaseUrl });
  db.on('error', () => {});
  await db.connect();
  const count = async () =>
    Number((await db.query('SELECT coalesce(sum(revision + 1), 0)::bigint AS n FROM coffer_es.streams')).rows[0].n);
  try {
    out.events_before_fill = await count();
    if (out.events_before_fill < opts.rebuildEvents) out.fill = await fill(opts, coffer, { log, logDir, apps, runLoadChild, count });
    out.events = await count();
    out.reached_target = out.events >= opts.rebuildEvents;
    if (!out.reached_target) log(`the store reached ${out.events} of ${opts.rebuildEvents} events within the fill budget`);

    out.projector_catch_up = await waitForProjector(db, log);
    // The analytics feed tails the same store: timing a rebuild while it still publishes the
    // fill's events would measure both.
    out.feed_catch_up = await waitForFeed(coffer, db, log);
    out.rebuild = await rebuild(coffer, { log, logDir, cpuSamplerFor });
    out.cold_start = await coldStarts(coffer, db, { log, logDir });
    log('verifying the books at this size');
    out.verify = await runCli(['verify'], coffer.env, logDir);
    log(`verify at ${out.events} events: ${out.verify.ok ? 'OK' : 'FAILED'}`);
    return out;
  } finally {
    await db.end().catch(() => {});
  }
}

/** Grows the store to the target: the fast loader, or HTTP when asked or when the loader cannot run. */
async function fill(opts, coffer, ctx) {
  if (opts.fill === 'fast') {
    try {
      return await fastFill(opts, coffer, ctx);
    } catch (error) {
      ctx.log(`the fast loader could not run (${error.message.split('\n')[0]}): growing the store through HTTP instead`);
      if (!sys.owned.processes.has(coffer.services.ledger.child.pid)) await restartLedger(coffer, ctx.logDir);
      return { ...(await httpFill(opts, coffer, ctx)), fast_loader_error: error.message.split('\n')[0] };
    }
  }
  return httpFill(opts, coffer, ctx);
}

/** Polls the store size once a second until the target or the budget; then calls stop(). */
async function growUntil(opts, coffer, { log, count }, stop) {
  const started = now();
  const before = await count();
  let events = before;
  let lastLog = now();
  while (events < opts.rebuildEvents && now() - started < opts.fillBudget * 1000) {
    await coffer.guard.race(sleep(1000));
    events = await count();
    if (now() - lastLog > 15000) {
      log(`  ${events} events (${Math.round((events - before) / ((now() - started) / 1000))} events/s)`);
      lastLog = now();
    }
  }
  await stop();
  const seconds = (now() - started) / 1000;
  const after = await count();
  return { seconds: round(seconds, 1), events_added: after - before, events_per_second: Math.round((after - before) / seconds) };
}

/** Coffer's LedgerWriter in a child process (bench/fill.js) while the ledger service is stopped. */
async function fastFill(opts, coffer, { log, logDir, apps, count }) {
  log(`growing the event store to ${opts.rebuildEvents} events with the ledger writer in-process (budget ${opts.fillBudget} s)`);
  coffer.guard.disarm();
  await sys.stopProcess(coffer.services.ledger); // one writer at a time: the loader takes the stream
  coffer.restartWatch();
  const entry = sys.startNode('fill', path.join(__dirname, 'fill.js'), {
    ipc: true,
    logDir,
    onLine: (line) => process.stderr.write(`[fill] ${line}\n`),
  });
  let onReady;
  const ready = new Promise((resolve) => (onReady = resolve));
  const result = new Promise((resolve, reject) => {
    entry.child.on('message', (message) => {
      if (message.type === 'ready') onReady();
      else if (message.type === 'result') resolve(message.result);
      else if (message.type === 'error') reject(new Error(message.message));
    });
    entry.exited.then(({ code, signal }) => reject(new Error(`the loader exited (${signal || code})`)));
  });
  result.catch(() => {});
  entry.child.send({
    type: 'run',
    config: {
      databaseUrl: coffer.databaseUrl,
      realm: coffer.env.COFFER_REALM || 'default',
      eventTimeoutSeconds: Number(coffer.env.COFFER_EVENT_TIMEOUT_SECONDS),
      users: opts.users,
      zipfExponent: opts.zipf,
      apps,
    },
  });
  await Promise.race([ready, result]);
  const growth = await growUntil(opts, coffer, { log, count }, () => entry.child.connected && entry.child.send({ type: 'stop' }));
  const loader = await result;
  return { method: 'fast: LedgerWriter in-process (no gateway, no NATS)', ...growth, loader };
}

/** Writes-only closed loop through the gateway at the run's concurrency. */
async function httpFill(opts, coffer, { log, logDir, apps, runLoadChild, count }) {
  log(`growing the event store to ${opts.rebuildEvents} events through HTTP (budget ${opts.fillBudget} s)`);
  const control = {};
  const load = runLoadChild(
    {
      baseUrl: coffer.baseUrl,
      apps,
      users: opts.users,
      zipfExponent: opts.zipf,
      concurrency: opts.concurrency,
      warmupSeconds: 0,
      durationSeconds: null,
      mix: 'fill',
      ackSampleEvery: 1e12,
      seed: 2,
    },
    { logDir, control },
  );
  const growth = await growUntil(opts, coffer, { log, count }, () => control.stop());
  const result = await coffer.guard.race(load.result);
  return {
    method: 'http: writes-only closed loop through the gateway',
    ...growth,
    committed_per_second: result.committed.per_second,
    requests_per_second: result.requests.per_second,
    refusals: result.refusals,
  };
}

/** Starts the ledger service again (after the fast loader) and waits until it leads. */
async function restartLedger(coffer, logDir) {
  const main = path.join(repo, 'services', 'ledger', 'dist', 'main.js');
  let onLeading;
  const leading = new Promise((resolve) => (onLeading = resolve));
  coffer.services.ledger = sys.startNode('ledger', main, {
    env: { ...coffer.env, LOG_LEVEL: 'info' },
    logDir,
    onLine: (line) => line.includes('"leading the ledger"') && onLeading(),
  });
  coffer.restartWatch();
  await coffer.guard.race(Promise.race([leading, sleep(120000)]));
}

/**
 * The projector must be at the head before rebuild, or the rebuild also measures its catch-up.
 * How fast it caught up after the fill is a figure of its own (events folded per second).
 */
async function waitForProjector(db, log, timeoutMs = 1800000) {
  const head = BigInt((await db.query('SELECT coalesce(max(global_position), -1)::text AS p FROM coffer_es.events')).rows[0].p);
  const read = async () => (await db.query('SELECT position::text AS p, events_projected::text AS n FROM coffer_read.checkpoint')).rows[0];
  const started = now();
  const first = await read();
  let last = first;
  let lastLog = 0;
  while (!last || BigInt(last.p) < head) {
    if (now() - started > timeoutMs) throw new Error('the projector did not catch up within 30 minutes');
    if (now() - lastLog > 15000) {
      log(`  waiting for the projector to reach the head of the store (${last ? last.n : 0} events projected)`);
      lastLog = now();
    }
    await sleep(500);
    last = await read();
  }
  const seconds = (now() - started) / 1000;
  const folded = Number(last.n) - Number(first?.n ?? 0);
  return { seconds: round(seconds, 1), events: folded, events_per_second: seconds > 1 ? Math.round(folded / seconds) : null };
}

/** Until the feed's stream holds every event of the store (or stops growing for 10 s). */
async function waitForFeed(coffer, db, log, timeoutMs = 1800000) {
  const events = Number((await db.query('SELECT count(*)::bigint AS n FROM coffer_es.events')).rows[0].n);
  const started = now();
  const first = (await sys.feedMessages(coffer.natsUrl, coffer.prefix)) ?? 0;
  let messages = first;
  let grewAt = now();
  let lastLog = 0;
  while (messages < events && now() - grewAt < 10000 && now() - started < timeoutMs) {
    if (now() - lastLog > 15000) {
      log(`  waiting for the analytics feed to publish the store (${messages} of ${events} events)`);
      lastLog = now();
    }
    await sleep(500);
    const next = (await sys.feedMessages(coffer.natsUrl, coffer.prefix)) ?? 0;
    if (next > messages) grewAt = now();
    messages = next;
  }
  const seconds = (now() - started) / 1000;
  return {
    seconds: round(seconds, 1),
    messages,
    events,
    events_per_second: seconds > 1 ? Math.round((messages - first) / seconds) : null,
  };
}

async function rebuild(coffer, { log, logDir, cpuSamplerFor }) {
  log('rebuild all');
  let pid = null;
  const cpu = await cpuSamplerFor(
    () => ({ rebuild: pid ? [pid] : [], projector: [coffer.services.projector.child.pid] }),
    [coffer.database],
  );
  const started = cpu.start();
  const result = await coffer.guard.race(runCli(['rebuild', 'all'], coffer.env, logDir, { onStart: (p) => (pid = p) }));
  await started;
  const usage = await cpu.stop();
  await cpu.close();
  delete usage.series;
  const match = /(\d+) events in ([\d.]+) s \((\d+) events\/s\)/.exec(result.output);
  const figures = match
    ? { events: Number(match[1]), seconds: Number(match[2]), events_per_second: Number(match[3]) }
    : { events: null, seconds: null, events_per_second: null };
  log(`rebuild: ${result.ok ? `${figures.events_per_second} events/s` : `FAILED: ${result.output}`}`);
  return { ok: result.ok && Boolean(match), ...figures, wall_seconds: result.seconds, output: result.output, cpu: usage };
}

/**
 * Stops the ledger and starts it again, timing spawn → 'leading the ledger' (what a failover or
 * a deploy costs), with the state-rebuild part ('ledger state rebuilt': ms, events replayed after
 * the snapshot) reported separately. Needs LOG_LEVEL=info: those lines are info.
 */
async function coldStarts(coffer, db, { log, logDir }) {
  const runs = [];
  const main = path.join(repo, 'services', 'ledger', 'dist', 'main.js');
  for (let i = 0; i < COLD_STARTS; i++) {
    coffer.guard.disarm();
    await sys.stopProcess(coffer.services.ledger);
    const snapshot = (await db.query(`SELECT revision::text AS r, length(state) AS bytes FROM coffer_ledger.snapshots ORDER BY revision DESC LIMIT 1`).catch(() => ({ rows: [] }))).rows[0];
    const stream = (await db.query(`SELECT revision::text AS r FROM coffer_es.streams WHERE stream LIKE 'ledger-%' ORDER BY revision DESC LIMIT 1`)).rows[0];
    let rebuilt = null;
    let leadingAt = null;
    let onLeading;
    const leading = new Promise((resolve) => (onLeading = resolve));
    const t0 = now();
    const entry = sys.startNode('ledger', main, {
      env: { ...coffer.env, LOG_LEVEL: 'info' },
      logDir,
      onLine: (line) => {
        let record;
        try {
          record = JSON.parse(line);
        } catch {
          return;
        }
        if (record.msg === 'ledger state rebuilt') rebuilt = { at: now(), ...record };
        if (record.msg === 'leading the ledger') {
          leadingAt = now();
          onLeading();
        }
      },
    });
    coffer.services.ledger = entry;
    coffer.restartWatch();
    await coffer.guard.race(Promise.race([leading, sleep(120000)]));
    if (leadingAt === null) throw new Error('the restarted ledger did not log "leading the ledger" within 120 s');
    const run = {
      ms: Math.round(leadingAt - t0),
      boot_ms: rebuilt ? Math.round(rebuilt.at - t0 - Number(rebuilt.ms)) : null, // node + Nest + NATS + lock, before the rebuild
      state_rebuilt_ms: rebuilt ? Number(rebuilt.ms) : null,
      replayed_events: rebuilt ? Number(rebuilt.replayed) : null,
      snapshot_revision: snapshot ? Number(snapshot.r) : null,
      snapshot_bytes: snapshot ? Number(snapshot.bytes) : null,
      stream_revision: stream ? Number(stream.r) : null,
    };
    log(`cold start ${i + 1}/${COLD_STARTS}: ${run.ms} ms (state rebuilt in ${run.state_rebuilt_ms} ms, ${run.replayed_events} events replayed after the snapshot)`);
    runs.push(run);
  }
  const stats = summarize(runs.map((run) => run.ms));
  return { runs, median_ms: stats.p50, max_ms: stats.max };
}

module.exports = { scalePhase, runCli };
