/**
 * `npm start`'s supervisor with real child processes: one killed is started again and the
 * terminal is told; one that keeps exiting is given up on, by name and exit code; a stop is final.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Supervisor } from './supervisor';

const sleeper = () => spawn(process.execPath, ['-e', 'setInterval(() => {}, 1e9)'], { stdio: 'ignore' });
const failing = (code: number) => () => spawn(process.execPath, ['-e', `process.exit(${code})`], { stdio: 'ignore' });

async function until(check: () => boolean, what: string, ms = 20000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function killAll(supervisor: Supervisor): Promise<unknown> {
  supervisor.stop();
  return Promise.all(
    supervisor.children().map(([, child]) => new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(null) : (child.once('exit', resolve), child.kill('SIGKILL'))))),
  );
}

describe('Supervisor', () => {
  it('starts a killed service again, says so, and leaves the others alone', async () => {
    const lines: string[] = [];
    const supervisor = new Supervisor({ backoffMs: 10, log: (line) => lines.push(line) });
    try {
      const ledger = supervisor.add('ledger', sleeper);
      const notifier = supervisor.add('notifier', sleeper);
      ledger.kill('SIGKILL');
      await until(() => lines.some((line) => line.startsWith('ledger restarted')), 'the restart');
      const running = new Map(supervisor.children());
      expect(running.get('ledger')!.pid).not.toBe(ledger.pid);
      expect(running.get('notifier')).toBe(notifier);
      expect(lines[0]).toBe('ledger exited unexpectedly (signal SIGKILL); restarting it in 0.01 s (restart 1 of at most 5 within 60 s).');
    } finally {
      await killAll(supervisor);
    }
  });

  it('gives up on a service that keeps exiting after maxRestarts, naming it and its exit code, once', async () => {
    const lines: string[] = [];
    const gaveUp: Array<[string, number | null]> = [];
    const supervisor = new Supervisor({ maxRestarts: 2, backoffMs: 1, log: (line) => lines.push(line), onGiveUp: (name, code) => gaveUp.push([name, code]) });
    try {
      supervisor.add('projector', failing(3));
      await until(() => gaveUp.length > 0, 'giving up');
      expect(gaveUp).toEqual([['projector', 3]]);
      expect(lines.filter((line) => line.includes('restarting it'))).toHaveLength(2);
      expect(lines.at(-1)).toBe('projector exited unexpectedly (exit code 3) after 2 restarts within 60 s: giving up, stopping everything.');
      expect(supervisor.children()).toEqual([]);
    } finally {
      await killAll(supervisor);
    }
  });

  it('gives up at once on a service that refused its configuration (exit 78): a restart would be refused again', async () => {
    const lines: string[] = [];
    const gaveUp: Array<[string, number | null]> = [];
    const supervisor = new Supervisor({ backoffMs: 1, log: (line) => lines.push(line), onGiveUp: (name, code) => gaveUp.push([name, code]) });
    try {
      supervisor.add('gateway', failing(78));
      await until(() => gaveUp.length > 0, 'giving up');
      expect(gaveUp).toEqual([['gateway', 78]]);
      expect(lines).toEqual(['gateway exited with exit code 78: it refused its configuration (see its lines above), and would again: stopping everything.']);
    } finally {
      await killAll(supervisor);
    }
  });

  it('doubles the pause for each restart within the window, up to its bound', async () => {
    const lines: string[] = [];
    const supervisor = new Supervisor({ maxRestarts: 4, backoffMs: 1, maxBackoffMs: 4, log: (line) => lines.push(line) });
    try {
      supervisor.add('achievements', failing(1));
      await until(() => lines.some((line) => line.includes('giving up')), 'giving up');
      const pauses = lines.flatMap((line) => line.match(/restarting it in ([\d.]+) s/)?.[1] ?? []);
      expect(pauses).toEqual(['0.001', '0.002', '0.004', '0.004']);
    } finally {
      await killAll(supervisor);
    }
  });

  it('restarts nothing once stopped, not even a restart already waiting', async () => {
    const lines: string[] = [];
    const supervisor = new Supervisor({ backoffMs: 60_000, maxBackoffMs: 10_000, log: (line) => lines.push(line) });
    const child: ChildProcess = supervisor.add('gateway', sleeper);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    await until(() => lines.length > 0, 'the restart notice');
    supervisor.stop();
    const other = supervisor.add('ledger', sleeper);
    const otherExited = new Promise((resolve) => other.once('exit', resolve));
    other.kill('SIGTERM');
    await otherExited;
    expect(lines).toEqual(['gateway exited unexpectedly (signal SIGKILL); restarting it in 10 s (restart 1 of at most 5 within 60 s).']);
    expect(supervisor.children()).toEqual([]);
  });
});
