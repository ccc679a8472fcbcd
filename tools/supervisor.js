// The children of `npm start`, kept running: a service that exits on its own is started again
// after a growing pause, and said so on the terminal; one that keeps exiting (more than
// `maxRestarts` times within `windowMs`) is a fault a restart will not mend, so the supervisor
// gives up and the caller stops everything, naming the service and how it ended. Plain JS, for
// tools/start.js; types in supervisor.d.ts.
'use strict';

const DEFAULTS = {
  /** Restarts allowed within `windowMs` before giving up. */
  maxRestarts: 5,
  windowMs: 60_000,
  /** Pause before the first restart in the window, doubled for each further one (0.5, 1, 2, 4, 8 s). */
  backoffMs: 500,
  /** No pause longer than this. */
  maxBackoffMs: 10_000,
  /**
   * Exit codes no restart mends: 78 (EX_CONFIG) is a service refusing its configuration, which it
   * would refuse again. Given up on at once.
   */
  finalCodes: [78],
};

/** "code 1" or "signal SIGKILL": how a child ended, in the words of the messages. */
function howItEnded(code, signal) {
  return signal ? `signal ${signal}` : `exit code ${code}`;
}

class Supervisor {
  /**
   * @param options.log one line for the operator (a restart, giving up)
   * @param options.onGiveUp (name, code, signal) once a service exceeded its restarts; called once
   */
  constructor(options = {}) {
    this.options = { ...DEFAULTS, ...options };
    this.log = options.log || ((line) => console.error(line));
    this.onGiveUp = options.onGiveUp || (() => undefined);
    this.running = new Map(); // name -> ChildProcess
    this.restarts = new Map(); // name -> times (ms) of its restarts still inside the window
    this.pending = new Map(); // name -> timer of a restart not yet made
    this.stopped = false;
  }

  /** Starts `name` with `spawnChild()` (which returns a ChildProcess) and keeps it running. */
  add(name, spawnChild) {
    const child = spawnChild();
    this.running.set(name, child);
    child.once('exit', (code, signal) => {
      if (this.running.get(name) === child) this.running.delete(name);
      if (!this.stopped) this.exitedUnexpectedly(name, spawnChild, code, signal);
    });
    return child;
  }

  exitedUnexpectedly(name, spawnChild, code, signal) {
    const now = Date.now();
    const recent = (this.restarts.get(name) || []).filter((at) => now - at < this.options.windowMs);
    if (code !== null && this.options.finalCodes.includes(code)) {
      this.stopped = true;
      this.log(`${name} exited with ${howItEnded(code, signal)}: it refused its configuration (see its lines above), and would again: stopping everything.`);
      this.onGiveUp(name, code, signal);
      return;
    }
    if (recent.length >= this.options.maxRestarts) {
      this.stopped = true;
      this.log(
        `${name} exited unexpectedly (${howItEnded(code, signal)}) after ${recent.length} restarts within ${this.options.windowMs / 1000} s: giving up, stopping everything.`,
      );
      this.onGiveUp(name, code, signal);
      return;
    }
    recent.push(now);
    this.restarts.set(name, recent);
    const pause = Math.min(this.options.backoffMs * 2 ** (recent.length - 1), this.options.maxBackoffMs);
    this.log(
      `${name} exited unexpectedly (${howItEnded(code, signal)}); restarting it in ${pause / 1000} s (restart ${recent.length} of at most ${this.options.maxRestarts} within ${this.options.windowMs / 1000} s).`,
    );
    const timer = setTimeout(() => {
      this.pending.delete(name);
      if (this.stopped) return;
      const child = this.add(name, spawnChild);
      this.log(`${name} restarted (pid ${child.pid}).`);
    }, pause);
    this.pending.set(name, timer);
  }

  /** No more restarts: what runs is the caller's to stop (see children()). */
  stop() {
    this.stopped = true;
    for (const timer of this.pending.values()) clearTimeout(timer);
    this.pending.clear();
  }

  /** [name, ChildProcess] of every running child. */
  children() {
    return [...this.running.entries()];
  }
}

module.exports = { Supervisor, howItEnded, SUPERVISOR_DEFAULTS: DEFAULTS };
