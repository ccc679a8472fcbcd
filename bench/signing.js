#!/usr/bin/env node
// What a request's signature costs on the hot path (gateway → NATS → ledger), per request:
//   node bench/signing.js [iterations]      (after a build: it loads libs/platform/dist)
// The sender's part: sign the packet and encode the header as nats.js puts it on the wire. The
// receiver's part: decode the header, check the MAC, the deadline and parse the packet once (the
// parse replaces the one Nest did; it is timed apart, to show what is new).
'use strict';

const { randomUUID } = require('node:crypto');
const { MsgHdrsImpl } = require('nats/lib/nats-base-client/headers');
const { ServiceKeyring, admitRequest, generateServiceKey, SIGNATURE_HEADER } = require('../libs/platform/dist');

const iterations = Number(process.argv[2] || 200_000);
const keys = new ServiceKeyring([generateServiceKey()]);
const subject = 'coffer.ledger.default.commands';
const packet = () =>
  Buffer.from(
    JSON.stringify({
      pattern: 'ledger.{realm}.commands',
      data: {
        meta: { correlation_id: randomUUID(), command_id: `app_1:${randomUUID()}`, app_id: 'app_1', key_id: `key_${randomUUID()}`, deadline_epoch_ms: Date.now() + 5000 },
        body: {
          command: { type: 'PostTransaction', data: { user_id: '169015299834642432', event_id: 42, type: 'debit', amount: '15', currency: 'coins', description: 'round 7' } },
          request_hash: 'f'.repeat(64),
        },
      },
      id: randomUUID(),
    }),
  );

function time(label, run) {
  for (let i = 0; i < 20_000; i++) run(i); // warm up
  const started = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) run(i);
  const perOpUs = Number(process.hrtime.bigint() - started) / iterations / 1000;
  console.log(`${label.padEnd(58)} ${perOpUs.toFixed(2)} µs`);
  return perOpUs;
}

const payloads = Array.from({ length: 1024 }, packet);
console.log(`payload ${payloads[0].length} bytes, ${iterations} iterations, node ${process.version}`);
const signed = payloads.map((data) => keys.signedHeaders('gateway', subject, data).encode());
const sign = time('sender: sign + header on the wire', (i) => keys.signedHeaders('gateway', subject, payloads[i & 1023]).encode());
const now = Date.now();
const admit = time('receiver: header decode + MAC + deadline + JSON.parse', (i) => {
  const headers = MsgHdrsImpl.decode(signed[i & 1023]);
  if (!admitRequest(keys, subject, payloads[i & 1023], headers.get(SIGNATURE_HEADER), now).ok) throw new Error('refused');
});
const parse = time('  of which JSON.parse (Nest parsed every request before)', (i) => JSON.parse(payloads[i & 1023].toString('utf8')));
console.log(`${'added per request (sender + receiver, parse excluded)'.padEnd(58)} ${(sign + admit - parse).toFixed(2)} µs`);
