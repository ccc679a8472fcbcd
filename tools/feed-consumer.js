#!/usr/bin/env node
// Example analytics consumer: prints Coffer's domain events live from JetStream.
//   node tools/feed-consumer.js            every event from the start of the stream, then live
//   node tools/feed-consumer.js --new      only events published from now on
//   node tools/feed-consumer.js --filter 'coffer.events.ledger.TransactionPosted'
// Uses an ordered consumer: in order, no acks to manage, resumes by itself after NATS restarts.
// A durable consumer (jsm.consumers.add with durable_name) is what a real service would use.
const { connect, DeliverPolicy, JSONCodec } = require('nats');

async function main() {
  const args = process.argv.slice(2);
  const prefix = process.env.COFFER_NATS_PREFIX || 'coffer';
  const stream = `${prefix.toUpperCase().replace(/-/g, '_')}_EVENTS`;
  const filterAt = args.indexOf('--filter');
  const nc = await connect({ servers: (process.env.NATS_URL || 'nats://127.0.0.1:4222').split(',') });
  const consumer = await nc.jetstream().consumers.get(stream, {
    deliver_policy: args.includes('--new') ? DeliverPolicy.New : DeliverPolicy.All,
    filterSubjects: filterAt >= 0 ? [args[filterAt + 1]] : [`${prefix}.events.>`],
  });
  const codec = JSONCodec();
  console.error(`listening on ${stream} (Ctrl-C to stop)`);
  process.on('SIGINT', () => nc.close().then(() => process.exit(0)));
  for await (const message of await consumer.consume()) {
    const event = codec.decode(message.data);
    console.log(`${event.global_position} ${message.subject} ${JSON.stringify(event.data)}`);
  }
}

main().catch((error) => {
  console.error(`feed-consumer: ${error.message}`);
  process.exit(1);
});
