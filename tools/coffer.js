#!/usr/bin/env node
// `npm run coffer -- <command>`: builds what is out of date, then runs the operations CLI.
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const build = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-b', 'tsconfig.build.json'], {
  cwd: root,
  stdio: 'inherit',
});
if (build.status !== 0) process.exit(build.status ?? 1);
require(path.join(root, 'services/projector/dist/cli/coffer.js'))
  .runCli(process.argv.slice(2))
  .then((code) => process.exit(code), (error) => {
    console.error(`coffer: ${error.message}`);
    process.exit(1);
  });
