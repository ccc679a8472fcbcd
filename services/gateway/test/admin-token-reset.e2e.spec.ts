/**
 * The bootstrap admin token as an operator meets it, with the built gateway as a process: the
 * first start prints it (in the line npm start's summary picks up), a later start prints none and
 * the first one still holds, and `coffer admin-token reset` prints a new one which every running
 * gateway takes, refusing the old one, without a restart.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createTestDatabase, freePort, testNatsPrefix, testNatsUrl, type TestDatabase } from '@coffer/testing';
import { ADMIN_TOKEN_LINE } from '../../../tools/start-summary';
import { assertBuilt, ROOT, Service, waitFor } from './processes';

jest.setTimeout(120000);

/** Long enough for a loaded machine; the gateways re-read the token every 5 s. */
const WAIT_MS = 30000;

function coffer(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [join(ROOT, 'services/projector/dist/cli/coffer.js'), ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('error', fail);
    child.once('exit', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

/** The status GET /admin/apps answers with this bearer token: 401 when the gateway refuses it. */
async function adminStatus(port: number, token: string): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${port}/admin/apps`, { headers: { authorization: `Bearer ${token}` } });
  await response.arrayBuffer();
  return response.status;
}

describe('the bootstrap admin token', () => {
  let database: TestDatabase;
  const services: Service[] = [];
  let env: Record<string, string>;

  beforeAll(async () => {
    assertBuilt('gateway', 'projector');
    database = await createTestDatabase('admin_token');
    env = { DATABASE_URL: database.url, NATS_URL: testNatsUrl(), COFFER_NATS_PREFIX: testNatsPrefix('admtok'), LOG_LEVEL: 'warn' };
  });

  afterAll(async () => {
    await Promise.all(services.map((service) => service.kill()));
    await database?.drop();
  });

  async function startGateway(): Promise<{ gateway: Service; port: number }> {
    const port = await freePort();
    const gateway = new Service(`gateway-${services.length + 1}`, 'services/gateway/dist/main.js', { ...env, PORT: String(port) });
    services.push(gateway);
    await waitFor(`${gateway.name} to listen`, async () => (await fetch(`http://127.0.0.1:${port}/health`)).ok, WAIT_MS, services);
    return { gateway, port };
  }

  it('is printed at the first start only, and a reset replaces it on every running gateway', async () => {
    const first = await startGateway();
    const printed = first.gateway.lines.map((line) => line.match(ADMIN_TOKEN_LINE)?.[1]).filter(Boolean);
    expect(printed).toHaveLength(1);
    const original = printed[0]!;
    expect(await adminStatus(first.port, original)).not.toBe(401);
    expect(await adminStatus(first.port, `${original}x`)).toBe(401);

    const second = await startGateway();
    expect(second.gateway.lines.some((line) => ADMIN_TOKEN_LINE.test(line))).toBe(false);
    expect(await adminStatus(second.port, original)).not.toBe(401);

    const reset = await coffer(['admin-token', 'reset'], env);
    expect(reset.code).toBe(0);
    expect(reset.stderr).toContain(`coffer admin-token reset: database "${database.name}"`);
    expect(reset.stderr).toContain('stops working on every running gateway within 5 s');
    const renewed = reset.stdout.match(/^New Coffer admin token \(shown once, keep it safe\): (cadm_\S+)\n$/)?.[1];
    expect(renewed).toBeDefined();
    expect(renewed).not.toBe(original);

    for (const { gateway, port } of [first, second]) {
      await waitFor(
        `${gateway.name} to take the new token and refuse the old`,
        async () => (await adminStatus(port, original)) === 401 && (await adminStatus(port, renewed!)) !== 401,
        WAIT_MS,
        services,
      );
    }
  });

  it('is not reset while COFFER_ADMIN_TOKEN is set: the gateways would ignore the stored one', async () => {
    const reset = await coffer(['admin-token', 'reset'], { ...env, COFFER_ADMIN_TOKEN: 'an-operator-chosen-token-0123456789' });
    expect(reset.code).toBe(1);
    expect(reset.stdout).toBe('');
    expect(reset.stderr).toContain('COFFER_ADMIN_TOKEN is set');
  });

  it('answers its usage for anything but reset, and changes nothing', async () => {
    const wrong = await coffer(['admin-token', 'show'], env);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('admin-token reset');
  });
});
