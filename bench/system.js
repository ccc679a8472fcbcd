// Everything the bench starts and must clean up: fresh databases, child processes, JetStream
// streams; plus per-process CPU accounting from /proc. Every resource is registered in `owned`
// the moment it exists, so cleanup() (on success, error or SIGINT) removes exactly what this run
// made and nothing else.
'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const readline = require('node:readline');
const { execFileSync, spawn } = require('node:child_process');
const { Client } = require('pg');

const repo = path.resolve(__dirname, '..');
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const now = () => performance.timeOrigin + performance.now(); // ms, comparable across processes

// ---------------------------------------------------------------- databases

/** DATABASE_URL (or the default) with a user, as libpq would pick it: pg needs it said. */
function serverUrl() {
  const url = new URL(process.env.DATABASE_URL || 'postgres://127.0.0.1:5432/postgres');
  if (!url.username) url.username = process.env.PGUSER || os.userInfo().username;
  return url;
}

function databaseUrl(name) {
  const url = serverUrl();
  url.pathname = `/${name}`;
  return url.toString();
}

async function withClient(connectionString, fn) {
  const client = new Client({ connectionString, connectionTimeoutMillis: 5000 });
  client.on('error', () => {});
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

const owned = { databases: new Set(), processes: new Map(), streams: [] };

async function createDatabase(name) {
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`bad database name ${name}`);
  await withClient(databaseUrl('postgres'), (c) => c.query(`CREATE DATABASE ${name}`));
  owned.databases.add(name);
  return databaseUrl(name);
}

async function dropDatabase(name) {
  // FORCE (PostgreSQL 13+) ends connections a killed child may have left behind.
  await withClient(databaseUrl('postgres'), (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  owned.databases.delete(name);
}

// ---------------------------------------------------------------- processes

/**
 * Starts `node <script>` in its own process group (a Ctrl-C aimed at the bench reaches only the
 * bench, which then stops its children in order). Lines of output go to `onLine` and to a log
 * file under bench/results/logs so a failed run can be read afterwards.
 */
function startNode(name, script, { env = {}, args = [], nodeArgs = [], logDir, onLine, ipc = false } = {}) {
  const stdio = ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'];
  const child = spawn(process.execPath, [...nodeArgs, script, ...args], {
    cwd: repo,
    env: { ...process.env, ...env },
    detached: true,
    stdio,
  });
  const log = logDir ? fs.createWriteStream(path.join(logDir, `${name}.log`), { flags: 'a' }) : null;
  for (const stream of [child.stdout, child.stderr]) {
    readline.createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
      log?.write(`${line}\n`);
      onLine?.(line);
    });
  }
  const entry = { name, child, startedAt: now(), exited: null };
  entry.exited = new Promise((resolve) =>
    child.on('exit', (code, signal) => {
      owned.processes.delete(child.pid);
      log?.end();
      resolve({ code, signal });
    }),
  );
  child.on('error', () => {});
  owned.processes.set(child.pid, entry);
  return entry;
}

/** SIGTERM, then SIGKILL after `graceMs`: resolves once the process is gone. */
async function stopProcess(entry, graceMs = 8000) {
  if (!owned.processes.has(entry.child.pid)) return entry.exited;
  try {
    entry.child.kill('SIGTERM');
  } catch {}
  const timer = setTimeout(() => {
    try {
      entry.child.kill('SIGKILL');
    } catch {}
  }, graceMs);
  const result = await entry.exited;
  clearTimeout(timer);
  return result;
}

async function httpReady(port, pathname = '/ready', timeoutMs = 60000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}${pathname}`, { signal: AbortSignal.timeout(2000) });
      if (response.status === 200) return true;
    } catch {}
    await sleep(200);
  }
  return false;
}

/** A free TCP port (bound then released; the tiny race is acceptable for a bench). */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = require('node:net').createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

// ---------------------------------------------------------------- NATS

async function deleteStreams(natsUrl, prefix) {
  const { connect } = require('nats');
  const nc = await connect({ servers: natsUrl.split(','), timeout: 3000 });
  try {
    const jsm = await nc.jetstreamManager();
    const upper = `${prefix.toUpperCase().replace(/-/g, '_')}_`;
    for await (const info of jsm.streams.list()) {
      if (info.config.name.startsWith(upper)) await jsm.streams.delete(info.config.name);
    }
  } finally {
    await nc.close();
  }
}

/** Messages in this run's analytics feed stream (`<PREFIX>_EVENTS`), or null if it has none yet. */
async function feedMessages(natsUrl, prefix) {
  const { connect } = require('nats');
  const nc = await connect({ servers: natsUrl.split(','), timeout: 3000 });
  try {
    const jsm = await nc.jetstreamManager();
    const info = await jsm.streams.info(`${prefix.toUpperCase().replace(/-/g, '_')}_EVENTS`).catch(() => null);
    return info ? info.state.messages : null;
  } finally {
    await nc.close();
  }
}

// ---------------------------------------------------------------- cleanup

let cleaning = null;

/** Stops every process this run started, drops its databases and streams. Runs once. */
function cleanup() {
  cleaning ??= (async () => {
    await Promise.all([...owned.processes.values()].map((entry) => stopProcess(entry, 5000)));
    for (const name of [...owned.databases]) {
      await dropDatabase(name).catch((error) => console.error(`bench: could not drop ${name}: ${error.message}`));
    }
    for (const { natsUrl, prefix } of owned.streams) {
      await deleteStreams(natsUrl, prefix).catch((error) =>
        console.error(`bench: could not delete the JetStream streams of ${prefix}: ${error.message}`),
      );
    }
  })();
  return cleaning;
}

/** Last resort when the bench itself dies: no child may outlive it. */
function killAllNow() {
  for (const entry of owned.processes.values()) {
    try {
      entry.child.kill('SIGKILL');
    } catch {}
  }
}

// ---------------------------------------------------------------- CPU

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

/** utime + stime of a process in seconds, or null when it is gone. */
function cpuSeconds(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses: fields start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return null;
  }
}

/** Busy and total CPU seconds of the whole machine (all cores), from /proc/stat. */
function machineSeconds() {
  const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0];
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = v[3] + (v[4] || 0);
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: (total - idle) / CLK_TCK, total: total / CLK_TCK };
}

/**
 * Samples CPU once a second. `groups()` returns {name: [pid, ...]} and is called on every tick
 * (PostgreSQL backends come and go). A pid's usage counts from the first tick it was seen, so a
 * group's figure is the CPU its members spent while this sampler watched. Per-second series feed
 * the chart; totals over [start, stop] feed the table, in cores (CPU seconds / wall seconds).
 */
class CpuSampler {
  constructor(groups, intervalMs = 1000) {
    this.groups = groups;
    this.intervalMs = intervalMs;
    this.last = new Map(); // pid -> seconds at the previous tick
    this.totals = {}; // group -> CPU seconds
    this.series = []; // [{t, cores: {group: cores}, machine_busy_cores}]
    this.timer = null;
  }

  async tick() {
    const t = now();
    const groups = await this.groups();
    const machine = machineSeconds();
    const wall = this.lastTick ? (t - this.lastTick) / 1000 : 0;
    const cores = {};
    for (const [group, pids] of Object.entries(groups)) {
      let delta = 0;
      for (const pid of pids) {
        const s = cpuSeconds(pid);
        if (s === null) continue;
        const before = this.last.get(pid);
        if (before !== undefined) delta += Math.max(0, s - before);
        this.last.set(pid, s);
      }
      this.totals[group] = (this.totals[group] || 0) + delta;
      if (wall > 0) cores[group] = delta / wall;
    }
    if (wall > 0) {
      this.series.push({
        t,
        cores,
        machine_busy_cores: (machine.busy - this.lastMachine.busy) / wall,
      });
    }
    this.lastTick = t;
    this.lastMachine = machine;
  }

  async start() {
    this.startedAt = now();
    this.startMachine = machineSeconds();
    await this.tick();
    this.timer = setInterval(() => this.tick().catch(() => {}), this.intervalMs);
  }

  /** Totals in cores over the sampled window, plus the machine's busy cores and what was not ours. */
  async stop() {
    clearInterval(this.timer);
    await this.tick().catch(() => {});
    const wall = (now() - this.startedAt) / 1000;
    const machine = machineSeconds();
    const cores = {};
    for (const [group, seconds] of Object.entries(this.totals)) cores[group] = round(seconds / wall, 3);
    const ours = Object.values(this.totals).reduce((a, b) => a + b, 0) / wall;
    const busy = (machine.busy - this.startMachine.busy) / wall;
    return {
      wall_seconds: round(wall, 2),
      cores,
      machine_cores: os.cpus().length,
      machine_busy_cores: round(busy, 3),
      not_ours_cores: round(Math.max(0, busy - ours), 3),
      series: this.series,
    };
  }
}

/**
 * PostgreSQL processes working for `databases`: their backends (pg_stat_activity) plus the
 * server's own background processes (WAL writer, checkpointer, ...), which every write pays for.
 * Backends of other databases (other people's tests on a shared server) are left out.
 */
function postgresPids(client, databases, exclude = []) {
  return client
    .query(
      `SELECT pid FROM pg_stat_activity
        WHERE datname = ANY($1) OR (datname IS NULL AND backend_type <> 'client backend')`,
      [databases],
    )
    // The bench's own monitoring connections (this one, the lag poller) are not the system's work.
    .then(({ rows }) => rows.map((row) => row.pid).filter((pid) => pid !== client.processID && !exclude.includes(pid)))
    .catch(() => []);
}

/** Pids whose command name is `comm` (e.g. the shared nats-server), from /proc. */
function pidsByName(comm) {
  const pids = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === comm) pids.push(Number(entry));
    } catch {}
  }
  return pids;
}

/**
 * Waits until the machine is quiet (other people's tests share it), at most `maxSeconds`.
 * Returns the busy cores seen last, so the report can say what ran beside the bench.
 */
async function waitForQuiet({ maxSeconds = 120, threshold = 0.3, log = () => {} } = {}) {
  const deadline = Date.now() + maxSeconds * 1000;
  let told = false;
  for (;;) {
    const before = machineSeconds();
    await sleep(2000);
    const after = machineSeconds();
    const busy = (after.busy - before.busy) / ((after.total - before.total) / os.cpus().length);
    if (busy <= threshold) return { busy_cores: round(busy, 2), waited: told };
    if (Date.now() > deadline) {
      log(`the machine is still busy (${busy.toFixed(2)} cores used by others): measuring anyway`);
      return { busy_cores: round(busy, 2), waited: told, gave_up: true };
    }
    if (!told) log(`waiting for the machine to be quiet (${busy.toFixed(2)} cores busy with other work)`);
    told = true;
  }
}

const round = (value, digits = 1) => (Number.isFinite(value) ? Number(value.toFixed(digits)) : null);

module.exports = {
  repo,
  sleep,
  now,
  round,
  serverUrl,
  databaseUrl,
  withClient,
  createDatabase,
  dropDatabase,
  startNode,
  stopProcess,
  httpReady,
  freePort,
  deleteStreams,
  feedMessages,
  owned,
  cleanup,
  killAllNow,
  cpuSeconds,
  CpuSampler,
  pidsByName,
  waitForQuiet,
  postgresPids,
};
