/**
 * A gateway process started with a published placeholder as its admin token, or with a wrong
 * setting next to a password, refuses to start (exit 78) and says why without repeating a secret.
 */
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../../..');

function startGateway(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [join(ROOT, 'services/gateway/dist/main.js')], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.on('exit', (code) => done({ code, output }));
  });
}

describe('a gateway with secrets it must refuse', () => {
  it('exits 78 on the old compose default admin token, naming the problems and no secret', async () => {
    const { code, output } = await startGateway({
      COFFER_ADMIN_TOKEN: 'change-me-please-0123456789',
      DATABASE_URL: 'postgres://coffer:pg-secret-password@db:5432/coffer',
      NATS_URL: 'nats://gateway:nats-secret-password@nats:4222',
      PORT: 'eighty',
    });
    expect(code).toBe(78);
    const line = JSON.parse(output.trim().split('\n').pop()!);
    expect(line).toMatchObject({ level: 'error', msg: 'refusing to start: invalid configuration' });
    expect(line.problems).toEqual([
      'PORT must be an integer from 1 to 65535 (got "eighty")',
      'COFFER_ADMIN_TOKEN is a published example or a placeholder: choose your own (openssl rand -base64 32)',
    ]);
    for (const secret of ['change-me-please', 'pg-secret-password', 'nats-secret-password']) expect(output).not.toContain(secret);
  });
});
