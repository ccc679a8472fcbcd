#!/usr/bin/env node
// Example analytics consumer: prints Coffer's domain events live from JetStream, one line each:
//   <global_position> <subject> <data as JSON>
//   node tools/feed-consumer.js            every event from the start of the stream, then live
//   node tools/feed-consumer.js --new      only events published from now on
//   node tools/feed-consumer.js --filter 'coffer.events.ledger.TransactionPosted'   one subject (wildcards allowed)
// Stops on Ctrl-C (SIGINT) or SIGTERM. Needs nats-server 2.9 or later (Debian's is 2.9), with JetStream.
// Uses an ordered consumer: in order, no acks to manage, resumes by itself after NATS restarts.
// A durable consumer (jsm.consumers.add with durable_name) is what a real service would use, and
// it would keep the last global_position it handled to skip redeliveries (README, "Consuming the feed").
// With NATS users (npm run coffer -- nats-config): NATS_URL=tls://analytics:<password>@host:4222
// and NATS_CA_FILE=<folder>/ca-cert.pem; the analytics user may read the feed and nothing else.
// The subject prefix is COFFER_NATS_PREFIX (default `coffer`), the stream <PREFIX>_EVENTS.
const { connect, DeliverPolicy, JSONCodec } = require('nats');
const { natsConnectionOptions } = require('../libs/platform/dist/nats-connection.js');

/** The oldest nats-server whose JetStream serves what this tool asks for (ordered pull consumers). */
const MINIMUM_SERVER = [2, 9, 0];

function serverTooOld(version) {
  const parts = String(version).split(/[.-]/).slice(0, 3).map(Number);
  for (let i = 0; i < 3; i++) {
    if ((parts[i] || 0) !== MINIMUM_SERVER[i]) return (parts[i] || 0) < MINIMUM_SERVER[i];
  }
  return false;
}

function usage(message) {
  console.error(`feed-consumer: ${message}\nusage: node tools/feed-consumer.js [--new] [--filter <subject>]`);
  process.exit(2);
}

async function main() {
  const args = process.argv.slice(2);
  const filterAt = args.indexOf('--filter');
  const filter = filterAt >= 0 ? args[filterAt + 1] : undefined;
  if (filterAt >= 0 && (!filter || filter.startsWith('--'))) usage('--filter needs a subject');
  const unknown = args.filter((arg, i) => arg !== '--new' && arg !== '--filter' && !(filterAt >= 0 && i === filterAt + 1));
  if (unknown.length > 0) usage(`unknown argument ${unknown[0]}`);
  const prefix = process.env.COFFER_NATS_PREFIX || 'coffer';
  const stream = `${prefix.toUpperCase().replace(/-/g, '_')}_EVENTS`;
  const nc = await connect(
    natsConnectionOptions({ natsUrl: process.env.NATS_URL || 'nats://127.0.0.1:4222', natsCaFile: process.env.NATS_CA_FILE || undefined }),
  );
  const version = nc.info && nc.info.version;
  if (serverTooOld(version)) {
    await nc.close();
    throw new Error(`nats-server ${version} is too old: this tool needs ${MINIMUM_SERVER.join('.')} or later with JetStream`);
  }
  // Only what is asked for: nats.js starts an ordered consumer at sequence 1 by itself, and
  // nats-server 2.9 refuses deliver_policy `all` next to that start sequence (nothing was ever
  // delivered). One filter is passed as a string: as an array nats.js asks for
  // `filter_subjects`, which 2.9 does not know (it came in 2.10), and the consumer then waited
  // for ever. The stream holds only the feed, so the whole of it needs no filter.
  const consumer = await nc.jetstream().consumers.get(stream, {
    ...(args.includes('--new') ? { deliver_policy: DeliverPolicy.New } : {}),
    ...(filter !== undefined ? { filterSubjects: filter } : {}),
  });
  const messages = await consumer.consume();
  const codec = JSONCodec();
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    // The consumer is ephemeral: the server forgets it by itself once we are gone. Closing
    // cleanly is polite but must not keep the user waiting: a second at most.
    messages.stop();
    await Promise.race([nc.close().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 1000))]);
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  console.error(`listening on ${stream}${filter ? ` for ${filter}` : ''} (Ctrl-C to stop)`);
  for await (const message of messages) {
    const event = codec.decode(message.data);
    console.log(`${event.global_position} ${message.subject} ${JSON.stringify(event.data)}`);
  }
}

main().catch((error) => {
  console.error(`feed-consumer: ${error.message}`);
  process.exit(1);
});
