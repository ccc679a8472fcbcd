// The faults, one at a time and then together. Each action injects at once, says its `ref` as
// soon as it is known (the moment the recovery target counts from: a kill or a freeze, the
// injection itself, since a standby or a restart must take over; NATS and PostgreSQL, the moment
// they accept connections again, as issue 10 states its targets), and resolves when its part of
// the outage is over (a freeze: at SIGCONT, long after the system should have recovered).
'use strict';

const NATS_OUTAGE_MS = 3_000;
const POSTGRES_OUTAGE_MS = 3_000;
const FREEZE_MS = 8_000; // well past a takeover (target 2 s) and the events' timeout (3 s): a zombie writer

/** Issue 10: writes resume within 2 s of a ledger kill or freeze, and of NATS or PostgreSQL coming back. */
const WRITE_RESUME_TARGET_MS = 2_000;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const now = () => performance.timeOrigin + performance.now();

/** Resolves a service name, or the ledger playing a role now ('active-ledger', 'standby-ledger'). */
function serviceFor(ctx, name) {
  if (name === 'active-ledger' || name === 'standby-ledger') {
    const active = ctx.supervisor.activeLedger();
    if (!active) throw new Error('no ledger says it leads: cannot tell the active from the standby');
    return name === 'active-ledger' ? active : ctx.supervisor.ledgers().find((ledger) => ledger !== active);
  }
  return ctx.supervisor.get(name);
}

const ACTIONS = {
  kill: {
    target: (name) => (name.endsWith('ledger') ? WRITE_RESUME_TARGET_MS : null),
    describe: (name) => `kill -9 ${name}`,
    async inject(ctx, name, onRef) {
      const service = serviceFor(ctx, name);
      const at = now();
      service.kill();
      onRef(at, false);
      ctx.log(`  kill -9 ${service.name} (${name}, pid ${service.pid ?? 'gone'})`);
      return { restored: at, detail: service.name };
    },
  },
  freeze: {
    target: () => WRITE_RESUME_TARGET_MS,
    describe: (name) => `SIGSTOP ${name} ${FREEZE_MS / 1000} s`,
    async inject(ctx, name, onRef) {
      const service = serviceFor(ctx, name);
      const at = now();
      service.freeze();
      onRef(at, false);
      ctx.log(`  SIGSTOP ${service.name} (${name}) for ${FREEZE_MS / 1000} s`);
      await sleep(FREEZE_MS);
      service.thaw();
      ctx.log(`  SIGCONT ${service.name}`);
      return { restored: now(), detail: service.name };
    },
  },
  nats: {
    target: () => WRITE_RESUME_TARGET_MS,
    describe: (how) => `NATS ${how === 'kill' ? 'kill -9' : 'restart'} (${NATS_OUTAGE_MS / 1000} s down)`,
    async inject(ctx, how, onRef) {
      await ctx.servers.nats.halt(how === 'kill' ? 'SIGKILL' : 'SIGTERM');
      ctx.log(`  nats-server stopped (${how === 'kill' ? 'SIGKILL' : 'SIGTERM'})`);
      await sleep(NATS_OUTAGE_MS);
      const back = await ctx.servers.nats.start();
      onRef(back, true);
      ctx.log(`  nats-server back`);
      return { restored: back, detail: how };
    },
  },
  postgres: {
    target: () => WRITE_RESUME_TARGET_MS,
    describe: () => `PostgreSQL immediate stop (${POSTGRES_OUTAGE_MS / 1000} s down)`,
    async inject(ctx, _how, onRef) {
      await ctx.servers.postgres.stopImmediately();
      ctx.log('  pg_ctl stop -m immediate');
      await sleep(POSTGRES_OUTAGE_MS);
      const back = await ctx.servers.postgres.start();
      onRef(back, true);
      ctx.log('  PostgreSQL back');
      return { restored: back, detail: 'immediate' };
    },
  },
};

const fault = (name, ...actions) => ({ name, actions: actions.map(([type, arg]) => ({ type, arg })) });

const SINGLE_FAULTS = [
  fault('kill gateway', ['kill', 'gateway']),
  fault('kill active ledger', ['kill', 'active-ledger']),
  fault('kill standby ledger', ['kill', 'standby-ledger']),
  fault('kill projector', ['kill', 'projector']),
  fault('kill achievements', ['kill', 'achievements']),
  fault('restart NATS', ['nats', 'restart']),
  fault('stop PostgreSQL', ['postgres', 'immediate']),
  fault('freeze active ledger', ['freeze', 'active-ledger']),
];

const TOGETHER_FAULTS = [
  fault('kill every service', ['kill', 'gateway'], ['kill', 'active-ledger'], ['kill', 'standby-ledger'], ['kill', 'projector'], ['kill', 'achievements']),
  fault('freeze active ledger + restart NATS + stop PostgreSQL', ['freeze', 'active-ledger'], ['nats', 'restart'], ['postgres', 'immediate']),
];

/** Only in a full run: more pairs, and NATS killed rather than restarted. */
const MORE_FAULTS = [
  fault('kill NATS', ['nats', 'kill']),
  fault('kill active ledger + kill gateway', ['kill', 'active-ledger'], ['kill', 'gateway']),
  fault('kill active ledger + stop PostgreSQL', ['kill', 'active-ledger'], ['postgres', 'immediate']),
  fault('restart NATS + kill projector + kill achievements', ['nats', 'restart'], ['kill', 'projector'], ['kill', 'achievements']),
  fault('freeze active ledger + kill standby ledger', ['freeze', 'active-ledger'], ['kill', 'standby-ledger']),
];

function schedule({ quick, rounds }) {
  if (quick) return [...SINGLE_FAULTS, ...TOGETHER_FAULTS];
  const list = [];
  for (let round = 0; round < rounds; round++) list.push(...SINGLE_FAULTS);
  list.push(...TOGETHER_FAULTS, ...MORE_FAULTS);
  return list;
}

/** The write target of a fault: every action must have one (a lone gateway's restart has none), counted from the last ref. */
function targetOf(f) {
  const targets = f.actions.map((action) => ACTIONS[action.type].target(action.arg));
  return targets.every((t) => t !== null) ? Math.max(...targets) : null;
}

const describe = (f) => f.actions.map((action) => ACTIONS[action.type].describe(action.arg)).join(' + ');

/**
 * Injects every action of the fault at the same moment. Returns {injected, ref, done, settled}:
 * `ref` resolves with {ref, ref_is_back} once every action said its ref (the last one counts),
 * `done` with {restored, actions} once every part of the outage is over; an action that fails
 * rejects both (`ref` too when it fails before saying its ref: a kill of a service that is just
 * restarting, a server that does not come back). `settled` resolves once every action is over,
 * failed or not, so nothing of a fault that failed is still going on when the next one starts.
 * Ledger roles are resolved to processes before anything is touched, so "active" means active at
 * the injection.
 */
function inject(ctx, f) {
  const targets = f.actions.map((action) => (action.arg.endsWith('-ledger') ? serviceFor(ctx, action.arg).name : action.arg));
  const refs = f.actions.map(() => {
    let said;
    const promise = new Promise((resolve) => (said = (t, back) => resolve({ t, back })));
    return { promise, said };
  });
  const injected = now();
  const actions = f.actions.map((action, i) => ACTIONS[action.type].inject(ctx, targets[i], refs[i].said));
  const done = Promise.all(actions);
  const allRefs = Promise.all(refs.map((r) => r.promise)).then((list) => {
    const last = list.reduce((a, b) => (b.t > a.t ? b : a));
    return { ref: last.t, ref_is_back: last.back };
  });
  const over = done.then((results) => ({
    restored: Math.max(...results.map((r) => r.restored)),
    actions: results.map((r, i) => ({ ...f.actions[i], service: r.detail })),
  }));
  // Awaited only once the ref came: a failure before it reaches the caller through `ref`.
  over.catch(() => {});
  return {
    injected,
    ref: Promise.race([allRefs, done.then(() => allRefs)]),
    done: over,
    settled: Promise.allSettled(actions),
  };
}

module.exports = { schedule, inject, targetOf, describe, WRITE_RESUME_TARGET_MS, NATS_OUTAGE_MS, POSTGRES_OUTAGE_MS, FREEZE_MS };
