// Makes sure PostgreSQL and NATS (with JetStream) answer at DATABASE_URL and NATS_URL.
// A server that already answers is used as it is. When nothing answers on a local address, a private
// server is started from the binaries installed on the machine, with its data under <repo>/.data, and
// remembered so stopStartedInfrastructure() stops exactly what this process started (and nothing else).
'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Client } = require('pg');
const { connect } = require('nats');
const { PrivatePostgres, PrivateNats, findPostgresBinaries, findNatsServer, DB_OS_USER } = require('./private-servers');

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

// What this process started: { postgres: PrivatePostgres, nats: PrivateNats }.
const started = {};

// ---------------------------------------------------------------- small helpers

const rel = (p) => path.relative(repo, p) || '.';
const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

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

async function startPrivatePostgres(target) {
  if (!findPostgresBinaries(pgDataDir)) {
    throw new Error(
      `PostgreSQL is not reachable at ${hostLabel(target.host, target.port)} and no PostgreSQL server binaries ` +
        '(initdb, pg_ctl) were found to start a private one. Install PostgreSQL ' +
        '(Debian/Ubuntu: sudo apt-get install postgresql), or set DATABASE_URL to an existing server ' +
        '(for example DATABASE_URL=postgres://user@host:5432/coffer).',
    );
  }
  fs.mkdirSync(dataDir, { recursive: true });
  const listen = target.host === 'localhost' ? 'localhost' : target.host === '::1' ? '::1' : '127.0.0.1';
  const postgres = new PrivatePostgres({ dataDir: pgDataDir, logFile: pgLogFile, socketDir: '/tmp', host: listen, port: target.port });
  if (await postgres.isRunning()) {
    throw new Error(
      `A private PostgreSQL from ${rel(pgDataDir)} is already running but does not answer at ` +
        `${hostLabel(target.host, target.port)} (started for another port?). Stop it with ` +
        `\`${isRoot() ? `runuser -u ${DB_OS_USER} -- ` : ''}${findPostgresBinaries(pgDataDir).pgCtl} -D ${pgDataDir} stop\` ` +
        'or set DATABASE_URL to its address.',
    );
  }
  started.postgres = postgres;
  try {
    await postgres.start();
  } catch (error) {
    throw new Error(`Could not start the private PostgreSQL in ${rel(pgDataDir)} (or set DATABASE_URL to an existing server): ${error.message}`);
  }

  // The cluster's only role is "postgres"; give the role the URL (or the OS user) logs in as a superuser too.
  const roles = new Set([effectiveUser(target), os.userInfo().username]);
  roles.delete(DB_OS_USER);
  await withClient(postgres.url('postgres'), async (client) => {
    for (const role of roles) {
      const exists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
      if (exists.rowCount > 0) continue;
      await client.query(`CREATE ROLE "${role.replace(/"/g, '""')}" SUPERUSER LOGIN`).catch((error) => {
        if (error.code !== '42710') throw error; // duplicate_object: created concurrently
      });
    }
  });
  return postgres.created;
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

async function ensurePostgres(quiet, createDatabase) {
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

  // `npm test` only needs the server: every test creates and drops its own database, so it must
  // not leave the application's database behind on a machine that never ran `npm start`.
  if (!createDatabase) {
    if (!quiet) console.log(line);
    return;
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
  if (!findNatsServer()) {
    throw new Error(
      `NATS is not reachable at ${target.label} and no nats-server binary was found to start a private one. ` +
        "Install Debian's nats-server package (sudo apt-get install nats-server), or set NATS_URL to an " +
        'existing NATS server running with JetStream (-js).',
    );
  }
  const host = target.host === '::1' ? '::1' : '127.0.0.1';
  const nats = new PrivateNats({ storeDir: natsStoreDir, logFile: natsLogFile, host, port: target.port });
  started.nats = nats;
  try {
    await nats.start();
  } catch (error) {
    delete started.nats;
    throw new Error(`Could not start a private nats-server: ${error.message}`);
  }
  fs.writeFileSync(natsPidFile, `${nats.pid}\n`);
  const attempt = await natsConnection(target.options);
  if (attempt.nc) return attempt.nc;
  await stopNats();
  throw new Error(`The private nats-server on ${hostLabel(host, target.port)} accepts connections but refused ours: ${attempt.error.message}`);
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

async function ensureInfrastructure({ quiet = false, createDatabase = true } = {}) {
  await ensurePostgres(quiet, createDatabase);
  await ensureNats(quiet);
}

async function stopNats() {
  const nats = started.nats;
  if (!nats) return;
  delete started.nats;
  await nats.stop();
  fs.rmSync(natsPidFile, { force: true });
}

async function stopPostgres() {
  const postgres = started.postgres;
  if (!postgres) return;
  delete started.postgres;
  await postgres.stop().catch((error) => console.error(`postgres: could not stop the private server: ${error.message}`));
}

/** Stops only the servers this process started. */
async function stopStartedInfrastructure() {
  await stopNats();
  await stopPostgres();
}

module.exports = { ensureInfrastructure, stopStartedInfrastructure };
