#!/usr/bin/env node
// Example analytics consumer: prints Coffer's domain events live from JetStream.
//   node tools/feed-consumer.js            every event from the start of the stream, then live
//   node tools/feed-consumer.js --new      only events published from now on
//   node tools/feed-consumer.js --filter 'coffer.events.ledger.TransactionPosted'
// Uses an ordered consumer: in order, no acks to manage, resumes by itself after NATS restarts.
// A durable consumer (jsm.consumers.add with durable_name) is what a real service would use.
// With NATS users (npm run coffer -- nats-config): NATS_URL=tls://analytics:<password>@host:4222
// and NATS_CA_FILE=<folder>/ca-cert.pem; the analytics user may read the feed and nothing else.
const { connect, DeliverPolicy, JSONCodec } = require('nats');
const { natsConnectionOptions } = require('../libs/platform/dist/nats-connection.js');

async function main() {
  const args = process.argv.slice(2);
  const prefix = process.env.COFFER_NATS_PREFIX || 'coffer';
  const stream = `${prefix.toUpperCase().replace(/-/g, '_')}_EVENTS`;
  const filterAt = args.indexOf('--filter');
  const nc = await connect(
    natsConnectionOptions({ natsUrl: process.env.NATS_URL || 'nats://127.0.0.1:4222', natsCaFile: process.env.NATS_CA_FILE || undefined }),
  );
  // Only what is asked for: nats.js starts an ordered consumer at sequence 1 by itself, and
  // nats-server 2.9 refuses deliver_policy `all` next to that start sequence (nothing was ever
  // delivered); the stream holds only the feed, so the whole of it needs no filter.
  const consumer = await nc.jetstream().consumers.get(stream, {
    ...(args.includes('--new') ? { deliver_policy: DeliverPolicy.New } : {}),
    ...(filterAt >= 0 ? { filterSubjects: args[filterAt + 1] } : {}),
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
