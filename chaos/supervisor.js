// Runs Coffer's services as separate processes from their dist/ and keeps them running the way a
// container restart policy would: a service that exits (killed by a fault, or dying by itself) is
// started again after a short delay, doubling while it keeps dying, with no manual step. Every
// exit is recorded with the last lines its process logged, as evidence for the report.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const readline = require('node:readline');
const { spawn } = require('node:child_process');
const { ledgerRoleOf } = require('../tools/ledger-roles');

const repo = path.resolve(__dirname, '..');
const now = () => performance.timeOrigin + performance.now();

const RESTART_DELAY_MS = 500; // Docker starts at 100 ms; half a second keeps a crash loop cheap on two cores
const RESTART_DELAY_MAX_MS = 2_000; // lower than Docker's minute: the harness times recoveries, and a long backoff would be timed instead
const STABLE_AFTER_MS = 10_000; // a process up this long resets the restart delay
const STOP_GRACE_MS = 5_000;
const LINES_KEPT_COUNT = 4_000; // per service, for evidence and for the role lines of the ledgers
const LAST_LINES_COUNT = 8; // of a process that exited by itself, for the report

class Service {
  constructor(name, script, env, logDir) {
    this.name = name;
    this.script = script;
    this.env = env;
    this.logFile = path.join(logDir, `${name}.log`);
    this.log = fs.createWriteStream(this.logFile, { flags: 'a' });
    this.lines = []; // {t, text, json}
    this.child = null;
    this.startedAt = 0;
    this.exits = []; // {t, code, signal, planned, last_lines}
    this.starts = 0;
    this.delayMs = RESTART_DELAY_MS;
    this.plannedKill = false;
    this.frozen = false;
    this.stopping = false;
    this.restartTimer = null;
    this.listeners = new Set();
  }

  get pid() {
    return this.child?.pid ?? null;
  }

  get alive() {
    return this.child !== null;
  }

  start() {
    this.restartTimer = null;
    if (this.stopping) return;
    this.starts++;
    this.startedAt = now();
    this.note(`--- chaos: start #${this.starts} at ${new Date().toISOString()}`);
    // Own process group: a Ctrl-C aimed at the harness reaches only the harness, which stops us in order.
    const child = spawn(process.execPath, [path.join(repo, this.script)], {
      cwd: repo,
      env: this.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    for (const stream of [child.stdout, child.stderr]) {
      readline.createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => this.note(line));
    }
    child.on('error', () => {});
    child.on('exit', (code, signal) => this.onExit(child, code, signal));
  }

  note(text) {
    this.log.write(`${text}\n`);
    let json = null;
    if (text.startsWith('{')) {
      try {
        json = JSON.parse(text);
      } catch {}
    }
    const line = { t: now(), text, json };
    this.lines.push(line);
    if (this.lines.length > LINES_KEPT_COUNT) this.lines.splice(0, this.lines.length - LINES_KEPT_COUNT);
    for (const listener of this.listeners) listener(line);
  }

  onExit(child, code, signal) {
    if (this.child !== child) return;
    this.child = null;
    this.frozen = false;
    const planned = this.plannedKill;
    this.plannedKill = false;
    const exit = {
      t: now(),
      code,
      signal,
      planned,
      uptime_ms: Math.round(now() - this.startedAt),
      last_lines: lastWords(this.lines.filter((line) => line.t >= this.startedAt)),
    };
    this.exits.push(exit);
    this.note(`--- chaos: exited (${signal || `code ${code}`})${planned ? ' as the fault planned' : ''}`);
    if (this.stopping) return;
    // Restart policy: always, after a delay that doubles while the process keeps dying young.
    if (exit.uptime_ms >= STABLE_AFTER_MS) this.delayMs = RESTART_DELAY_MS;
    const delay = this.delayMs;
    this.delayMs = Math.min(this.delayMs * 2, RESTART_DELAY_MAX_MS);
    this.restartTimer = setTimeout(() => this.start(), delay);
  }

  /** kill -9, as the fault wants; the restart policy brings it back. */
  kill() {
    if (!this.child) throw new Error(`${this.name} is not running`);
    this.plannedKill = true;
    process.kill(this.child.pid, 'SIGKILL');
  }

  freeze() {
    process.kill(this.child.pid, 'SIGSTOP');
    this.frozen = true;
  }

  thaw() {
    if (this.child && this.frozen) process.kill(this.child.pid, 'SIGCONT');
    this.frozen = false;
  }

  /** The role this ledger last logged, with when: {role, t}, or null (not running, nothing said yet). */
  role() {
    if (!this.child) return null;
    for (let i = this.lines.length - 1; i >= 0 && this.lines[i].t >= this.startedAt; i--) {
      const role = ledgerRoleOf(this.lines[i].json?.msg);
      if (role) return { role, t: this.lines[i].t };
    }
    return null;
  }

  /** Resolves with the first line (from now on) for which `match` is true, or null after `timeoutMs`. */
  waitForLine(match, timeoutMs) {
    return new Promise((resolve) => {
      const listener = (line) => {
        if (!match(line)) return;
        done(line);
      };
      const timer = setTimeout(() => done(null), timeoutMs);
      const done = (line) => {
        clearTimeout(timer);
        this.listeners.delete(listener);
        resolve(line);
      };
      this.listeners.add(listener);
    });
  }

  /** Warnings, errors and changes of role it logged in [from, to): the evidence of what a fault did to it. */
  evidenceLines(from, to) {
    return this.lines.filter((line) => line.t >= from && line.t < to && isEvidence(line));
  }

  async stop() {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    const child = this.child;
    if (child) {
      const gone = new Promise((resolve) => child.once('exit', resolve));
      try {
        if (this.frozen) process.kill(child.pid, 'SIGCONT'); // a stopped process cannot act on SIGTERM
        child.kill('SIGTERM');
      } catch {}
      const timer = setTimeout(() => {
        try {
          child.kill('SIGKILL');
        } catch {}
      }, STOP_GRACE_MS);
      await gone;
      clearTimeout(timer);
    }
    await new Promise((resolve) => this.log.end(resolve));
  }

  killNowSync() {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    try {
      this.child?.kill('SIGKILL');
    } catch {}
  }
}

/** The last lines a process wrote, with the one naming the error of a crash even when its stack trace is longer. */
function lastWords(lines) {
  const tail = lines.slice(-LAST_LINES_COUNT);
  const cause = lines.find((line) => !line.json && /^[A-Za-z]*Error\b/.test(line.text)); // "Error: Connection terminated …"
  const kept = cause && !tail.includes(cause) ? [cause, ...tail] : tail;
  return kept.map((line) => line.text.slice(0, 400));
}

/** A warn or error JSON line, a ledger's change of role, or anything that is not JSON (a crash's stack trace). */
function isEvidence(line) {
  if (line.text.startsWith('--- chaos:')) return false;
  if (!line.json) return line.text.trim() !== '';
  return ['warn', 'error', 'fatal'].includes(String(line.json.level)) || ledgerRoleOf(line.json.msg) !== null;
}

class Supervisor {
  constructor(env, logDir) {
    this.env = env;
    this.logDir = logDir;
    this.services = new Map();
  }

  add(name, script) {
    const service = new Service(name, script, this.env, this.logDir);
    this.services.set(name, service);
    return service;
  }

  get(name) {
    return this.services.get(name);
  }

  all() {
    return [...this.services.values()];
  }

  ledgers() {
    return this.all().filter((service) => service.name.startsWith('ledger'));
  }

  /**
   * The ledger leading now: of those whose last role line says they lead, the one that said so
   * last (a writer that was replaced without noticing, e.g. while frozen, still says it leads
   * until it notices; the stream's fencing, not its log, is what stops it).
   */
  activeLedger() {
    const leading = this.ledgers()
      .map((ledger) => ({ ledger, role: ledger.role() }))
      .filter(({ role }) => role?.role === 'active')
      .sort((a, b) => b.role.t - a.role.t);
    return leading[0]?.ledger ?? null;
  }

  async stopAll() {
    // The gateway first (no new requests), the ledgers last (the writer answers what is in flight).
    const order = ['gateway', 'achievements', 'projector'];
    for (const name of order) await this.services.get(name)?.stop();
    await Promise.all(this.all().map((service) => service.stop()));
  }

  killAllNowSync() {
    for (const service of this.all()) service.killNowSync();
  }
}

module.exports = { Supervisor, RESTART_DELAY_MS };
