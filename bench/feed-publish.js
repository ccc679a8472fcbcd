#!/usr/bin/env node
// The analytics feed's publish path, old against new, on the real local NATS (npx tsc -b
// tsconfig.build.json first):
//   node bench/feed-publish.js [events=20000] [rounds=3] [batch=500]
// Publishes `events` feed-sized messages to a JetStream stream of its own, in pipelined batches
// as the feed does (message i expecting the stream's last sequence to be base + i, with the
// event id as Nats-Msg-Id), once per path and round, alternating the paths:
//   old  nats.js js.publish (nc.request: a timer per message and, settling each, a "Cancelled"
//        NatsError with its stack trace), on a connection with noAsyncTraces as the feed had;
//   new  JetStreamPublisher (services/projector/src/feed/jetstream-publisher.ts): plain
//        publishes answered on one reply subscription, PubAck JSON parsed by hand.
// Prints, per path, the median over rounds of this process's CPU per event (user + system, µs)
// and events/s. NATS's own CPU is not in it. Streams are made and deleted by the script.
'use strict';

const { randomUUID } = require('node:crypto');
const { connect } = require('nats');
const { JetStreamPublisher } = require('../services/projector/dist/feed/jetstream-publisher.js');

const events = Number(process.argv[2] ?? 20000);
const rounds = Number(process.argv[3] ?? 3);
const batchSize = Number(process.argv[4] ?? 500);
const natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const prefix = `bench_feed_${randomUUID().slice(0, 8)}`;
const stream = `${prefix.toUpperCase()}_EVENTS`;
const subject = `${prefix}.events.finance.TransactionPosted`;

/** A message the size and shape of a feed envelope of TransactionPosted. */
function envelope(i) {
  return new TextEncoder().encode(
    JSON.stringify({
      id: randomUUID(),
      type: 'TransactionPosted',
      stream: `ledger-default`,
      stream_position: String(i),
      global_position: String(1_000_000 + i),
      occurred_at: new Date().toISOString(),
      data: { transaction_id: randomUUID(), user_id: `user${i % 100}`, event_id: null, type: 'credit', amount: '15', currency: 'coins', description: 'win' },
      metadata: { schema_version: 1, correlation_id: randomUUID(), causation_id: randomUUID(), app_id: 'app_1', command_id: randomUUID() },
    }),
  );
}

const messages = Array.from({ length: events }, (_, i) => ({ subject, data: envelope(i), msgId: randomUUID() }));

async function oldPath(nc, batch, base) {
  const js = (oldPath.js ??= nc.jetstream());
  const settled = await Promise.allSettled(
    batch.map(({ subject: s, data, msgId }, i) => js.publish(s, data, { msgID: msgId, expect: { lastSequence: base + i }, timeout: 5000 })),
  );
  const failed = settled.find((result) => result.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((result) => result.value);
}

async function newPath(publisher, batch, base) {
  return publisher.publishBatch(batch, base, 5000);
}

async function run(name, publish) {
  const nc = await connect({ servers: natsUrl, noAsyncTraces: true });
  const jsm = await nc.jetstreamManager();
  await jsm.streams.add({ name: stream, subjects: [`${prefix}.events.>`] });
  const publisher = name === 'new' ? new JetStreamPublisher(nc) : undefined;
  oldPath.js = undefined;
  const ids = messages.map(() => randomUUID()); // fresh ids: no duplicate window hit between rounds
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  let last = 0;
  for (let i = 0; i < events; i += batchSize) {
    const batch = messages.slice(i, i + batchSize).map((message, j) => ({ ...message, msgId: ids[i + j] }));
    const acks = await publish(publisher ?? nc, batch, last);
    for (const ack of acks) if (ack.seq !== ++last) throw new Error(`out of step: ${ack.seq} for ${last}`);
  }
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  const used = process.cpuUsage(cpu);
  publisher?.close();
  await jsm.streams.delete(stream);
  await nc.close();
  return { cpuUsPerEvent: (used.user + used.system) / events, eventsPerSecond: (events * 1000) / wallMs };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

(async () => {
  const results = { old: [], new: [] };
  await run('new', newPath); // warm-up: JIT, connection, stream creation paths
  await run('old', oldPath);
  for (let round = 0; round < rounds; round++) {
    results.old.push(await run('old', oldPath));
    results.new.push(await run('new', newPath));
  }
  console.log(`feed publish path, ${events} events in batches of ${batchSize}, ${rounds} rounds (median), client process only:`);
  for (const [name, list] of Object.entries(results)) {
    const cpu = median(list.map((r) => r.cpuUsPerEvent));
    const rate = median(list.map((r) => r.eventsPerSecond));
    console.log(`  ${name.padEnd(4)} ${cpu.toFixed(1).padStart(6)} µs CPU/event  ${Math.round(rate).toString().padStart(7)} events/s   rounds: ${list.map((r) => r.cpuUsPerEvent.toFixed(1)).join(', ')}`);
  }
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
