#!/usr/bin/env node
// After tsc: marks the ES module build as such (its .js files sit under a package.json of
// "type": "module") and refuses a build that would load anything at run time besides its own
// files and, behind a check, node:crypto. The SDK must run in a game's process, in Deno or in
// Bun: a require of @coffer/contracts (or pg, nats, Nest) would drag the server in with it.
const fs = require('node:fs');
const path = require('node:path');

const dist = path.join(__dirname, '..', 'dist');
fs.writeFileSync(path.join(dist, 'esm', 'package.json'), '{ "type": "module" }\n');

const ALLOWED = new Set(['node:crypto']);
const SPECIFIER = /(?:\brequire\(\s*|\bimport\(\s*|\bfrom\s+|^\s*import\s+)["']([^"']+)["']/gm;
const problems = [];

function walk(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(file);
    else if (entry.name.endsWith('.js') || entry.name.endsWith('.d.ts')) check(file);
  }
}

function check(file) {
  const text = fs.readFileSync(file, 'utf8');
  for (const match of text.matchAll(SPECIFIER)) {
    const specifier = match[1];
    if (specifier.startsWith('./') || specifier.startsWith('../')) {
      if (file.includes(`${path.sep}esm${path.sep}`) && !specifier.endsWith('.js')) {
        problems.push(`${path.relative(dist, file)}: relative import without .js (Node's ESM loader needs it): ${specifier}`);
      }
    } else if (!ALLOWED.has(specifier)) {
      problems.push(`${path.relative(dist, file)}: loads ${specifier}`);
    }
  }
  if (file.endsWith('.d.ts') && /reference types="node"/.test(text)) problems.push(`${path.relative(dist, file)}: needs @types/node`);
}

walk(path.join(dist, 'cjs'));
walk(path.join(dist, 'esm'));
if (problems.length > 0) {
  console.error(`@coffer/sdk: the build depends on what it must not:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
