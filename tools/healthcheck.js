#!/usr/bin/env node
// Container health check of a backend service (ledger, achievements, projector):
//   node tools/healthcheck.js <service>          (or SERVICE=<service> node tools/healthcheck.js)
// Sends one NATS request on `<prefix>.health.<service>` in NestJS's NATS packet format and exits 0
// when a replica answers `{status: 'ok'}`, 1 otherwise (no answer, error reply, bad configuration).
// Reads NATS_URL (default nats://127.0.0.1:4222; a NATS user's password may be in it), NATS_CA_FILE
// and COFFER_NATS_PREFIX (default coffer). Health requests need no signature: they change nothing.
'use strict';

const { randomUUID } = require('node:crypto');
const { connect, JSONCodec } = require('nats');
// The services' own reading of NATS_URL (built code: the image and `npm start` have it).
const { natsConnectionOptions } = require('../libs/platform/dist/nats-connection.js');

const TIMEOUT_MS = 2000;

function fail(message) {
  process.stderr.write(`healthcheck: ${message}\n`);
  process.exit(1);
}

async function main() {
  const service = process.argv[2] || process.env.SERVICE;
  const prefix = process.env.COFFER_NATS_PREFIX || 'coffer';
  if (!service) fail('usage: node tools/healthcheck.js <service> (or set SERVICE)');
  const endpoint = natsConnectionOptions({
    natsUrl: process.env.NATS_URL || 'nats://127.0.0.1:4222',
    natsCaFile: process.env.NATS_CA_FILE || undefined,
  });

  const pattern = `health.${service}`;
  const subject = `${prefix}.${pattern}`;
  const codec = JSONCodec();
  const connection = await connect({
    ...endpoint,
    name: `coffer-healthcheck-${service}`,
    timeout: TIMEOUT_MS,
    reconnect: false,
    maxReconnectAttempts: 0,
  });
  try {
    const packet = {
      pattern,
      data: {
        meta: { correlation_id: 'healthcheck', command_id: 'healthcheck', app_id: null, key_id: null },
        body: null,
      },
      id: randomUUID(),
    };
    const message = await connection.request(subject, codec.encode(packet), { timeout: TIMEOUT_MS }).catch((error) => {
      if (error && error.code === '503') throw new Error(`no ${service} replica listens on ${subject}`);
      if (error && error.code === 'TIMEOUT') throw new Error(`no answer on ${subject} within ${TIMEOUT_MS} ms`);
      throw error;
    });
    const reply = codec.decode(message.data);
    if (reply && reply.err !== undefined && reply.err !== null) {
      throw new Error(`${subject} answered an error: ${JSON.stringify(reply.err)}`);
    }
    const status = reply && reply.response && reply.response.status;
    if (status !== 'ok') throw new Error(`${subject} answered ${JSON.stringify(reply)}`);
    process.stdout.write(`${JSON.stringify(reply.response)}\n`);
  } finally {
    await connection.close().catch(() => {});
  }
}

// A hard stop in case anything above hangs (a half-open TCP connection, say).
setTimeout(() => fail(`no answer within ${2 * TIMEOUT_MS + 1000} ms`), 2 * TIMEOUT_MS + 1000).unref();

main().then(
  () => process.exit(0),
  (error) => fail((error && (error.message || error.code)) || String(error)),
);
