// `coffer verify` against the private database, and the proof that it and the balance check can
// fail: one wallet in the read models is corrupted on purpose at the end of the run, and both
// must report it.
'use strict';

const path = require('node:path');
const { spawn } = require('node:child_process');

const repo = path.resolve(__dirname, '..');
// The CLI's build output, not tools/coffer.js: that one rebuilds the workspace first, and the
// services under test run from the dist/ this run started with.
const CLI = path.join(repo, 'services', 'projector', 'dist', 'cli', 'coffer.js');
const VERIFY_TIMEOUT_MS = 120_000;
const now = () => performance.timeOrigin + performance.now();

/** {ok, code, ms, output}; a verify that does not finish in time is a failure too. */
function runVerify(env) {
  const started = now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, 'verify'], { cwd: repo, env: { ...env, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), VERIFY_TIMEOUT_MS);
    child.on('error', (error) => (output += error.message));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ ok: code === 0, code: code ?? signal, ms: Math.round(now() - started), output: output.trim() });
    });
  });
}

/**
 * Adds 1 to one wallet's posted balance in the serving read models (the view is updatable),
 * runs verify and the checker, and takes the 1 back. Both must see it.
 */
async function sabotageProof(ctx, check, readModels) {
  const target = ctx.model.users[0];
  const where = `account = 'user:${target}' AND currency = 'coins'`;
  await ctx.db.query(`UPDATE coffer_read.accounts SET posted = posted + 1 WHERE ${where}`);
  try {
    const verify = await runVerify(ctx.env);
    const observed = await readModels(ctx.db);
    const found = check(ctx.model, observed).anomalies.filter((a) => a.type === 'wrong').map((a) => a.detail);
    return {
      corrupted: `user:${target} coins posted + 1 in coffer_read.accounts`,
      verify_failed: !verify.ok,
      verify_output: verify.output.split('\n').slice(0, 4),
      checker_found: found.slice(0, 3),
      ok: !verify.ok && found.length > 0,
    };
  } finally {
    await ctx.db.query(`UPDATE coffer_read.accounts SET posted = posted - 1 WHERE ${where}`);
  }
}

module.exports = { runVerify, sabotageProof };
