// Makes sure PostgreSQL and NATS (with JetStream) answer at DATABASE_URL and NATS_URL.
// A server that already answers is used as it is. When nothing answers on a local address, a private
// server is started from the binaries installed on the machine, with its data under <repo>/.data, and
// remembered so stopStartedInfrastructure() stops exactly what this process started (and nothing else).
'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');
const { Client } = require('pg');
const { connect } = require('nats');

const repo = path.resolve(__dirname, '..');
const dataDir = path.join(repo, '.data');
const pgDataDir = path.join(dataDir, 'postgres');
const pgLogFile = path.join(dataDir, 'postgres.log');
const natsStoreDir = path.join(dataDir, 'nats');
const natsLogFile = path.join(dataDir, 'nats.log');
const natsPidFile = path.join(dataDir, 'nats.pid');

const DEFAULT_DATABASE_URL = 'postgres://127.0.0.1:5432/coffer';
const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';
const LOCAL_HOSTS = new Set(['', 'localhost', '127.0.0.1', '::1']);
const DB_OS_USER = 'postgres'; // PostgreSQL refuses to run as root: the private cluster runs as this user then.

// What this process started: { postgres: { pgCtl }, nats: { pid, child } }.
const started = {};

// ---------------------------------------------------------------- small helpers

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
// A timeout that does not keep the process alive once the thing it races against is done.
const timeout = (ms) => new Promise((resolve) => setTimeout(resolve, ms).unref());
const rel = (p) => path.relative(repo, p) || '.';
const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

function isExecutable(file) {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function pathDirs() {
  return (process.env.PATH || '').split(path.delimiter).filter(Boolean);
}

/** Finds `name` in the given directories, first match wins. */
function findBinary(name, dirs) {
  for (const dir of dirs) {
    const file = path.join(dir, name);
    if (isExecutable(file)) return file;
  }
  return null;
}

/** Last lines of a log file, to explain why a server did not come up. */
function logTail(file, lines = 15) {
  try {
    const text = fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    return text ? `\nLast lines of ${rel(file)}:\n${text}` : '';
  } catch {
    return '';
  }
}

/** Runs a command to completion in its own process group (so a Ctrl-C aimed at us does not hit it). */
function run(cmd, args, options = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: '/', detached: true, stdio: ['ignore', 'pipe', 'pipe'], ...options });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', (error) => resolve({ code: -1, output: `${output}${error.message}` }));
    child.on('close', (code, signal) => resolve({ code: code ?? 1, signal, output: output.trim() }));
  });
}

function shellQuote(word) {
  return `'${String(word).replace(/'/g, `'\\''`)}'`;
}

function hostLabel(host, port) {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

// ---------------------------------------------------------------- PostgreSQL

function parseDatabaseUrl(databaseUrl) {
  let url;
  try {
    url = new URL(databaseUrl);
  } catch {
    throw new Error('DATABASE_URL is not a valid URL'); // not echoed: it may hold a password
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1') || 'localhost';
  const port = Number(url.port || 5432);
  const user = decodeURIComponent(url.username);
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  return { url, host, port, user, database };
}

/** The same URL pointing at another database (and optionally as another user). */
function withDatabase(url, database, user) {
  const copy = new URL(url.href);
  copy.pathname = `/${encodeURIComponent(database)}`;
  if (user !== undefined) {
    copy.username = encodeURIComponent(user);
    copy.password = '';
  }
  return copy.href;
}

/** The role pg logs in as when the URL names none: PGUSER, then USER. */
function effectiveUser(target) {
  return target.user || process.env.PGUSER || process.env.USER || os.userInfo().username;
}

async function withClient(connectionString, fn) {
  const client = new Client({ connectionString, connectionTimeoutMillis: 2000 });
  client.on('error', () => {}); // a dropped idle connection must not crash the process
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/** A PostgreSQL error (SQLSTATE) means a server answered; anything else (refused, timeout) means none did. */
const isServerError = (error) => typeof error.code === 'string' && /^[0-9A-Z]{5}$/.test(error.code);

async function postgresAnswers(maintenanceUrl) {
  try {
    await withClient(maintenanceUrl, (client) => client.query('SELECT 1'));
    return { ok: true };
  } catch (error) {
    return { ok: false, error };
  }
}

function majorOf(versionText) {
  const match = /(\d+)(?:\.\d+)?/.exec(versionText || '');
  return match ? Number(match[1]) : null;
}

/** Directories holding both initdb and pg_ctl: PATH, /usr/local/bin, then /usr/lib/postgresql/<newest>/bin. */
function findPostgresBinaries() {
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
    if (isExecutable(initdb) && isExecutable(pgCtl) && !candidates.some((c) => c.pgCtl === pgCtl)) {
      candidates.push({ initdb, pgCtl });
    }
  }
  if (candidates.length === 0) return null;
  // An existing cluster can only be started by binaries of its own major version.
  const clusterMajor = majorOf(readIfExists(path.join(pgDataDir, 'PG_VERSION')));
  if (clusterMajor !== null) {
    for (const candidate of candidates) {
      const version = spawnSync(candidate.pgCtl, ['--version'], { encoding: 'utf8' }).stdout;
      if (majorOf(version.replace(/^\D+/, '')) === clusterMajor) return candidate;
    }
  }
  return candidates[0];
}

function readIfExists(file) {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return null;
  }
}

function osUserIds(name) {
  const uid = spawnSync('id', ['-u', name], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) return null;
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/** Command line that runs `cmd args` as the database OS user when we are root (initdb and postgres refuse root). */
function asDatabaseUser(cmd, args) {
  if (!isRoot()) return [cmd, args];
  const runuser = findBinary('runuser', [...pathDirs(), '/usr/sbin', '/sbin', '/usr/bin', '/bin']);
  if (runuser) return [runuser, ['-u', DB_OS_USER, '--', cmd, ...args]];
  const su = findBinary('su', [...pathDirs(), '/usr/bin', '/bin']);
  if (su) return [su, [DB_OS_USER, '-s', '/bin/sh', '-c', [cmd, ...args].map(shellQuote).join(' ')]];
  throw new Error('Running as root, but neither runuser nor su is available to run PostgreSQL as the postgres user.');
}

function runAsDatabaseUser(cmd, args) {
  const [command, commandArgs] = asDatabaseUser(cmd, args);
  return run(command, commandArgs);
}

/** Creates <repo>/.data/postgres once (initdb), owned by the user the server will run as. */
async function createClusterIfMissing({ initdb }) {
  fs.mkdirSync(dataDir, { recursive: true });
  if (fs.existsSync(path.join(pgDataDir, 'PG_VERSION'))) return false;
  // A half-created folder (interrupted initdb) is ours to throw away.
  fs.rmSync(pgDataDir, { recursive: true, force: true });
  fs.mkdirSync(pgDataDir, { mode: 0o700 });
  if (isRoot()) {
    const ids = osUserIds(DB_OS_USER);
    if (!ids) {
      throw new Error(
        `PostgreSQL refuses to run as root and there is no "${DB_OS_USER}" OS user to run it as. ` +
          `Create one (sudo useradd --system ${DB_OS_USER}) or set DATABASE_URL to an existing server.`,
      );
    }
    fs.chmodSync(dataDir, 0o755);
    fs.chownSync(pgDataDir, ids.uid, ids.gid);
    const probe = await runAsDatabaseUser('test', ['-w', pgDataDir]);
    if (probe.code !== 0) {
      throw new Error(
        `The "${DB_OS_USER}" OS user cannot write ${pgDataDir} (check the permissions of its parent folders), ` +
          'or set DATABASE_URL to an existing server.',
      );
    }
  }
  const result = await runAsDatabaseUser(initdb, [
    '-D', pgDataDir, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale=C',
  ]);
  if (result.code !== 0) {
    fs.rmSync(pgDataDir, { recursive: true, force: true });
    throw new Error(`initdb failed for ${rel(pgDataDir)}:\n${result.output}`);
  }
  return true;
}

async function startPrivatePostgres(target) {
  const binaries = findPostgresBinaries();
  if (!binaries) {
    throw new Error(
      `PostgreSQL is not reachable at ${hostLabel(target.host, target.port)} and no PostgreSQL server binaries ` +
        '(initdb, pg_ctl) were found to start a private one. Install PostgreSQL ' +
        '(Debian/Ubuntu: sudo apt-get install postgresql), or set DATABASE_URL to an existing server ' +
        '(for example DATABASE_URL=postgres://user@host:5432/coffer).',
    );
  }
  const created = await createClusterIfMissing(binaries);

  const status = await runAsDatabaseUser(binaries.pgCtl, ['-D', pgDataDir, 'status']);
  if (status.code === 0) {
    throw new Error(
      `A private PostgreSQL from ${rel(pgDataDir)} is already running but does not answer at ` +
        `${hostLabel(target.host, target.port)} (started for another port?). Stop it with ` +
        `\`${isRoot() ? `runuser -u ${DB_OS_USER} -- ` : ''}${binaries.pgCtl} -D ${pgDataDir} stop\` ` +
        'or set DATABASE_URL to its address.',
    );
  }

  if (!fs.existsSync(pgLogFile)) fs.writeFileSync(pgLogFile, '');
  if (isRoot()) {
    const ids = osUserIds(DB_OS_USER);
    fs.chownSync(pgLogFile, ids.uid, ids.gid);
  }
  const listen = target.host === 'localhost' ? 'localhost' : target.host === '::1' ? '::1' : '127.0.0.1';
  const options = `-p ${target.port} -k /tmp -c listen_addresses=${listen}`;
  const result = await runAsDatabaseUser(binaries.pgCtl, [
    '-D', pgDataDir, '-o', options, '-l', pgLogFile, '-t', '60', 'start', '-w',
  ]);
  if (result.code !== 0) {
    throw new Error(`Could not start the private PostgreSQL in ${rel(pgDataDir)}:\n${result.output}${logTail(pgLogFile)}`);
  }
  started.postgres = { pgCtl: binaries.pgCtl };

  // The cluster's only role is "postgres"; give the role the URL (or the OS user) logs in as a superuser too.
  const roles = new Set([effectiveUser(target), os.userInfo().username]);
  roles.delete('postgres');
  const adminUrl = withDatabase(target.url, 'postgres', 'postgres');
  await withClient(adminUrl, async (client) => {
    for (const role of roles) {
      const exists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
      if (exists.rowCount > 0) continue;
      await client.query(`CREATE ROLE "${role.replace(/"/g, '""')}" SUPERUSER LOGIN`).catch((error) => {
        if (error.code !== '42710') throw error; // duplicate_object: created concurrently
      });
    }
  });
  return created;
}

async function ensureDatabase(target) {
  if (!target.database || target.database === 'postgres') return false;
  return withClient(withDatabase(target.url, 'postgres'), async (client) => {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [target.database]);
    if (found.rowCount > 0) return false;
    try {
      await client.query(`CREATE DATABASE "${target.database.replace(/"/g, '""')}"`);
      return true;
    } catch (error) {
      if (error.code === '42P04') return false; // duplicate_database: created concurrently
      throw error;
    }
  });
}

async function ensurePostgres(quiet) {
  const databaseUrl = process.env.DATABASE_URL || DEFAULT_DATABASE_URL;
  const target = parseDatabaseUrl(databaseUrl);
  const label = hostLabel(target.host, target.port);

  // pg logs in as $USER when the URL names no user; where USER is unset (containers, CI) use the OS user,
  // for this process and every process it starts.
  if (!target.user && !process.env.PGUSER && !process.env.USER) process.env.PGUSER = os.userInfo().username;

  let line;
  const probe = await postgresAnswers(withDatabase(target.url, 'postgres'));
  if (probe.ok) {
    line = `postgres: using ${label} (already running)`;
  } else if (isServerError(probe.error)) {
    throw new Error(`PostgreSQL at ${label} answered but refused the connection as "${effectiveUser(target)}": ${probe.error.message}`);
  } else if (!LOCAL_HOSTS.has(target.host)) {
    throw new Error(
      `PostgreSQL is not reachable at ${label} (${probe.error.message || probe.error.code}). ` +
        'Start it, or set DATABASE_URL to a running server.',
    );
  } else {
    const created = await startPrivatePostgres(target);
    line = `postgres: started private server in ${rel(pgDataDir)} on ${label}${created ? ' (new cluster)' : ''}`;
  }

  try {
    if (await ensureDatabase(target)) line += `, created database "${target.database}"`;
  } catch (error) {
    throw new Error(`Could not create database "${target.database}" on ${label}: ${error.message}`);
  }
  if (!quiet) console.log(line);
}

// ---------------------------------------------------------------- NATS

/**
 * Servers and what a probe needs to get in: a NATS user's credentials in the URL (nats.js ignores
 * them there, as libs/platform/src/nats-connection.ts explains), TLS for tls:// or NATS_CA_FILE.
 * `label` is the URL without its password, for messages.
 */
function parseNatsUrl(natsUrl) {
  let urls;
  try {
    urls = natsUrl.split(',').map((each) => new URL(each.trim().includes('://') ? each.trim() : `nats://${each.trim()}`));
  } catch {
    throw new Error('NATS_URL is not a valid URL'); // not echoed: it may hold a password
  }
  const [url] = urls;
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1';
  const options = { servers: urls.map((each) => `${each.protocol === 'tls:' ? 'tls' : 'nats'}://${each.host}`) };
  const withUser = urls.find((each) => each.username !== '');
  if (withUser) Object.assign(options, { user: decodeURIComponent(withUser.username), pass: decodeURIComponent(withUser.password) });
  const caFile = process.env.NATS_CA_FILE;
  if (caFile || urls.some((each) => each.protocol === 'tls:')) options.tls = caFile ? { caFile } : {};
  return { options, host, port: Number(url.port || 4222), label: options.servers.join(',') };
}

async function natsConnection(options, timeout = 2000) {
  try {
    return { nc: await connect({ ...options, timeout }) };
  } catch (error) {
    return { error };
  }
}

async function requireJetStream(nc, natsUrl) {
  try {
    const jsm = await nc.jetstreamManager();
    await jsm.getAccountInfo();
  } catch (error) {
    throw new Error(
      `The NATS server at ${natsUrl} must run with JetStream enabled (nats-server -js): ` +
        (error.message === '503' ? 'JetStream is not enabled (503)' : error.message),
    );
  } finally {
    await nc.close().catch(() => {});
  }
}

async function startPrivateNats(target) {
  const binary = findBinary('nats-server', [...pathDirs(), '/usr/sbin', '/usr/local/bin', '/usr/bin']);
  if (!binary) {
    throw new Error(
      `NATS is not reachable at ${target.label} and no nats-server binary was found to start a private one. ` +
        "Install Debian's nats-server package (sudo apt-get install nats-server), or set NATS_URL to an " +
        'existing NATS server running with JetStream (-js).',
    );
  }
  fs.mkdirSync(natsStoreDir, { recursive: true });
  const address = target.host === '::1' ? '::1' : '127.0.0.1';
  const args = ['-a', address, '-p', String(target.port), '-js', '-sd', natsStoreDir, '-l', natsLogFile];
  const child = spawn(binary, args, { cwd: repo, detached: true, stdio: 'ignore' });
  let exit = null;
  child.on('exit', (code, signal) => (exit = { code, signal }));
  child.on('error', (error) => (exit = { error }));
  child.unref();
  if (child.pid) fs.writeFileSync(natsPidFile, `${child.pid}\n`);
  started.nats = { pid: child.pid, child };

  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (exit) break;
    const attempt = await natsConnection(target.options, 1000);
    if (attempt.nc) return attempt.nc;
    await sleep(200);
  }
  await stopNats();
  const why = exit ? `it exited (${exit.error ? exit.error.message : exit.signal || `code ${exit.code}`})` : 'it did not answer within 10 s';
  throw new Error(`Could not start a private nats-server on ${hostLabel(address, target.port)}: ${why}.${logTail(natsLogFile)}`);
}

async function ensureNats(quiet) {
  const target = parseNatsUrl(process.env.NATS_URL || DEFAULT_NATS_URL);
  const label = hostLabel(target.host, target.port);

  const attempt = await natsConnection(target.options);
  let line;
  let nc = attempt.nc;
  if (nc) {
    line = `nats: using ${label} (already running)`;
  } else if (attempt.error.code !== 'CONNECTION_REFUSED' && attempt.error.code !== 'TIMEOUT') {
    throw new Error(`NATS at ${target.label} refused the connection: ${attempt.error.message}`);
  } else if (!LOCAL_HOSTS.has(target.host)) {
    throw new Error(`NATS is not reachable at ${target.label} (${attempt.error.code}). Start it, or set NATS_URL to a running server.`);
  } else {
    nc = await startPrivateNats(target);
    line = `nats: started private server in ${rel(natsStoreDir)} on ${label}`;
  }
  await requireJetStream(nc, target.label);
  if (!quiet) console.log(`${line}, JetStream on`);
}

// ---------------------------------------------------------------- public API

async function ensureInfrastructure({ quiet = false } = {}) {
  await ensurePostgres(quiet);
  await ensureNats(quiet);
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

async function stopNats() {
  const nats = started.nats;
  if (!nats) return;
  delete started.nats;
  const exited = nats.child.exitCode !== null || nats.child.signalCode !== null;
  if (!exited && nats.pid && isAlive(nats.pid)) {
    const gone = new Promise((resolve) => nats.child.once('exit', resolve));
    nats.child.ref(); // keep this process alive until the server's exit is seen
    process.kill(nats.pid, 'SIGTERM');
    const killed = await Promise.race([gone.then(() => true), timeout(5000).then(() => false)]);
    if (!killed && isAlive(nats.pid)) {
      process.kill(nats.pid, 'SIGKILL');
      await Promise.race([gone, timeout(2000)]);
    }
  }
  fs.rmSync(natsPidFile, { force: true });
}

async function stopPostgres() {
  const postgres = started.postgres;
  if (!postgres) return;
  delete started.postgres;
  const result = await runAsDatabaseUser(postgres.pgCtl, ['-D', pgDataDir, 'stop', '-m', 'fast', '-w']);
  if (result.code !== 0) console.error(`postgres: could not stop the private server: ${result.output}`);
}

/** Stops only the servers this process started. */
async function stopStartedInfrastructure() {
  await stopNats();
  await stopPostgres();
}

module.exports = { ensureInfrastructure, stopStartedInfrastructure };
