/**
 * The built services as real child processes, for the tests that kill, freeze or cut them off
 * from their dependencies: their log lines, their role, kill -9, SIGSTOP/SIGCONT; and waiting
 * with a deadline that prints what every process said last when it runs out.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { freePort } from '@coffer/testing';
import { LEADING_MESSAGE, ledgerRoleOf } from '../../../tools/ledger-roles';
import { serviceEnvironment } from '../../../tools/service-environment';
import { ApiClient } from './api-client';
import { sleep } from './http-client';

export const ROOT = resolve(__dirname, '../../..');

/** Longest wait for a service to say its role or for the gateway to be ready. */
const STARTUP_TIMEOUT_MS = 30000;

/** Throws unless every named service is built (these tests run dist/main.js). */
export function assertBuilt(...names: string[]): void {
  for (const name of names) {
    if (!existsSync(join(ROOT, `services/${name}/dist/main.js`))) {
      throw new Error(`services/${name}/dist/main.js is missing: build first (npx tsc -b tsconfig.build.json; npm test does)`);
    }
  }
}

/** One child process of ours, with the lines it logged. */
export class Service {
  readonly lines: string[] = [];
  exited = false;
  readonly exit: Promise<void>;
  private readonly child: ChildProcess;

  /** `env` is all the process gets besides PATH, HOME and the locale (tools/service-environment.js). */
  constructor(
    readonly name: string,
    script: string,
    env: Record<string, string>,
  ) {
    this.child = spawn(process.execPath, [join(ROOT, script)], {
      cwd: ROOT,
      env: serviceEnvironment(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.exit = new Promise((done) =>
      this.child.once('exit', () => {
        this.exited = true;
        done();
      }),
    );
    let partial = '';
    const collect = (chunk: Buffer) => {
      const text = partial + chunk.toString('utf8');
      const complete = text.split('\n');
      partial = complete.pop() ?? '';
      for (const line of complete) if (line.trim()) this.lines.push(line);
      if (this.lines.length > 2000) this.lines.splice(0, this.lines.length - 2000);
    };
    this.child.stdout!.on('data', collect);
    this.child.stderr!.on('data', collect);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Every JSON log line, parsed, in order. */
  records(): Array<Record<string, any>> {
    return this.lines.flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, any>];
      } catch {
        return [];
      }
    });
  }

  /** The `msg` of every JSON log line, in order. */
  messages(): string[] {
    return this.records().map((record) => String(record.msg));
  }

  /** The last change of role a ledger logged (tools/ledger-roles.js), or undefined. */
  lastRoleMessage(): string | undefined {
    return this.messages().filter((msg) => ledgerRoleOf(msg) !== null).at(-1);
  }

  /** A ledger leads when its last role line says so and it is alive. */
  get leading(): boolean {
    return !this.exited && this.lastRoleMessage() === LEADING_MESSAGE;
  }

  async kill(): Promise<void> {
    if (this.exited || this.pid === undefined) return;
    this.child.kill('SIGCONT'); // a frozen process would not die until continued
    this.child.kill('SIGKILL');
    await this.exit;
  }

  /** SIGSTOP: the process and its TCP sessions live on, it just makes no progress. */
  freeze(): void {
    this.child.kill('SIGSTOP');
  }

  thaw(): void {
    this.child.kill('SIGCONT');
  }

  tail(count = 15): string {
    return `${this.name} (pid ${this.pid}${this.exited ? ', exited' : ''}):\n  ${this.lines.slice(-count).join('\n  ')}`;
  }
}

export async function waitFor(what: string, check: () => boolean | Promise<boolean>, ms: number, services: Service[]): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${services.map((s) => s.tail()).join('\n')}`);
    await sleep(100);
  }
}

export interface BuiltServicesSettings {
  databaseUrl: string;
  natsUrl: string;
  natsPrefix: string;
  adminToken: string;
  /** More settings for every service (LOG_LEVEL is warn unless said). */
  extra?: Record<string, string>;
}

/**
 * The built services of one test, each started as a process on the same settings, with the
 * gateway on a free port. Whatever was started is in `all` at once, so a teardown's stop() kills
 * it even when a start-up wait timed out (the services retry their dependencies for ever).
 */
export class BuiltServices {
  readonly all: Service[] = [];
  readonly ledgers: Service[] = [];
  readonly base: string;

  private constructor(readonly env: Record<string, string>) {
    this.base = `http://127.0.0.1:${env.PORT}`;
  }

  static async on(settings: BuiltServicesSettings): Promise<BuiltServices> {
    return new BuiltServices({
      DATABASE_URL: settings.databaseUrl,
      NATS_URL: settings.natsUrl,
      COFFER_NATS_PREFIX: settings.natsPrefix,
      COFFER_ADMIN_TOKEN: settings.adminToken,
      PORT: String(await freePort()),
      LOG_LEVEL: 'warn',
      ...settings.extra,
    });
  }

  start(name: 'gateway' | 'projector' | 'achievements'): Service {
    return this.add(new Service(name, `services/${name}/dist/main.js`, this.env));
  }

  /** `extra`: settings of this ledger alone (COFFER_REALM: the realm it writes for). */
  startLedger(label: string, extra: Record<string, string> = {}): Service {
    const ledger = this.add(new Service(label, 'services/ledger/dist/main.js', { ...this.env, LOG_LEVEL: 'info', ...extra })); // info: its role lines
    this.ledgers.push(ledger);
    return ledger;
  }

  /** ledger-a, once it leads (so which one leads is known), then `others`, until GET /ready answers 200. */
  async startLeading(...others: Array<'gateway' | 'projector' | 'achievements'>): Promise<Service> {
    const first = this.startLedger('ledger-a');
    await this.waitFor('ledger-a to lead', () => first.leading);
    for (const name of others) this.start(name);
    await this.waitFor('GET /ready 200', async () => (await ApiClient.http(this.base).ready()).status === 200);
    return first;
  }

  /** One more ledger, once it says it stands by. */
  async startStandby(label: string, extra: Record<string, string> = {}): Promise<Service> {
    const standby = this.startLedger(label, extra);
    await this.waitFor(`${label} on standby`, () => ledgerRoleOf(standby.lastRoleMessage() ?? '') === 'standby');
    return standby;
  }

  /** The one ledger leading, once exactly one does. */
  async leadingLedger(): Promise<Service> {
    await this.waitFor('exactly one ledger leading', () => this.ledgers.filter((ledger) => ledger.leading).length === 1);
    return this.ledgers.find((ledger) => ledger.leading)!;
  }

  waitFor(what: string, check: () => boolean | Promise<boolean>, ms = STARTUP_TIMEOUT_MS): Promise<void> {
    return waitFor(what, check, ms, this.all);
  }

  async stop(): Promise<void> {
    await Promise.all(this.all.map((service) => service.kill()));
  }

  private add(service: Service): Service {
    this.all.push(service);
    return service;
  }
}
