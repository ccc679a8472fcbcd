/**
 * The package as a game would install it: built (ESM and CommonJS), packed with npm, installed
 * into an empty project outside the workspace (so nothing of the server can be found), then
 * loaded both ways and type-checked by a consumer without Node's types.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

jest.setTimeout(120000);

const sdkRoot = path.resolve(__dirname, '..');
const repoRoot = path.resolve(sdkRoot, '../..');
const run = (command: string, args: string[], cwd: string) => execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

describe('the published package', () => {
  let project: string;

  beforeAll(() => {
    run('npm', ['run', 'build'], sdkRoot);
    project = mkdtempSync(path.join(tmpdir(), 'coffer-sdk-consumer-'));
    run('npm', ['pack', '--pack-destination', project], sdkRoot);
    const tarball = readdirSync(project).find((name) => name.endsWith('.tgz'));
    writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
    run('npm', ['install', '--no-audit', '--no-fund', '--offline', `./${tarball}`], project);
  });

  afterAll(() => {
    if (project) rmSync(project, { recursive: true, force: true });
  });

  const script = `
    const header = await sdk.webhookSignatureHeader('{"type":"t"}', 'secret', Math.floor(Date.now() / 1000));
    const delivery = await sdk.verifyWebhook('{"type":"t"}', header, 'secret');
    let refused = null;
    try { sdk.encodeAmount(1.5); } catch (e) { refused = e.name; }
    const coffer = new sdk.Coffer({ baseUrl: 'http://127.0.0.1:1', apiKey: 'k', retry: { maxAttempts: 1 } });
    let network = null;
    try { await coffer.balances.get(169015299834642432n); } catch (e) { network = [e instanceof sdk.CofferError, e.code]; }
    console.log(JSON.stringify({ exports: Object.keys(sdk).length, type: delivery.type, refused, network, namespaces: Object.keys(coffer).sort() }));
  `;
  const expected = {
    type: 't',
    refused: 'InvalidArgumentError',
    network: [true, 'NETWORK_ERROR'],
    namespaces: ['achievements', 'balances', 'events', 'leaderboards', 'sessions', 'statements', 'transactions', 'transfers', 'webhooks'],
  };

  it('loads with require and with import, the same API both ways, and nothing but its own files', () => {
    const cjs = JSON.parse(run('node', ['-e', `const sdk = require('@coffer/sdk'); (async () => { ${script} })()`], project));
    const esm = JSON.parse(run('node', ['--input-type=module', '-e', `import * as sdk from '@coffer/sdk'; ${script}`], project));
    expect(cjs).toMatchObject(expected);
    expect(esm).toEqual(cjs);
    // It installed nothing else: no dependency at all.
    const installed = run('npm', ['ls', '--all', '--parseable'], project).trim().split('\n').slice(1);
    expect(installed.map((dir) => path.relative(project, dir))).toEqual([path.join('node_modules', '@coffer', 'sdk')]);
  });

  it('finds Web Crypto in node:crypto where there is no global one (Node 18)', () => {
    const out = run('node', ['-e', `Object.defineProperty(globalThis, 'crypto', { value: undefined, configurable: true });
      const sdk = require('@coffer/sdk'); (async () => { ${script} })()`], project);
    expect(JSON.parse(out)).toMatchObject(expected);
  });

  it('type-checks in a consumer with neither DOM nor Node types (ESM and CommonJS), and with the DOM', () => {
    const tsc = path.join(repoRoot, 'node_modules/typescript/bin/tsc');
    const source = `
      import { Coffer, InsufficientFundsError, verifyWebhook, type Transaction } from '@coffer/sdk';
      export async function play(coffer: Coffer): Promise<string> {
        const session = await coffer.sessions.open({ description: 'round' });
        try {
          const bet: Transaction = await session.debit(169015299834642432n, 15n);
          await session.close();
          return bet.amount;
        } catch (error) {
          if (error instanceof InsufficientFundsError) return error.code + String(error.correlationId);
          throw error;
        }
      }
      export const check = (body: string, header: string) => verifyWebhook(body, header, 'secret', { toleranceSeconds: 60 });
    `;
    const withDom = `
      import { Coffer } from '@coffer/sdk';
      const coffer = new Coffer({ baseUrl: 'http://localhost:3000', apiKey: 'key', fetch });
      export const balance = coffer.balances.get('u', {}, { signal: new AbortController().signal });
    `;
    for (const [name, text, lib] of [
      ['esm.mts', source, ['es2020']],
      ['cjs.cts', source, ['es2020']],
      ['dom.mts', withDom, ['es2020', 'dom']],
    ] as const) {
      writeFileSync(path.join(project, name), text);
      const compilerOptions = { noEmit: true, strict: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2020', lib, types: [], skipLibCheck: false };
      writeFileSync(path.join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: [name] }));
      try {
        run(process.execPath, [tsc, '-p', '.'], project);
      } catch (error) {
        throw new Error(`${name}: ${(error as { stdout?: string }).stdout}`);
      }
    }
  });
});
