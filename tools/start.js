#!/usr/bin/env node
// `npm start`: PostgreSQL and NATS (started privately if nothing answers), a build of the workspace,
// then the five services with their log lines prefixed by name, kept running (tools/supervisor.js:
// one that exits is started again, within a bound), and a summary of where things are once all
// is up. Ctrl-C stops everything it started. One realm, as always, unless COFFER_REALMS names
// several (`COFFER_REALMS=default,blue npm start`): then a ledger runs for each, `ledger-<realm>`.
'use strict';

const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const readline = require('node:readline');
const { spawn } = require('node:child_process');
const { ensureInfrastructure, stopStartedInfrastructure } = require('./infrastructure');
const { freePort } = require('./private-servers');
const { Supervisor, howItEnded } = require('./supervisor');
const { summary, ADMIN_TOKEN_LINE } = require('./start-summary');

const repo = path.resolve(__dirname, '..');
const SERVICES = ['gateway', 'ledger', 'achievements', 'projector', 'notifier'];
const metricsPorts = new Map(); // backend -> its metrics port
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;

const env = {
  ...process.env,
  DATABASE_URL: process.env.DATABASE_URL || 'postgres://127.0.0.1:5432/coffer',
  NATS_URL: process.env.NATS_URL || 'nats://127.0.0.1:4222',
  PORT: process.env.PORT || '3000',
};

const supervisor = new Supervisor({
  onGiveUp: (name, code, signal) => {
    console.error(`Coffer stopped because ${name} could not be kept running (it ended with ${howItEnded(code, signal)}); see its lines above.`);
    shutdown(1);
  },
});
let adminToken; // the token the gateway generated at this start, if it did (the summary repeats it)
let stopping = null; // the shutdown in progress, once one began
let stopRequested = false; // a signal arrived before the services were running

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Copies a stream line by line with a `[name]` prefix. */
function pipeWithPrefix(stream, out, name) {
  const prefix = `[${name}]`.padEnd(15);
  readline.createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
    out.write(`${prefix}${line}\n`);
    const token = name === 'gateway' && line.match(ADMIN_TOKEN_LINE);
    if (token) adminToken = token[1];
  });
}

function build() {
  return new Promise((resolve) => {
    const child = spawn('npx', ['nx', 'run-many', '-t', 'build', '--outputStyle=static'], {
      cwd: repo,
      stdio: 'inherit',
      env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true' },
    });
    child.on('error', (error) => resolve({ code: 1, error }));
    child.on('exit', (code, signal) => resolve({ code: code ?? 1, signal }));
  });
}

const mainOf = (name) => path.join(repo, 'services', name, 'dist', 'main.js');

/**
 * The processes to run: every service once, and the ledger once per realm when COFFER_REALMS names
 * several (each writes for its own; the gateway and the projector serve them all). Read after the
 * build, so the realm rule is the contracts' own.
 */
function processesOf(realmsSetting) {
  const { isRealm, REALM_MESSAGE } = require('@coffer/contracts');
  const realms = [...new Set((realmsSetting || '').split(',').map((realm) => realm.trim()).filter(Boolean))];
  const bad = realms.find((realm) => !isRealm(realm));
  if (bad !== undefined) throw new Error(`COFFER_REALMS: ${JSON.stringify(bad)}: ${REALM_MESSAGE}`);
  return SERVICES.flatMap((service) =>
    service === 'ledger' && realms.length > 1
      ? realms.map((realm) => ({ name: `ledger-${realm}`, service, env: { COFFER_REALM: realm } }))
      : [{ name: service, service, env: {} }],
  );
}

function startService({ name, service, env: own }) {
  supervisor.add(name, () => {
    // Own process group: the terminal's Ctrl-C reaches only us, and each service gets exactly one SIGTERM.
    const metrics = metricsPorts.has(name) ? { COFFER_METRICS_PORT: String(metricsPorts.get(name)) } : {};
    const child = spawn(process.execPath, [mainOf(service)], { cwd: repo, env: { ...env, ...own, ...metrics }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    pipeWithPrefix(child.stdout, process.stdout, name);
    pipeWithPrefix(child.stderr, process.stderr, name);
    return child;
  });
}

function readyOnce(port) {
  return new Promise((resolve) => {
    const request = http.get({ host: '127.0.0.1', port, path: '/ready', timeout: 2000 }, (response) => {
      response.resume();
      resolve(response.statusCode === 200);
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(false));
  });
}

async function waitUntilReady(port) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!stopping && Date.now() < deadline) {
    if (await readyOnce(port)) return true;
    await sleep(250);
  }
  return false;
}

async function stopChildren() {
  supervisor.stop();
  const running = supervisor.children().map(([, child]) => child);
  const exited = running.map((child) => new Promise((resolve) => child.once('exit', resolve)));
  for (const child of running) child.kill('SIGTERM');
  const timer = setTimeout(() => {
    for (const [name, child] of supervisor.children()) {
      console.error(`${name} did not stop within ${STOP_TIMEOUT_MS / 1000} s; killing it.`);
      child.kill('SIGKILL');
    }
  }, STOP_TIMEOUT_MS);
  await Promise.all(exited);
  clearTimeout(timer);
}

/** Stops the services, then the servers this process started, then exits. Runs once. */
function shutdown(code) {
  if (stopping) return stopping;
  stopping = (async () => {
    await stopChildren();
    await stopStartedInfrastructure().catch((error) => console.error(error.message));
    process.exit(code);
  })();
  return stopping;
}

function onSignal(signal) {
  if (stopping) {
    // A second Ctrl-C: don't wait for a graceful stop.
    for (const [, child] of supervisor.children()) child.kill('SIGKILL');
    return;
  }
  console.log(`\n${signal}: stopping Coffer...`);
  if (supervisor.children().length > 0) shutdown(0);
  else stopRequested = true; // main() notices between its steps
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, onSignal);
// Whatever happens, never leave services running behind us.
process.on('exit', () => {
  for (const [, child] of supervisor.children()) child.kill('SIGKILL');
});

async function main() {
  await ensureInfrastructure();
  if (stopRequested) return shutdown(0);

  const result = await build();
  if (stopRequested) return shutdown(0);
  if (result.code !== 0) {
    const why = result.error ? result.error.message : result.signal || `exit code ${result.code}`;
    console.error(`\nThe build failed (${why}); fix the errors above and run npm start again.`);
    return shutdown(1);
  }

  const missing = SERVICES.map(mainOf).filter((main) => !fs.existsSync(main));
  if (missing.length > 0) {
    console.error(`The build did not produce ${missing.map((main) => path.relative(repo, main)).join(', ')}.`);
    return shutdown(1);
  }
  const processes = processesOf(env.COFFER_REALMS);
  // The NATS services serve their own GET /metrics on COFFER_METRICS_PORT: each gets a free port here.
  for (const { name, service } of processes) if (service !== 'gateway') metricsPorts.set(name, await freePort());
  for (const each of processes) startService(each);

  if (await waitUntilReady(env.PORT)) {
    console.log(summary({ port: env.PORT, adminToken, adminTokenFromEnv: Boolean(env.COFFER_ADMIN_TOKEN), backendMetrics: [...metricsPorts] }));
  } else if (!stopping) {
    console.error(`http://127.0.0.1:${env.PORT}/ready did not answer 200 within ${READY_TIMEOUT_MS / 1000} s; stopping.`);
    shutdown(1);
  }
}

main().catch((error) => {
  console.error(error.message);
  shutdown(1);
});
