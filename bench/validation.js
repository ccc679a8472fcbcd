#!/usr/bin/env node
// What validating one request body costs the gateway, old pipe against compiled pipe:
//   node bench/validation.js [iterations]     (after a build: it loads services/gateway/dist)
// The old pipe is Nest's ValidationPipe with validateSync (class-transformer's plainToInstance,
// then class-validator's ValidationExecutor); the compiled one runs the plan compiled once per
// DTO class from the same decorators (services/gateway/src/http/validation). Both get bodies
// as the gateway's JSON parser reads them (parsing is not timed) and are awaited, as Nest's
// pipes consumer awaits them. A refused body is timed too: refusals build their errors.
'use strict';

require('reflect-metadata');
const { PostTransactionDto, TransferDto } = require('@coffer/contracts/http');
const { gatewayValidationPipe, referenceValidationPipe } = require('../services/gateway/dist/http/validation-pipe');
const { parseJsonBody } = require('../services/gateway/dist/http/lossless-json');

const iterations = Number(process.argv[2] || 100_000);

const bodies = {
  PostTransactionDto: (i) => ({ user_id: String(169015299834642432n + BigInt(i)), event_id: 42 + i, type: 'debit', amount: 15 + i, currency: 'coins', description: `round ${i}` }),
  TransferDto: (i) => ({ from_user_id: String(169015299834642432n + BigInt(i)), to_user_id: '80351110224678912', amount: String(15 + i), currency: 'coins', description: 'split the pot' }),
};
const refused = { user_id: 'a b', type: 'refund', amount: 0, status: 'posted' };

async function time(label, pipe, dto, inputs) {
  const metadata = { type: 'body', metatype: dto, data: undefined };
  const run = async (i) => {
    try {
      await pipe.transform(inputs[i & 1023], metadata);
    } catch {
      // a refusal is the outcome timed
    }
  };
  for (let i = 0; i < 20_000; i++) await run(i); // warm up
  const started = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) await run(i);
  const perCallUs = Number(process.hrtime.bigint() - started) / iterations / 1000;
  console.log(`${label.padEnd(52)} ${perCallUs.toFixed(2)} µs`);
  return perCallUs;
}

async function main() {
  console.log(`${iterations} iterations, node ${process.version}`);
  const pipes = { old: referenceValidationPipe(), compiled: gatewayValidationPipe() };
  for (const [name, dto] of [['PostTransactionDto', PostTransactionDto], ['TransferDto', TransferDto]]) {
    const valid = Array.from({ length: 1024 }, (_, i) => parseJsonBody(JSON.stringify(bodies[name](i))));
    const invalid = Array.from({ length: 1024 }, () => parseJsonBody(JSON.stringify(refused)));
    const old = await time(`${name}, valid: old pipe`, pipes.old, dto, valid);
    const compiled = await time(`${name}, valid: compiled pipe`, pipes.compiled, dto, valid);
    console.log(`${`${name}, valid: saved per body`.padEnd(52)} ${(old - compiled).toFixed(2)} µs (${(old / compiled).toFixed(1)}×)`);
    if (name === 'PostTransactionDto') {
      await time(`${name}, refused: old pipe`, pipes.old, dto, invalid);
      await time(`${name}, refused: compiled pipe`, pipes.compiled, dto, invalid);
    }
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
