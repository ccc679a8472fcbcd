#!/usr/bin/env node
// The ledger's memory of commands, measured on the built domain (npx tsc -b tsconfig.build.json first):
//   node --expose-gc bench/command-memory.js [records]
// heap per remembered keyed command, the snapshot with that many (size, time to write its lines),
// and decide+evolve per command (the writer's hot path without I/O), keyless and keyed.
const { randomBytes } = require('node:crypto');
const { decide } = require('../services/ledger/dist/domain/decide');
const { evolve } = require('../services/ledger/dist/domain/evolve');
const { LedgerState } = require('../services/ledger/dist/domain/state');
const { snapshotLines } = require('../services/ledger/dist/domain/snapshot');
const { commandTimes, MAX_REMEMBERED_COMMANDS } = require('../libs/decider/dist');

if (typeof global.gc !== 'function') throw new Error('run with node --expose-gc');
const records = Number(process.argv[2] ?? MAX_REMEMBERED_COMMANDS);
const state = new LedgerState(72 * 3_600_000);
let now = Date.parse('2026-01-01T00:00:00Z');
let n = 0;
let position = 10n ** 12n;

function run(command, overrides = {}) {
  const context = { now: new Date(now), eventTimeoutSeconds: 60, sender: 'gateway', app_id: null, key_id: null, command_id: `c${++n}`, request_hash: null, ...overrides };
  const decision = decide(command, state, context);
  if (decision.kind !== 'events') throw new Error(JSON.stringify(decision));
  const metadata = { command_id: context.command_id, request_hash: context.request_hash, ...commandTimes(now, now + 5000, context.request_hash !== null, 72 * 3_600_000) };
  for (const event of decision.events) evolve(state, { ...event, metadata, globalPosition: ++position });
}
const credit = (i) => ({ type: 'PostTransaction', data: { user_id: `user${i % 100}`, event_id: null, type: 'credit', amount: '15', currency: 'coins', description: 'win' } });
const app = { app_id: 'app_1', key_id: 'key_1' };
const hash = () => randomBytes(32).toString('hex');

run({ type: 'RegisterApp', data: { name: 'Game', key_id: 'key_1', key_hash: 'h' } });
for (let i = 0; i < 1000; i++) run(credit(i), app);
global.gc();
const before = process.memoryUsage().heapUsed;
for (let i = 0; i < records; i++) {
  now += 1;
  run(credit(i), { ...app, command_id: `app_1:${hash()}`, request_hash: hash() });
}
global.gc();
const after = process.memoryUsage().heapUsed;
console.log(`remembered keyed commands: ${state.memory.keyed.size}, ${((after - before) / records).toFixed(0)} bytes of heap each`);

let started = performance.now();
let bytes = 0;
let longestLineMs = 0;
let last = performance.now();
for (const line of snapshotLines(state)) {
  bytes += Buffer.byteLength(line) + 1;
  longestLineMs = Math.max(longestLineMs, performance.now() - last);
  last = performance.now();
}
console.log(`snapshot: ${(bytes / 1e6).toFixed(1)} MB in ${(performance.now() - started).toFixed(0)} ms, the longest line ${longestLineMs.toFixed(1)} ms (${(bytes / state.memory.keyed.size).toFixed(0)} bytes per record)`);

for (const keyed of [false, true]) {
  const commands = 100_000;
  const cpu = process.cpuUsage(); // CPU time, not wall time: the machine is shared
  for (let i = 0; i < commands; i++) {
    now += 1;
    run(credit(i), keyed ? { ...app, command_id: `k${n}`, request_hash: 'x'.repeat(64) } : app);
  }
  const used = process.cpuUsage(cpu);
  console.log(`decide+evolve, ${keyed ? 'keyed' : 'without a key'}: ${((used.user + used.system) / commands).toFixed(2)} µs of CPU per command`);
}
