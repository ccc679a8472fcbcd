#!/usr/bin/env node
// CPU per event of the projector process catching up on a fixed store: reading it, projecting
// the read models and publishing the analytics feed, before/after a change:
//   node bench/projector-cpu.js [commands=20000] [runs=2] [other-root ...]
//   RATE=1000 node bench/projector-cpu.js ...   (the live case: see live() below)
// Each root is a checkout of Coffer, built (npx tsc -b tsconfig.build.json); this one is measured
// as "this", each other root under its path (e.g. a `git archive main` of the previous version).
//
// 1. Fills a template database with `commands` posted transactions (credits and debits of one
//    app, a few grants first) through this checkout's own LedgerWriter in-process, as
//    bench/fill.js does: the events are what the ledger service writes.
// 2. For each run and root (alternating): copies the template into a fresh database, starts
//    `node <root>/services/projector/dist/main.js` on it with a NATS prefix of its own, and waits
//    until its read models' checkpoint reaches the store's head and its feed stream holds every
//    public event; then reads the process's CPU (utime + stime, /proc/<pid>/stat).
// 3. Subtracts the CPU the same process spends starting up on an empty store (its median over
//    runs) and prints µs of CPU per stored event.
// PROJECTOR_NODE_ARGS adds node options to the projectors (e.g. "--cpu-prof --cpu-prof-dir=/tmp/p").
// Databases and streams are dropped at the end. The machine's other load shows in the figures:
// compare roots within one run of the script.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { spawn, execSync } = require('node:child_process');
const { randomUUID, randomBytes } = require('node:crypto');
const { Client } = require('pg');
const { connect } = require('nats');

const repo = path.resolve(__dirname, '..');
const commands = Number(process.argv[2] ?? 20000);
const runs = Number(process.argv[3] ?? 2);
const roots = [repo, ...process.argv.slice(4).map((root) => path.resolve(root))];
const server = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
const natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const ticks = Number(execSync('getconf CLK_TCK').toString().trim());
const tag = randomBytes(4).toString('hex');
const databases = [];
const logger = { event: (level, msg, fields) => (level === 'error' ? console.error(JSON.stringify({ level, msg, ...fields })) : undefined) };

const urlOf = (name) => Object.assign(new URL(server), { pathname: `/${name}` }).toString();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function admin(sql) {
  const client = new Client({ connectionString: urlOf('postgres') });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

async function createDatabase(name, template) {
  await admin(`CREATE DATABASE "${name}"${template ? ` TEMPLATE "${template}"` : ''}`);
  databases.push(name);
  return urlOf(name);
}

/** The template: `commands` posted transactions written by the ledger's own writer. */
async function fill(databaseUrl, rate = 0) {
  const { LedgerWriter, DEFAULT_SNAPSHOT_EVERY } = require(path.join(repo, 'services/ledger/dist/writer/ledger-writer.js'));
  const { SnapshotStore } = require(path.join(repo, 'services/ledger/dist/writer/snapshot-store.js'));
  const { createEventStore } = require(path.join(repo, 'libs/event-store/dist/index.js'));
  const store = await createEventStore({ databaseUrl });
  const snapshots = new SnapshotStore(databaseUrl);
  const writer = new LedgerWriter(store, snapshots, logger, {
    realm: 'default',
    eventTimeoutSeconds: 60,
    instanceId: randomUUID(),
    snapshotEvery: DEFAULT_SNAPSHOT_EVERY,
    maxBatch: 1000,
    sweepIntervalMs: 100,
    clock: () => new Date(),
  });
  await writer.lead();
  const send = async (command, app = { app_id: null, key_id: null }) => {
    const id = randomUUID();
    const reply = await writer.command({ command, request_hash: null }, { correlation_id: id, command_id: id, ...app, deadline_epoch_ms: Date.now() + 30000 }, 'gateway');
    if (!reply.ok) throw new Error(`the writer refused ${command.type}: ${JSON.stringify(reply)}`);
    return reply.result.result;
  };
  const key_id = `key_${randomUUID()}`;
  const { app_id } = await send({ type: 'RegisterApp', data: { name: 'Bench', key_id, key_hash: randomUUID() } });
  const users = Array.from({ length: 100 }, (_, i) => `user${i}`);
  await Promise.all(users.map((user_id) => send({ type: 'Grant', data: { user_id, amount: '1000000', currency: 'coins', description: null } })));
  let next = 0;
  const started = Date.now();
  const worker = async () => {
    while (next < commands) {
      const i = next++;
      const due = rate > 0 ? started + (i * 1000) / rate : 0;
      if (due > Date.now()) await sleep(due - Date.now());
      const type = i % 3 === 0 ? 'debit' : 'credit';
      await send({ type: 'PostTransaction', data: { user_id: users[i % users.length], event_id: null, type, amount: '3', currency: 'coins', description: 'bench' } }, { app_id, key_id });
    }
  };
  await Promise.all(Array.from({ length: rate > 0 ? 64 : 500 }, worker));
  await writer.stepDown();
  const { isPublicEventType } = require(path.join(repo, 'libs/contracts/dist/index.js'));
  let stored = 0;
  let published = 0;
  let after;
  for (;;) {
    const page = await store.readAll({ after, maxCount: 5000 });
    if (page.length === 0) break;
    stored += page.length;
    published += page.filter((event) => isPublicEventType(event.type)).length;
    after = page[page.length - 1].globalPosition;
  }
  const head = after;
  await store.close();
  await snapshots.close();
  return { stored, published, head };
}

function cpuSeconds(pid) {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / ticks; // utime, stime (fields 14 and 15)
}

/**
 * Starts a root's projector on a database and runs `steps` with it: `waitFor(until)` polls
 * until(db, nc, stream) every 50 ms, `cpu()` reads the process's CPU seconds so far.
 */
async function withProjector(root, databaseUrl, steps) {
  const prefix = `bench_proj_${randomBytes(4).toString('hex')}`;
  const nodeArgs = (process.env.PROJECTOR_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, path.join(root, 'services/projector/dist/main.js')], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: databaseUrl, NATS_URL: natsUrl, COFFER_NATS_PREFIX: prefix, LOG_LEVEL: 'error' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const nc = await connect({ servers: natsUrl });
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  const stream = `${prefix.toUpperCase()}_EVENTS`;
  const waitFor = async (until) => {
    const deadline = Date.now() + 600_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`the projector of ${root} exited (${child.exitCode})`);
      if (await until(db, nc, stream)) return;
      if (Date.now() > deadline) throw new Error(`the projector of ${root} did not catch up`);
      await sleep(50);
    }
  };
  try {
    return await steps({ waitFor, cpu: () => cpuSeconds(child.pid) });
  } finally {
    child.kill('SIGTERM');
    await exited;
    await db.end();
    const jsm = await nc.jetstreamManager();
    await jsm.streams.delete(stream).catch(() => undefined);
    await nc.close();
  }
}

async function checkpoint(db) {
  try {
    const { rows } = await db.query(`SELECT active_generation FROM coffer_meta.read_models`);
    const checkpoint = await db.query(`SELECT position::text AS position FROM coffer_rm_${Number(rows[0].active_generation)}.checkpoint`);
    return BigInt(checkpoint.rows[0].position);
  } catch {
    return undefined;
  }
}

async function streamMessages(nc, stream) {
  try {
    return (await (await nc.jetstreamManager()).streams.info(stream)).state.messages;
  } catch {
    return -1;
  }
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

/** Started and idle: read models made, stream made, a second of waiting for events. */
function idle() {
  let readyAt;
  return async (db, nc, stream) => {
    if (readyAt === undefined && (await streamMessages(nc, stream)) === 0 && (await db.query(`SELECT to_regclass('coffer_meta.read_models') AS t`)).rows[0].t) readyAt = Date.now();
    return readyAt !== undefined && Date.now() - readyAt > 1000;
  };
}

const caughtUp = (head, published) => async (db, nc, stream) => {
  const at = await checkpoint(db);
  return at !== undefined && at >= head && (await streamMessages(nc, stream)) >= published;
};

/**
 * RATE=<commands/s>: the live case instead. Each projector starts on an empty store and, once
 * idle, follows the writer filling it at that rate (64 commands in flight); its CPU from then
 * until caught up is divided by the events written. No start-up to subtract.
 */
async function live(rate) {
  const figures = new Map(roots.map((root) => [root, []]));
  for (let run = 0; run < runs; run++) {
    for (const root of run % 2 === 0 ? roots : [...roots].reverse()) {
      const url = await createDatabase(`coffer_bench_projector_${tag}_${run}_${roots.indexOf(root)}`);
      const t0 = Date.now();
      const { cpu, stored } = await withProjector(root, url, async ({ waitFor, cpu }) => {
        await waitFor(idle());
        const before = cpu();
        const written = await fill(url, rate);
        await waitFor(caughtUp(written.head, written.published));
        return { cpu: cpu() - before, stored: written.stored };
      });
      figures.get(root).push((cpu * 1e6) / stored);
      console.log(`  run ${run + 1} ${root}: ${cpu.toFixed(2)} s CPU for ${stored} events in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }
  }
  console.log(`projector process following ${rate} commands/s, CPU per stored event, ${runs} runs:`);
  for (const [root, per] of figures) {
    console.log(`  ${root === repo ? 'this' : root}: ${median(per).toFixed(1)} µs/event (runs: ${per.map((v) => v.toFixed(1)).join(', ')})`);
  }
}

(async () => {
  if (Number(process.env.RATE ?? 0) > 0) return live(Number(process.env.RATE));
  const template = `coffer_bench_projector_${tag}`;
  const templateUrl = await createDatabase(template);
  const started = Date.now();
  const { stored, published, head } = await fill(templateUrl);
  console.log(`store: ${stored} events (${published} public), filled in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const figures = new Map(roots.map((root) => [root, { boot: [], total: [] }]));
  for (let run = 0; run < runs; run++) {
    for (const root of run % 2 === 0 ? roots : [...roots].reverse()) {
      const empty = await createDatabase(`coffer_bench_projector_${tag}_${run}_e${roots.indexOf(root)}`);
      const boot = await withProjector(root, empty, async ({ waitFor, cpu }) => (await waitFor(idle()), cpu()));
      const copy = await createDatabase(`coffer_bench_projector_${tag}_${run}_${roots.indexOf(root)}`, template);
      const t0 = Date.now();
      const total = await withProjector(root, copy, async ({ waitFor, cpu }) => (await waitFor(caughtUp(head, published)), cpu()));
      const seconds = (Date.now() - t0) / 1000;
      figures.get(root).boot.push(boot);
      figures.get(root).total.push(total);
      console.log(`  run ${run + 1} ${root}: ${total.toFixed(2)} s CPU in ${seconds.toFixed(1)} s (start-up ${boot.toFixed(2)} s)`);
    }
  }
  console.log(`projector process, CPU per stored event (start-up subtracted), ${runs} runs:`);
  for (const [root, { boot, total }] of figures) {
    const per = total.map((cpu) => ((cpu - median(boot)) * 1e6) / stored);
    console.log(`  ${root === repo ? 'this' : root}: ${median(per).toFixed(1)} µs/event (runs: ${per.map((v) => v.toFixed(1)).join(', ')})`);
  }
})()
  .catch((error) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(async () => {
    for (const name of databases.reverse()) await admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).catch(() => undefined);
  });
