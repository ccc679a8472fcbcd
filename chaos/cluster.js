// The chaos run's own PostgreSQL and NATS (with JetStream): a fresh cluster and store in a temp
// dir, on free ports, never the shared servers other people use. Both can be stopped hard and
// started again on the same port and data (the faults), and everything is removed at the end.
'use strict';

const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');
const { Client } = require('pg');

// Debian's PostgreSQL 15 and nats-server 2.9, where this project's machines have them; else PATH.
const PG_BIN = findDir('initdb', ['/usr/lib/postgresql/15/bin']);
const NATS_SERVER = path.join(findDir('nats-server', ['/usr/sbin']), 'nats-server');
const DB_OS_USER = 'postgres'; // PostgreSQL refuses to run as root
const SERVER_START_TIMEOUT_MS = 60_000;
const PROBE_INTERVAL_MS = 25; // how finely "the server is back" is timed
const NATS_STOP_TIMEOUT_MS = 5_000;

function findDir(binary, preferred) {
  const dirs = [...preferred, ...(process.env.PATH || '').split(path.delimiter).filter(Boolean)];
  return dirs.find((dir) => fs.existsSync(path.join(dir, binary))) ?? preferred[0];
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const now = () => performance.timeOrigin + performance.now();
const isRoot = () => process.getuid?.() === 0;

/** A free TCP port on loopback (bound, then released). */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Runs a command to completion; as the database OS user when we are root. */
function run(cmd, args, { asDatabaseUser = false } = {}) {
  const [command, commandArgs] = asDatabaseUser && isRoot() ? ['runuser', ['-u', DB_OS_USER, '--', cmd, ...args]] : [cmd, args];
  return new Promise((resolve) => {
    const child = spawn(command, commandArgs, { cwd: '/', detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', (error) => resolve({ code: -1, output: `${output}${error.message}` }));
    child.on('close', (code) => resolve({ code: code ?? 1, output: output.trim() }));
  });
}

function tail(file, lines = 20) {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** True when a TCP connection to the port is accepted now. */
function accepts(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

class PrivatePostgres {
  constructor(dir, port) {
    this.dataDir = path.join(dir, 'postgres');
    this.socketDir = path.join(dir, 'sockets');
    this.logFile = path.join(dir, 'postgres.log');
    this.port = port;
    this.running = false;
    this.adminUrl = `postgres://${DB_OS_USER}@127.0.0.1:${port}/postgres`;
    this.databaseUrl = `postgres://${DB_OS_USER}@127.0.0.1:${port}/coffer`;
  }

  async init() {
    fs.mkdirSync(this.dataDir, { mode: 0o700 });
    fs.mkdirSync(this.socketDir, { mode: 0o755 });
    fs.writeFileSync(this.logFile, '');
    if (isRoot()) {
      const uid = Number(spawnSync('id', ['-u', DB_OS_USER], { encoding: 'utf8' }).stdout.trim());
      const gid = Number(spawnSync('id', ['-g', DB_OS_USER], { encoding: 'utf8' }).stdout.trim());
      if (!Number.isInteger(uid)) throw new Error(`running as root, but there is no "${DB_OS_USER}" OS user to run PostgreSQL as`);
      for (const p of [this.dataDir, this.socketDir, this.logFile]) fs.chownSync(p, uid, gid);
    }
    const result = await run(
      path.join(PG_BIN, 'initdb'),
      ['-D', this.dataDir, '-A', 'trust', '-U', DB_OS_USER, '--no-sync', '-E', 'UTF8', '--locale=C'],
      { asDatabaseUser: true },
    );
    if (result.code !== 0) throw new Error(`initdb failed:\n${result.output}`);
  }

  /** Starts the server; resolves with the time it first accepted a query. */
  async start() {
    const options = `-p ${this.port} -k ${this.socketDir} -c listen_addresses=127.0.0.1 -c max_connections=200`;
    const started = run(
      path.join(PG_BIN, 'pg_ctl'),
      ['-D', this.dataDir, '-o', options, '-l', this.logFile, '-t', String(SERVER_START_TIMEOUT_MS / 1000), 'start', '-w'],
      { asDatabaseUser: true },
    );
    this.running = true; // from here on, cleanup must stop it
    // pg_ctl polls every 100 ms; time "back" by our own finer probe.
    const back = this.firstAnswer(SERVER_START_TIMEOUT_MS);
    const result = await started;
    if (result.code !== 0) throw new Error(`pg_ctl start failed:\n${result.output}\n${tail(this.logFile)}`);
    const at = await back;
    if (at === null) throw new Error(`PostgreSQL did not answer within ${SERVER_START_TIMEOUT_MS / 1000} s\n${tail(this.logFile)}`);
    return at;
  }

  async firstAnswer(timeoutMs) {
    const deadline = now() + timeoutMs;
    while (now() < deadline) {
      const client = new Client({ connectionString: this.adminUrl, connectionTimeoutMillis: 1000 });
      client.on('error', () => {});
      try {
        await client.connect();
        await client.query('SELECT 1');
        return now();
      } catch {
        // not yet
      } finally {
        await client.end().catch(() => {});
      }
      await sleep(PROBE_INTERVAL_MS);
    }
    return null;
  }

  /** `pg_ctl stop -m immediate`: every backend is killed at once, as in a crash; recovery runs at the next start. */
  async stopImmediately() {
    const result = await run(path.join(PG_BIN, 'pg_ctl'), ['-D', this.dataDir, 'stop', '-m', 'immediate', '-w'], { asDatabaseUser: true });
    if (result.code !== 0) throw new Error(`pg_ctl stop -m immediate failed:\n${result.output}`);
    this.running = false;
  }

  async stop() {
    if (!this.running) return;
    const result = await run(path.join(PG_BIN, 'pg_ctl'), ['-D', this.dataDir, 'stop', '-m', 'fast', '-w', '-t', '20'], { asDatabaseUser: true });
    if (result.code !== 0) await this.stopImmediately().catch(() => {});
    this.running = false;
  }

  /** For process.on('exit'): no promises left, so synchronously. */
  stopNowSync() {
    if (!this.running) return;
    const args = ['-D', this.dataDir, 'stop', '-m', 'immediate', '-w'];
    const [cmd, cmdArgs] = isRoot() ? ['runuser', ['-u', DB_OS_USER, '--', path.join(PG_BIN, 'pg_ctl'), ...args]] : [path.join(PG_BIN, 'pg_ctl'), args];
    spawnSync(cmd, cmdArgs, { stdio: 'ignore' });
    this.running = false;
  }
}

class PrivateNats {
  constructor(dir, port) {
    this.storeDir = path.join(dir, 'nats');
    this.logFile = path.join(dir, 'nats.log');
    this.port = port;
    this.url = `nats://127.0.0.1:${port}`;
    this.child = null;
  }

  /** Starts nats-server with JetStream on the same port and store; resolves with the time it first accepted a connection. */
  async start() {
    fs.mkdirSync(this.storeDir, { recursive: true });
    const args = ['-a', '127.0.0.1', '-p', String(this.port), '-js', '-sd', this.storeDir, '-l', this.logFile];
    const child = spawn(NATS_SERVER, args, { cwd: '/', detached: true, stdio: 'ignore' });
    this.child = child;
    let exited = null;
    child.on('exit', (code, signal) => {
      exited = signal || `code ${code}`;
      if (this.child === child) this.child = null;
    });
    child.on('error', () => {});
    const deadline = now() + SERVER_START_TIMEOUT_MS;
    while (now() < deadline && !exited) {
      if (await accepts(this.port)) return now();
      await sleep(PROBE_INTERVAL_MS);
    }
    await this.stop('SIGKILL');
    throw new Error(`nats-server did not come up (${exited || 'no answer'}):\n${tail(this.logFile)}`);
  }

  /** SIGTERM (a restart) or SIGKILL; resolves once the process is gone. */
  async stop(signal = 'SIGTERM') {
    const child = this.child;
    if (!child) return;
    const gone = new Promise((resolve) => child.once('exit', resolve));
    try {
      child.kill(signal);
    } catch {}
    const timer = setTimeout(() => child.kill('SIGKILL'), NATS_STOP_TIMEOUT_MS);
    await gone;
    clearTimeout(timer);
  }

  stopNowSync() {
    try {
      this.child?.kill('SIGKILL');
    } catch {}
  }
}

/** A temp dir with a fresh PostgreSQL cluster and NATS store in it, both started. */
async function startCluster(log) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'coffer-chaos-'));
  fs.chmodSync(dir, 0o755); // the database OS user must reach its data dir inside
  const cluster = { dir, postgres: null, nats: null };
  cluster.postgres = new PrivatePostgres(dir, await freePort());
  cluster.nats = new PrivateNats(dir, await freePort());
  cluster.stop = () => stopCluster(cluster);
  cluster.stopNowSync = () => {
    cluster.nats?.stopNowSync();
    cluster.postgres?.stopNowSync();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await cluster.postgres.init();
    await cluster.postgres.start();
    log(`postgres: private cluster on 127.0.0.1:${cluster.postgres.port} (${dir})`);
    await cluster.nats.start();
    log(`nats: private nats-server with JetStream on 127.0.0.1:${cluster.nats.port}`);
  } catch (error) {
    await stopCluster(cluster);
    throw error;
  }
  return cluster;
}

async function stopCluster(cluster) {
  await cluster.nats?.stop().catch(() => {});
  await cluster.postgres?.stop().catch(() => {});
  fs.rmSync(cluster.dir, { recursive: true, force: true });
}

module.exports = { startCluster, freePort };
