// PostgreSQL clusters and nats-servers of our own, for whatever must not touch a shared server:
// `npm start`/`npm test` when nothing answers (tools/infrastructure.js), the tests that stop,
// kill or restart a server (@coffer/testing), and the fault campaign (chaos/). One way to find
// the binaries, to start, stop and kill them, everywhere. Plain JS: it runs before any build.
// Types for TypeScript callers: private-servers.d.ts beside it.
'use strict';

const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');
const { Client } = require('pg');

const SERVER_START_TIMEOUT_MS = 60_000; // a cold initdb'd cluster, or crash recovery after an immediate stop, on a loaded machine
const SERVER_STOP_TIMEOUT_MS = 20_000; // a fast stop that takes longer becomes an immediate one; a nats-server, SIGKILL
const COMMAND_TIMEOUT_MS = 120_000; // initdb, pg_ctl: a helper that hangs is killed
const PROBE_INTERVAL_MS = 25; // how finely "the server answers again" is timed (the chaos harness times recoveries by it)
const PROBE_TIMEOUT_MS = 1_000;
const LOG_TAIL_LINES_COUNT = 20;
/** PostgreSQL refuses to run as root: as root, its binaries run as this OS user. */
const DB_OS_USER = 'postgres';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const now = () => performance.timeOrigin + performance.now();
const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

// ---------------------------------------------------------------- finding the binaries

const pathDirs = () => (process.env.PATH || '').split(path.delimiter).filter(Boolean);

function isExecutable(file) {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** `name` in PATH, else in the given directories; null when nowhere. */
function findBinary(name, moreDirs = []) {
  for (const dir of [...pathDirs(), ...moreDirs]) {
    const file = path.join(dir, name);
    if (isExecutable(file)) return file;
  }
  return null;
}

const majorOf = (versionText) => {
  const match = /(\d+)/.exec(versionText || '');
  return match ? Number(match[1]) : null;
};

/**
 * initdb and pg_ctl from one directory: PATH, /usr/local/bin, then /usr/lib/postgresql/<newest>/bin
 * (Debian puts them only there). An existing cluster can only be started by binaries of its own
 * major version, so with `dataDir` holding one, those are preferred. Null when none is installed.
 */
function findPostgresBinaries(dataDir) {
  let versioned = [];
  try {
    versioned = fs
      .readdirSync('/usr/lib/postgresql')
      .filter((name) => /^\d+(\.\d+)?$/.test(name))
      .sort((a, b) => parseFloat(b) - parseFloat(a))
      .map((name) => path.join('/usr/lib/postgresql', name, 'bin'));
  } catch {
    // no Debian-style installation
  }
  const candidates = [];
  for (const dir of [...pathDirs(), '/usr/local/bin', ...versioned]) {
    const initdb = path.join(dir, 'initdb');
    const pgCtl = path.join(dir, 'pg_ctl');
    if (isExecutable(initdb) && isExecutable(pgCtl) && !candidates.some((c) => c.pgCtl === pgCtl)) candidates.push({ initdb, pgCtl });
  }
  if (candidates.length === 0) return null;
  const clusterMajor = dataDir ? majorOf(readIfExists(path.join(dataDir, 'PG_VERSION'))) : null;
  if (clusterMajor !== null) {
    const matching = candidates.find((c) => majorOf(spawnSync(c.pgCtl, ['--version'], { encoding: 'utf8' }).stdout?.replace(/^\D+/, '')) === clusterMajor);
    if (matching) return matching;
  }
  return candidates[0];
}

/** nats-server: PATH, then where Debian's package and a manual install put it. Null when none is installed. */
function findNatsServer() {
  return findBinary('nats-server', ['/usr/sbin', '/usr/local/bin', '/usr/bin']);
}

// ---------------------------------------------------------------- small helpers

/** A TCP port free on loopback right now (bound, then released). */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function readIfExists(file) {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return null;
  }
}

/** The last lines of a server's log, to say why it did not come up. */
function logTail(file) {
  const text = readIfExists(file);
  return text ? `\nlast lines of ${file}:\n${text.split('\n').slice(-LOG_TAIL_LINES_COUNT).join('\n')}` : '';
}

function osUserIds(name) {
  const uid = spawnSync('id', ['-u', name], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) return null;
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

function databaseUserIds() {
  const ids = osUserIds(DB_OS_USER);
  if (!ids) {
    throw new Error(
      `PostgreSQL refuses to run as root and there is no "${DB_OS_USER}" OS user to run it as: create one (useradd --system ${DB_OS_USER})`,
    );
  }
  return ids;
}

const shellQuote = (word) => `'${String(word).replace(/'/g, `'\\''`)}'`;

/** `cmd args` as the database OS user when we are root (initdb and postgres refuse root), else as it is. */
function asDatabaseUser(cmd, args) {
  if (!isRoot()) return [cmd, args];
  const runuser = findBinary('runuser', ['/usr/sbin', '/sbin', '/usr/bin', '/bin']);
  if (runuser) return [runuser, ['-u', DB_OS_USER, '--', cmd, ...args]];
  const su = findBinary('su', ['/usr/bin', '/bin']);
  if (su) return [su, [DB_OS_USER, '-s', '/bin/sh', '-c', [cmd, ...args].map(shellQuote).join(' ')]];
  throw new Error(`running as root, but neither runuser nor su is there to run PostgreSQL as the "${DB_OS_USER}" user`);
}

/**
 * Runs a command to completion as the database OS user, in its own process group (a Ctrl-C aimed
 * at us must not hit it: we stop what we started in order), killed after COMMAND_TIMEOUT_MS.
 */
function runAsDatabaseUser(cmd, args) {
  const [command, commandArgs] = asDatabaseUser(cmd, args);
  return new Promise((resolve) => {
    const child = spawn(command, commandArgs, { cwd: '/', detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const timer = setTimeout(() => {
      output += `\n(killed after ${COMMAND_TIMEOUT_MS / 1000} s)`;
      child.kill('SIGKILL');
    }, COMMAND_TIMEOUT_MS);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ code: -1, output: `${output}${error.message}` });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, output: output.trim() });
    });
  });
}

function runAsDatabaseUserSync(cmd, args) {
  const [command, commandArgs] = asDatabaseUser(cmd, args);
  return spawnSync(command, commandArgs, { stdio: 'ignore', timeout: COMMAND_TIMEOUT_MS });
}

/** Polls `probe` until it holds; the moment it first did, or null after `timeoutMs` or once `gaveUp()`. */
async function firstSuccess(probe, timeoutMs, gaveUp = () => false) {
  const deadline = now() + timeoutMs;
  while (now() < deadline && !gaveUp()) {
    if (await probe()) return now();
    await sleep(PROBE_INTERVAL_MS);
  }
  return null;
}

/** A temporary folder of a server's own, which its stop() removes; reachable by the database OS user when root. */
function temporaryFolder(label) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${label}-`));
  if (isRoot()) fs.chmodSync(dir, 0o755);
  return dir;
}

const hostInUrl = (host) => (host.includes(':') ? `[${host}]` : host);

// ---------------------------------------------------------------- PostgreSQL

/**
 * A PostgreSQL cluster of our own. Temporary by default: a fresh folder (data, log and socket)
 * and a free port, made by the first start() (initdb), removed by stop(). With `dataDir` it is
 * kept: initdb'd only when missing, never removed. Every method may be called at any time:
 * stop() waits for a start in progress, so nothing started is left running.
 */
class PrivatePostgres {
  /**
   * @param {object} [options]
   * @param {string} [options.label] prefix of the temporary folder (default coffer-pg)
   * @param {string} [options.dataDir] a cluster folder to keep (with logFile); default: a temporary folder's
   * @param {string} [options.logFile]
   * @param {string} [options.socketDir] default: the temporary folder, or the OS's temp dir
   * @param {string} [options.host] where it listens (default 127.0.0.1)
   * @param {number} [options.port] default: a free port, chosen at the first start
   * @param {Record<string, string|number>} [options.settings] server settings (-c name=value)
   */
  constructor({ label = 'coffer-pg', dataDir, logFile, socketDir, host = '127.0.0.1', port = null, settings = {} } = {}) {
    this.dir = dataDir ? null : temporaryFolder(label);
    this.dataDir = dataDir ?? path.join(this.dir, 'data');
    this.logFile = logFile ?? path.join(this.dir ?? path.dirname(this.dataDir), 'postgres.log');
    this.socketDir = socketDir ?? this.dir ?? os.tmpdir();
    this.host = host;
    this.port = port;
    this.settings = settings;
    this.binaries = null;
    this.created = false; // initdb ran for this object
    this.running = false; // from the moment a start begins until a stop is done
    this.starting = null;
    this.stopped = false; // for good: a start racing a cleanup must not bring it back
  }

  /** The URL of `database` on this cluster, as `user` (its superuser by default). */
  url(database, user = DB_OS_USER) {
    return `postgres://${encodeURIComponent(user)}@${hostInUrl(this.host)}:${this.port}/${encodeURIComponent(database)}`;
  }

  /** Starts the server (the first time: initdb when needed); resolves with the moment it first answered a query. */
  start() {
    this.starting = this.startOnce();
    return this.starting;
  }

  async startOnce() {
    if (this.stopped) throw new Error('this PostgreSQL was stopped for good');
    this.port ??= await freePort();
    this.binaries ??= findPostgresBinaries(this.dataDir);
    if (!this.binaries) {
      throw new Error('no PostgreSQL server binaries (initdb, pg_ctl) in PATH, /usr/local/bin or /usr/lib/postgresql/*/bin: install PostgreSQL');
    }
    if (!fs.existsSync(path.join(this.dataDir, 'PG_VERSION'))) await this.init();
    const settings = { listen_addresses: this.host, ...this.settings };
    const options = [`-p ${this.port}`, `-k ${this.socketDir}`, ...Object.entries(settings).map(([name, value]) => `-c ${name}=${value}`)].join(' ');
    this.running = true; // from here on, a stop must stop it
    const started = runAsDatabaseUser(this.binaries.pgCtl, ['-D', this.dataDir, '-o', options, '-l', this.logFile, '-t', String(SERVER_START_TIMEOUT_MS / 1000), '-w', 'start']);
    // pg_ctl polls every 100 ms: "back" is timed by our own finer probe.
    let done = false;
    const answered = firstSuccess(() => this.answers(), SERVER_START_TIMEOUT_MS, () => done);
    const result = await started;
    if (result.code !== 0) {
      done = true;
      throw new Error(`pg_ctl start failed:\n${result.output}${logTail(this.logFile)}`);
    }
    const at = await answered;
    if (at === null) throw new Error(`PostgreSQL did not answer within ${SERVER_START_TIMEOUT_MS / 1000} s${logTail(this.logFile)}`);
    return at;
  }

  async init() {
    const fresh = !fs.existsSync(this.dataDir);
    // A half-made folder (an interrupted initdb) is ours to throw away.
    if (!fresh) fs.rmSync(this.dataDir, { recursive: true, force: true });
    fs.mkdirSync(this.dataDir, { recursive: true, mode: 0o700 });
    if (!fs.existsSync(this.logFile)) fs.writeFileSync(this.logFile, '');
    if (isRoot()) {
      const { uid, gid } = databaseUserIds();
      for (const p of [this.dataDir, this.logFile, ...(this.dir ? [this.dir] : [])]) fs.chownSync(p, uid, gid);
      const probe = await runAsDatabaseUser('test', ['-w', this.dataDir]);
      if (probe.code !== 0) throw new Error(`the "${DB_OS_USER}" OS user cannot write ${this.dataDir}: check the permissions of its parent folders`);
    }
    const result = await runAsDatabaseUser(this.binaries.initdb, ['-D', this.dataDir, '-A', 'trust', '-U', DB_OS_USER, '--no-sync', '-E', 'UTF8', '--locale=C']);
    if (result.code !== 0) {
      fs.rmSync(this.dataDir, { recursive: true, force: true });
      throw new Error(`initdb failed for ${this.dataDir}:\n${result.output}`);
    }
    this.created = true;
  }

  /** True when this cluster answers a query now. */
  async answers() {
    // ssl: false, whatever PGSSLMODE the caller exported for its own servers: this one has no TLS.
    const client = new Client({ connectionString: this.url('postgres'), connectionTimeoutMillis: PROBE_TIMEOUT_MS, ssl: false });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.query('SELECT 1');
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => {});
    }
  }

  /** True when pg_ctl says a server runs from this data folder (started by anyone). */
  async isRunning() {
    const binaries = this.binaries ?? findPostgresBinaries(this.dataDir);
    if (!binaries || !fs.existsSync(path.join(this.dataDir, 'PG_VERSION'))) return false;
    return (await runAsDatabaseUser(binaries.pgCtl, ['-D', this.dataDir, 'status'])).code === 0;
  }

  /** `pg_ctl stop -m immediate`: every backend killed at once, as in a crash; recovery runs at the next start. */
  async stopImmediately() {
    await this.starting?.catch(() => {});
    const result = await this.pgCtlStop('immediate');
    if (result.code !== 0) throw new Error(`pg_ctl stop -m immediate failed:\n${result.output}`);
    this.running = false;
  }

  /** Stops it for good (fast, else immediate) and removes a temporary folder. */
  async stop() {
    this.stopped = true;
    await this.starting?.catch(() => {});
    if (this.running || fs.existsSync(path.join(this.dataDir, 'postmaster.pid'))) {
      if ((await this.pgCtlStop('fast')).code !== 0) await this.pgCtlStop('immediate');
    }
    this.running = false;
    if (this.dir) fs.rmSync(this.dir, { recursive: true, force: true });
  }

  /** For process.on('exit'), where nothing can be awaited: an immediate stop, synchronously. */
  stopNowSync() {
    this.stopped = true;
    if ((this.running || fs.existsSync(path.join(this.dataDir, 'postmaster.pid'))) && this.binaries) {
      runAsDatabaseUserSync(this.binaries.pgCtl, ['-D', this.dataDir, '-m', 'immediate', '-w', 'stop']);
    }
    this.running = false;
    if (this.dir) fs.rmSync(this.dir, { recursive: true, force: true });
  }

  pgCtlStop(mode) {
    if (!this.binaries) return Promise.resolve({ code: 0, output: '' }); // never started
    return runAsDatabaseUser(this.binaries.pgCtl, ['-D', this.dataDir, '-m', mode, '-w', '-t', String(SERVER_STOP_TIMEOUT_MS / 1000), 'stop']);
  }
}

// ---------------------------------------------------------------- NATS

/** True when a TCP connection to host:port is accepted now. */
function accepts(host, port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, host);
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(PROBE_TIMEOUT_MS, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * A nats-server of our own with JetStream. Temporary by default: a fresh store folder and a free
 * port, removed by stop(). With `storeDir` the store is kept; with `configFile` the server runs
 * that configuration (which names its port: pass the same `port`). It can be halted (SIGTERM) or
 * killed (SIGKILL) and started again on the same port and store.
 */
class PrivateNats {
  /**
   * @param {object} [options]
   * @param {string} [options.label] prefix of the temporary folder (default coffer-nats)
   * @param {string} [options.storeDir] a JetStream store to keep; default: a temporary folder's
   * @param {string} [options.logFile] default: none (nats-server logs to its stderr, ignored)
   * @param {string} [options.configFile] a nats.conf to run instead of command-line settings
   * @param {string} [options.host] where it listens (default 127.0.0.1)
   * @param {number} [options.port] default: a free port, chosen at the first start
   */
  constructor({ label = 'coffer-nats', storeDir, logFile, configFile, host = '127.0.0.1', port = null } = {}) {
    this.dir = storeDir ? null : temporaryFolder(label);
    this.storeDir = storeDir ?? path.join(this.dir, 'jetstream');
    this.logFile = logFile ?? (this.dir ? path.join(this.dir, 'nats.log') : null);
    this.configFile = configFile ?? null;
    this.host = host;
    this.port = port;
    this.child = null;
    this.stopped = false; // for good: a start racing a cleanup must not bring it back
  }

  get url() {
    return `nats://${hostInUrl(this.host)}:${this.port}`;
  }

  get pid() {
    return this.child?.pid ?? null;
  }

  /** Starts nats-server (again: on the same port and store); resolves with the moment it first accepted a connection. */
  async start() {
    this.port ??= await freePort();
    if (this.stopped) throw new Error('this nats-server was stopped for good');
    const binary = findNatsServer();
    if (!binary) throw new Error('no nats-server in PATH, /usr/sbin, /usr/local/bin or /usr/bin: install nats-server');
    fs.mkdirSync(this.storeDir, { recursive: true });
    const args = this.configFile
      ? ['-c', this.configFile, '-a', this.host]
      : ['-a', this.host, '-p', String(this.port), '-js', '-sd', this.storeDir];
    if (this.logFile) args.push('-l', this.logFile);
    // Own process group (a Ctrl-C aimed at us does not hit it), and it does not keep us alive.
    const child = spawn(binary, args, { cwd: '/', detached: true, stdio: 'ignore' });
    child.unref();
    this.child = child;
    let exited = null;
    child.on('exit', (code, signal) => (exited = signal || `code ${code}`));
    child.on('error', (error) => (exited = error.message));
    const at = await firstSuccess(() => accepts(this.host, this.port), SERVER_START_TIMEOUT_MS, () => exited !== null);
    if (at !== null && exited === null) return at;
    await this.kill();
    throw new Error(`nats-server did not come up on ${this.host}:${this.port} (${exited ?? `no answer within ${SERVER_START_TIMEOUT_MS / 1000} s`})${this.logFile ? logTail(this.logFile) : ''}`);
  }

  /** Sends `signal` and resolves once the process is gone (SIGKILL after SERVER_STOP_TIMEOUT_MS); at once when it is not running. */
  async halt(signal = 'SIGTERM') {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((resolve) => child.once('exit', resolve));
    child.ref(); // keep this process alive until the exit is seen
    try {
      child.kill(signal);
    } catch {}
    const timer = setTimeout(() => child.kill('SIGKILL'), SERVER_STOP_TIMEOUT_MS);
    await gone;
    clearTimeout(timer);
  }

  /** kill -9; resolves once it is gone. */
  kill() {
    return this.halt('SIGKILL');
  }

  /** Stops it for good and removes a temporary folder. */
  async stop() {
    this.stopped = true;
    await this.halt('SIGTERM');
    if (this.dir) fs.rmSync(this.dir, { recursive: true, force: true });
  }

  /** For process.on('exit'), where nothing can be awaited. */
  stopNowSync() {
    this.stopped = true;
    try {
      this.child?.kill('SIGKILL');
    } catch {}
    this.child = null;
    if (this.dir) fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

module.exports = { PrivatePostgres, PrivateNats, findPostgresBinaries, findNatsServer, freePort, DB_OS_USER };
