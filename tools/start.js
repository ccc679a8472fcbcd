#!/usr/bin/env node
// `npm start`: PostgreSQL and NATS (started privately if nothing answers), a build of the workspace,
// then the five services with their log lines prefixed by name. Ctrl-C stops everything it started.
'use strict';

const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const readline = require('node:readline');
const { spawn } = require('node:child_process');
const { ensureInfrastructure, stopStartedInfrastructure } = require('./infrastructure');

const repo = path.resolve(__dirname, '..');
const SERVICES = ['gateway', 'ledger', 'achievements', 'projector', 'notifier'];
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;

const env = {
  ...process.env,
  DATABASE_URL: process.env.DATABASE_URL || 'postgres://127.0.0.1:5432/coffer',
  NATS_URL: process.env.NATS_URL || 'nats://127.0.0.1:4222',
  PORT: process.env.PORT || '3000',
};

const children = new Map(); // name -> ChildProcess, while it runs
let stopping = null; // the shutdown in progress, once one began
let stopRequested = false; // a signal arrived before the services were running

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Copies a stream line by line with a `[name]` prefix. */
function pipeWithPrefix(stream, out, name) {
  const prefix = `[${name}]`.padEnd(15);
  readline.createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => out.write(`${prefix}${line}\n`));
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

function startService(name) {
  const main = mainOf(name);
  // Own process group: the terminal's Ctrl-C reaches only us, and each service gets exactly one SIGTERM.
  const child = spawn(process.execPath, [main], { cwd: repo, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  pipeWithPrefix(child.stdout, process.stdout, name);
  pipeWithPrefix(child.stderr, process.stderr, name);
  children.set(name, child);
  child.on('exit', (code, signal) => {
    children.delete(name);
    if (stopping) return;
    console.error(`${name} exited unexpectedly (${signal || `code ${code}`}); stopping the others.`);
    shutdown(1);
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
  const running = [...children.values()];
  const exited = running.map((child) => new Promise((resolve) => child.once('exit', resolve)));
  for (const child of running) child.kill('SIGTERM');
  const timer = setTimeout(() => {
    for (const [name, child] of children) {
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
    for (const child of children.values()) child.kill('SIGKILL');
    return;
  }
  console.log(`\n${signal}: stopping Coffer...`);
  if (children.size > 0) shutdown(0);
  else stopRequested = true; // main() notices between its steps
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, onSignal);
// Whatever happens, never leave services running behind us.
process.on('exit', () => {
  for (const child of children.values()) child.kill('SIGKILL');
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
  for (const name of SERVICES) startService(name);

  if (await waitUntilReady(env.PORT)) {
    const base = `http://localhost:${env.PORT}`;
    console.log(`Coffer is up: API ${base}  docs ${base}/docs  metrics ${base}/metrics`);
  } else if (!stopping) {
    console.error(`http://127.0.0.1:${env.PORT}/ready did not answer 200 within ${READY_TIMEOUT_MS / 1000} s; stopping.`);
    shutdown(1);
  }
}

main().catch((error) => {
  console.error(error.message);
  shutdown(1);
});
