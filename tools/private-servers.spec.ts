/**
 * The private servers' edges: what cleanup relies on when a start fails, a server is already gone,
 * or a start races a stop. Real nats-server and PostgreSQL binaries, in temporary folders.
 */
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { PrivateNats, PrivatePostgres } from './private-servers';

jest.setTimeout(60000);

describe('PrivateNats', () => {
  it('kill() and stop() return at once when the server has already exited, and stop() removes its folder', async () => {
    const nats = new PrivateNats();
    try {
      await nats.start();
      const pid = nats.pid!;
      process.kill(pid, 'SIGKILL');
      await new Promise((resolve) => setTimeout(resolve, 200)); // its exit is seen: no 'exit' event comes any more
      await nats.kill();
    } finally {
      await nats.stop();
    }
    expect(existsSync(nats.storeDir)).toBe(false);
  });

  it('is not started again once stopped for good (a start racing a cleanup)', async () => {
    const nats = new PrivateNats();
    await nats.stop();
    await expect(nats.start()).rejects.toThrow('stopped for good');
    expect(nats.pid).toBeNull();
  });
});

describe('PrivatePostgres', () => {
  let taken: Server | undefined;

  afterEach(async () => {
    await new Promise((resolve) => (taken ? taken.close(resolve) : resolve(undefined)));
    taken = undefined;
  });

  it('leaves neither a server nor its folder when its start fails', async () => {
    taken = createServer((socket) => socket.destroy()); // holds the port, answers nobody
    const port = await new Promise<number>((resolve) => taken!.listen(0, '127.0.0.1', () => resolve((taken!.address() as { port: number }).port)));
    const postgres = new PrivatePostgres({ port });
    try {
      await expect(postgres.start()).rejects.toThrow(/pg_ctl start failed/);
    } finally {
      await postgres.stop();
    }
    expect(existsSync(postgres.dataDir)).toBe(false);
    expect(await postgres.isRunning()).toBe(false);
  });

  it('is not started again once stopped for good', async () => {
    const postgres = new PrivatePostgres();
    await postgres.stop();
    await expect(postgres.start()).rejects.toThrow('stopped for good');
  });
});
