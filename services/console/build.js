#!/usr/bin/env node
// Bundles the console into dist/ (index.html, app.js, app.css) with esbuild: one script, one
// stylesheet, no inline code (the gateway's Content-Security-Policy allows none). `npm run build`
// runs it through nx; the browser test calls buildConsole() so `npm test` serves what it tests.
const esbuild = require('esbuild');
const fs = require('node:fs');
const path = require('node:path');

const root = __dirname;
const dist = path.join(root, 'dist');

async function buildConsole() {
  fs.mkdirSync(dist, { recursive: true });
  await esbuild.build({
    entryPoints: { app: path.join(root, 'src/main.tsx') },
    bundle: true,
    minify: true,
    sourcemap: true,
    format: 'esm',
    target: ['es2022'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    outdir: dist,
    logLevel: 'warning',
  });
  fs.copyFileSync(path.join(root, 'src/index.html'), path.join(dist, 'index.html'));
  return dist;
}

module.exports = { buildConsole };

if (require.main === module) {
  buildConsole().catch((error) => {
    console.error(error.message);
    process.exit(1);
  });
}
