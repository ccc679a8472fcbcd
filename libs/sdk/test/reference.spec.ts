/**
 * The SDK's reference (npm run docs:sdk, TypeDoc over libs/sdk/src/index.ts) builds from the
 * types as they are, with TypeDoc's warnings counted as errors (a public type that names one the
 * SDK does not export, a broken {@link}), and documents what a game uses first.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

jest.setTimeout(120000);

const REPOSITORY = path.resolve(__dirname, '../../..');

describe('the SDK reference (TypeDoc)', () => {
  it('builds without a warning and documents the client, sessions, errors and webhooks', async () => {
    const out = await mkdtemp(path.join(tmpdir(), 'coffer-sdk-docs-'));
    try {
      const typedoc = path.join(REPOSITORY, 'node_modules/typedoc/bin/typedoc');
      const run = await promisify(execFile)(process.execPath, [typedoc, '--options', 'libs/sdk/typedoc.json', '--out', out], {
        cwd: REPOSITORY,
        timeout: 110000,
        maxBuffer: 16 * 1024 * 1024,
      }).catch((error: { code?: number; stdout?: string; stderr?: string }) => ({ failed: error.code, stdout: error.stdout, stderr: error.stderr }));
      // TypeDoc's own words first, so a failure says what to fix (a new resource's constructor
      // taking the internal Transport wants the same @internal tag as the others).
      expect(run.stdout ?? '').not.toMatch(/warning|error/i);
      expect(run).not.toHaveProperty('failed');
      const classes = await readdir(path.join(out, 'classes'));
      expect(classes).toEqual(expect.arrayContaining(['Coffer.html', 'Session.html', 'InsufficientFundsError.html', 'MethodNotAllowedError.html']));
      expect(await readdir(path.join(out, 'functions'))).toEqual(expect.arrayContaining(['verifyWebhook.html']));
      // The SDK's README is the reference's front page.
      expect(await readFile(path.join(out, 'index.html'), 'utf8')).toContain('sessions.open');
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});
