/**
 * Servers of a test's own, for the tests that stop, kill or restart them: the shared PostgreSQL
 * and NATS must never be touched. Each lives in a temporary folder that stop() removes.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'nats';
import { Client } from 'pg';

/** Longest wait for a private server to come up or go down. */
const SERVER_START_TIMEOUT_MS = 30000;

export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + SERVER_START_TIMEOUT_MS;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A nats-server of the test's own (JetStream on, file store), so it can be killed and restarted. */
export class PrivateNats {
  private process: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<PrivateNats> {
    const server = new PrivateNats(await freeLoopbackPort(), mkdtempSync(join(tmpdir(), 'coffer-nats-')));
    await server.restart();
    return server;
  }

  async restart(): Promise<void> {
    const binary = ['/usr/sbin/nats-server', '/usr/local/bin/nats-server', '/usr/bin/nats-server'].find(existsSync) ?? 'nats-server';
    this.process = spawn(binary, ['-a', '127.0.0.1', '-p', String(this.port), '-js', '-sd', this.dir], { stdio: 'ignore' });
    await until('the private NATS server', async () => {
      const nc = await connect({ servers: this.url, timeout: 500 });
      await nc.close();
      return true;
    });
  }

  async kill(): Promise<void> {
    const exited = new Promise((resolve) => this.process?.once('exit', resolve));
    this.process?.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    if (this.process && this.process.exitCode === null && this.process.signalCode === null) await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

const POSTGRES_BIN = '/usr/lib/postgresql/15/bin';
/** PostgreSQL refuses to run as root: a root test runs it as this OS user. */
const POSTGRES_OS_USER = 'postgres';

/** A PostgreSQL cluster of the test's own (initdb in a temporary folder, trust auth on loopback). */
export class PrivatePostgres {
  private constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  static available(): boolean {
    return existsSync(join(POSTGRES_BIN, 'initdb')) && existsSync(join(POSTGRES_BIN, 'pg_ctl'));
  }

  static async start(): Promise<PrivatePostgres> {
    const dir = mkdtempSync(join(tmpdir(), 'coffer-pg-'));
    const cluster = new PrivatePostgres(await freeLoopbackPort(), dir);
    if (isRoot()) {
      const ids = osUser(POSTGRES_OS_USER);
      chownSync(dir, ids.uid, ids.gid);
    }
    cluster.run('initdb', ['-D', cluster.data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
    await cluster.restart();
    return cluster;
  }

  /** The URL of database `name` on this cluster (created by the services' ensureDatabase). */
  url(name: string): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${name}`;
  }

  async restart(): Promise<void> {
    const options = `-p ${this.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${this.dir} -c fsync=off`;
    this.run('pg_ctl', ['-D', this.data, '-l', join(this.dir, 'log'), '-o', options, '-w', 'start']);
    await until('the private PostgreSQL server', async () => {
      const client = new Client({ connectionString: this.url('postgres') });
      client.on('error', () => undefined);
      await client.connect();
      await client.end();
      return true;
    });
  }

  /** `pg_ctl stop -m immediate`: every connection is cut at once, as by a crash. */
  stopImmediately(): void {
    this.run('pg_ctl', ['-D', this.data, '-m', 'immediate', '-w', 'stop']);
  }

  async stop(): Promise<void> {
    if (existsSync(join(this.data, 'postmaster.pid'))) this.run('pg_ctl', ['-D', this.data, '-m', 'immediate', '-w', 'stop'], false);
    rmSync(this.dir, { recursive: true, force: true });
  }

  private get data(): string {
    return join(this.dir, 'data');
  }

  private run(binary: string, args: string[], check = true): void {
    const command = join(POSTGRES_BIN, binary);
    const [file, argv] = isRoot() ? ['runuser', ['-u', POSTGRES_OS_USER, '--', command, ...args]] : [command, args];
    const result = spawnSync(file, argv, { encoding: 'utf8', timeout: SERVER_START_TIMEOUT_MS });
    if (check && result.status !== 0) throw new Error(`${binary} failed: ${result.stderr || result.stdout}`);
  }
}

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

function osUser(name: string): { uid: number; gid: number } {
  const uid = spawnSync('id', ['-u', name], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) throw new Error(`running as root, but there is no "${name}" OS user to run PostgreSQL as`);
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}
