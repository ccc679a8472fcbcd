#!/usr/bin/env node
// `npm test`: builds the workspace (some tests run the built services as real processes), type-
// checks the tests (Jest runs them through swc, which strips types unchecked), then runs
// every test in one Jest run against PostgreSQL and NATS. Tests create and drop their own
// databases, NATS subjects and JetStream streams; servers this script had to start are stopped.
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const { ensureInfrastructure, stopStartedInfrastructure } = require('./infrastructure');

const root = path.resolve(__dirname, '..');

function run(command, args) {
  return spawnSync(command, args, { stdio: 'inherit', env: process.env, cwd: root }).status ?? 1;
}

async function main() {
  await ensureInfrastructure({ quiet: true, createDatabase: false });
  const tsc = require.resolve('typescript/bin/tsc');
  let status = run(process.execPath, [tsc, '-b', 'tsconfig.build.json']);
  if (status === 0) status = run(process.execPath, [tsc, '-p', 'tsconfig.tests.json']);
  // The console's browser code (DOM, JSX): its browser test bundles it with esbuild, which checks no types.
  if (status === 0) status = run(process.execPath, [tsc, '-p', 'services/console/tsconfig.json']);
  if (status !== 0) {
    console.error('build or type check failed: tests not run');
    process.stdout.write('\ntests: 0 passed, 1 failed\n');
  } else {
    // --forceExit: every suite closes what it opened, but one whose teardown timed out (a loaded
    // machine) can leave a socket open, and Jest would then wait for it forever instead of
    // reporting; the failure is reported either way.
    status = run(process.execPath, [require.resolve('jest/bin/jest'), '--maxWorkers=2', '--forceExit', ...process.argv.slice(2)]);
  }
  await stopStartedInfrastructure();
  process.exit(status);
}

main().catch(async (error) => {
  console.error(error.message);
  await stopStartedInfrastructure().catch(() => undefined);
  process.exit(1);
});
