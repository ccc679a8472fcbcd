/**
 * The built services as real child processes, for the tests that kill, freeze or cut them off
 * from their dependencies: their log lines, their role, kill -9, SIGSTOP/SIGCONT; and waiting
 * with a deadline that prints what every process said last when it runs out.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { sleep } from './http-client';

export { freeLoopbackPort } from '@coffer/testing';

export const ROOT = resolve(__dirname, '../../..');

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

  constructor(
    readonly name: string,
    script: string,
    env: Record<string, string>,
  ) {
    this.child = spawn(process.execPath, [join(ROOT, script)], {
      cwd: ROOT,
      env: { ...process.env, ...env },
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

  /** A ledger leads when its last role line is 'leading the ledger' (and it is alive). */
  get leading(): boolean {
    const roles = this.messages().filter((msg) => msg === 'leading the ledger' || msg.startsWith('standby') || msg === 'lost the writer role');
    return !this.exited && roles[roles.length - 1] === 'leading the ledger';
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
