#!/usr/bin/env node
// What keeping a record per posted transaction (for reversals) costs the ledger, measured on the
// built domain (npx tsc -b tsconfig.build.json first):
//   node --expose-gc bench/posted-memory.js [transactions] [users]
// heap per posted transaction's record, the snapshot pages they add (size, time to write), and
// decide+evolve of a reversal. Commands go without a key, so the command memory (bench/command-memory.js)
// stays out of the measure; each transaction's events are dropped after evolve, as the writer's are.
const { decide } = require('../services/ledger/dist/domain/decide');
const { evolve } = require('../services/ledger/dist/domain/evolve');
const { LedgerState } = require('../services/ledger/dist/domain/state');
const { snapshotLines } = require('../services/ledger/dist/domain/snapshot');

if (typeof global.gc !== 'function') throw new Error('run with node --expose-gc');
const transactions = Number(process.argv[2] ?? 1_000_000);
const users = Number(process.argv[3] ?? 10_000);
const state = new LedgerState(72 * 3_600_000);
let now = Date.parse('2026-01-01T00:00:00Z');
let n = 0;
let position = 10n ** 12n;

function run(command, overrides = {}) {
  const context = { now: new Date(now), eventTimeoutSeconds: 60, sender: 'gateway', app_id: 'app_1', key_id: 'key_1', command_id: `c${++n}`, request_hash: null, ...overrides };
  const decision = decide(command, state, context);
  if (decision.kind !== 'events') throw new Error(JSON.stringify(decision));
  // A deadline already behind the event clock: the command is forgotten at once, as unkeyed commands are after theirs.
  const metadata = { command_id: context.command_id, request_hash: null, decided_at_epoch_ms: now, deadline_epoch_ms: now, remembered_until_epoch_ms: now };
  for (const event of decision.events) evolve(state, { ...event, metadata, globalPosition: ++position });
}
// Snowflake-sized user ids (Discord's), as the store of a real community holds them.
const userOf = (i) => String(169015299834642432n + BigInt(i % users));
const credit = (i) => ({ type: 'PostTransaction', data: { user_id: userOf(i), event_id: null, type: 'credit', amount: String(10 + (i % 90)), currency: 'coins', description: 'win' } });

run({ type: 'RegisterApp', data: { name: 'Game', key_id: 'key_1', key_hash: 'h' } }, { app_id: null, key_id: null });
// Every user has a balance first: the record's cost is measured apart from the balances'.
for (let i = 0; i < users; i++) run(credit(i));
now += 10_000;
run(credit(0)); // the clock moves on: the commands above are forgotten
global.gc();
const before = process.memoryUsage().heapUsed;
const recordsBefore = state.postedTransactions.reversible.size;
for (let i = 0; i < transactions; i++) {
  now += 1;
  run(credit(i));
}
global.gc();
const after = process.memoryUsage().heapUsed;
const added = state.postedTransactions.reversible.size - recordsBefore;
console.log(`posted transactions: ${added} over ${users} users, remembered commands: ${state.memory.unkeyed.size + state.memory.keyed.size}`);
console.log(`heap per posted transaction (its record, the map entry, its reversible amount): ${((after - before) / added).toFixed(1)} bytes`);

let started = performance.now();
let bytes = 0;
let postedBytes = 0;
let longestLineMs = 0;
let last = performance.now();
for (const line of snapshotLines(state)) {
  bytes += Buffer.byteLength(line) + 1;
  if (line.startsWith('{"posted"')) postedBytes += Buffer.byteLength(line) + 1;
  longestLineMs = Math.max(longestLineMs, performance.now() - last);
  last = performance.now();
}
console.log(
  `snapshot: ${(bytes / 1e6).toFixed(1)} MB in ${(performance.now() - started).toFixed(0)} ms (posted pages ${(postedBytes / 1e6).toFixed(1)} MB, ` +
    `${(postedBytes / state.postedTransactions.reversible.size).toFixed(0)} bytes per posted transaction), the longest line ${longestLineMs.toFixed(1)} ms`,
);

const cpu = process.cpuUsage();
const reversals = 100_000;
for (let i = 0; i < reversals; i++) {
  now += 1;
  run({ type: 'ReverseTransaction', data: { transaction_id: users + 3 + i, amount: '1', description: null } });
}
const used = process.cpuUsage(cpu);
console.log(`decide+evolve of a reversal: ${((used.user + used.system) / reversals).toFixed(2)} µs of CPU each`);
