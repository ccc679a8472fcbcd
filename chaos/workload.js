// The clients and their model. Virtual users of several apps play game rounds (a finance event
// with pending credits and debits, pinged while it runs, then closed or left to expire), post
// direct credits and debits, transfer between users, ask for admin grants and report achievement
// progress; two probes send a small write every PROBE_INTERVAL_MS regardless of the others, so
// the moment writes resume after a fault is seen within that interval.
//
// The model is what the clients were told: every write is an op with its Idempotency-Key, its
// body, and its outcome (acked with the reply, refused with the code, or unknown). The checker
// compares it with what the system holds afterwards.
'use strict';

const { randomBytes } = require('node:crypto');

const USERS_COUNT = 24;
const CURRENCIES = ['coins', 'gems'];
const SETUP_GRANT = { coins: 2_000, gems: 600 }; // per user: most debits pass, hot users sometimes run dry
const AMOUNT_MAX = 40;
const ROUND_STEPS_MAX = 4;
const ROUND_STEP_PAUSE_MS = [100, 500]; // a round runs for about a second or two: events are open when a fault lands
const ROUND_CLOSE_SHARE = 0.75; // the rest are left to expire
const THINK_MS = [10, 40];
const PROBE_INTERVAL_MS = 100;
const PROBE_OUTSTANDING_MAX = 100; // the probe is open-loop; this bounds what it adds during an outage
const PROBE_BACKOFF_MAX_MS = 100;
const GOAL = 3;
const PROGRESS_USERS_COUNT = 8; // progress goes to a few users, so unlocks (and their rewards) happen within a trial
const REWARD_AMOUNT = 5;
const PROBE_GOAL = 1_000_000_000; // never reached: the probe's progress only counts

const MIX = [
  ['round', 40],
  ['credit', 14],
  ['debit', 14],
  ['transfer', 12],
  ['grant', 3],
  ['progress', 12],
  ['read', 5],
];

const now = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const between = ([low, high]) => low + Math.random() * (high - low);
const pick = (list) => list[Math.floor(Math.random() * list.length)];
const amount = () => 1 + Math.floor(Math.random() * AMOUNT_MAX);

/** Which writes depend on which backend: a fault's recovery is measured per class. */
const writeClass = (route) => (route.startsWith('POST /achievements') ? 'achievements' : 'ledger');

class Model {
  constructor() {
    this.runId = randomBytes(3).toString('hex');
    this.ops = [];
    this.byId = new Map();
    this.apps = []; // {app_id, api_key, name}
    this.users = Array.from({ length: USERS_COUNT }, (_, i) => `u${String(i).padStart(2, '0')}`);
    this.achievements = new Map(); // `${app_id}/${key}` -> {app_id, key, goal, reward, define (op id)}
    this.acks = []; // {t, sent, class, position}: the recovery monitor reads these as they come
    this.counter = 0;
  }

  /** A new op: its id is also its description in the store ("chaos <id>") and its Idempotency-Key. */
  op(trial, who, fields) {
    const id = `t${trial}.${who}.${++this.counter}`;
    const op = { id, trial, outcome: 'pending', ...fields };
    this.ops.push(op);
    this.byId.set(id, op);
    return op;
  }

  description(op) {
    return `chaos ${op.id}`;
  }

  idempotencyKey(op) {
    return `chaos-${this.runId}-${op.id}`;
  }

  settle(op, result) {
    Object.assign(op, {
      outcome: result.outcome,
      status: result.status,
      code: result.code ?? null,
      reply: result.outcome === 'acked' ? result.json : null,
      position: result.position ?? null,
      replayed: result.replayed ?? false,
      attempts: result.attempts,
      first_sent: result.first_sent,
      last_sent: result.last_sent,
      done: result.done,
    });
    if (result.outcome === 'acked') {
      this.acks.push({ t: result.done, sent: result.last_sent, class: writeClass(op.route), position: op.position });
    }
    return op;
  }

  opsOfTrial(trial) {
    return this.ops.filter((op) => op.trial === trial);
  }
}

/** Sends one op as a write with retries and records its outcome in the model. */
async function send(ctx, op, { method = 'POST', path, token, body, backoffMaxMs }) {
  op.route = `${method} ${path.replace(/\/\d+(?=\/|$)/g, '/:id').replace(/\/achievements\/[^/]+\/progress/, '/achievements/:key/progress')}`;
  op.body = body ?? null;
  const result = await ctx.client.write(method, path, {
    token,
    body,
    idempotencyKey: ctx.model.idempotencyKey(op),
    route: op.route,
    backoffMaxMs,
  });
  return ctx.model.settle(op, result);
}

// ---------------------------------------------------------------- setup

async function setUp(ctx, appNames) {
  const { model } = ctx;
  for (const name of appNames) {
    const op = model.op(0, 'setup', { kind: 'app', app: null });
    await send(ctx, op, { path: '/admin/apps', token: ctx.adminToken, body: { name } });
    if (op.outcome !== 'acked') throw new Error(`could not create app ${name}: ${op.outcome} ${op.code ?? ''}`);
    model.apps.push({ app_id: op.reply.app_id, api_key: op.reply.api_key, name });
  }
  const grants = [];
  for (const user of [...model.users, 'probe']) {
    for (const currency of CURRENCIES) grants.push(grant(ctx, 0, 'setup', user, SETUP_GRANT[currency], currency));
  }
  const done = await Promise.all(grants);
  const failed = done.filter((op) => op.outcome !== 'acked');
  if (failed.length) throw new Error(`${failed.length} set-up grants were not acknowledged (${failed[0].outcome} ${failed[0].code})`);
}

/** Each trial gets fresh achievements, so unlocks (and their rewards) happen during its fault. */
async function defineAchievements(ctx, trial) {
  const defines = [];
  ctx.model.apps.forEach((app, i) => {
    const currency = CURRENCIES[(trial + i) % CURRENCIES.length];
    defines.push(define(ctx, trial, app, `t${trial}`, GOAL, { amount: REWARD_AMOUNT, currency }));
    if (i === 0) defines.push(define(ctx, trial, app, `t${trial}-probe`, PROBE_GOAL, null));
  });
  const done = await Promise.all(defines);
  const failed = done.filter((op) => op.outcome !== 'acked');
  if (failed.length) throw new Error(`could not define the achievements of trial ${trial}: ${failed[0].outcome} ${failed[0].code}`);
}

async function define(ctx, trial, app, key, goal, reward) {
  const op = ctx.model.op(trial, 'setup', { kind: 'define', app: app.app_id, key, goal, reward });
  const body = { key, name: `Chaos ${key}`, goal, ...(reward ? { reward } : {}) };
  await send(ctx, op, { path: '/achievements', token: app.api_key, body });
  if (op.outcome === 'acked') ctx.model.achievements.set(`${app.app_id}/${key}`, { app_id: app.app_id, key, goal, reward, define: op.id });
  return op;
}

// ---------------------------------------------------------------- single writes

function grant(ctx, trial, who, user, value, currency) {
  const op = ctx.model.op(trial, who, { kind: 'grant', app: null, user, amount: value, currency, event: null });
  const body = { user_id: user, amount: value, currency, description: ctx.model.description(op) };
  return send(ctx, op, { path: '/admin/grants', token: ctx.adminToken, body });
}

function transaction(ctx, trial, who, app, type, user, event, options = {}) {
  const value = options.amount ?? amount();
  const currency = options.currency ?? pick(CURRENCIES);
  const op = ctx.model.op(trial, who, { kind: type, app: app.app_id, user, amount: value, currency, event: event?.id ?? null, probe: Boolean(options.probe) });
  const body = { user_id: user, type, amount: value, currency, description: ctx.model.description(op) };
  if (event) body.event_id = event.reply.event_id;
  return send(ctx, op, { path: '/finance/transaction', token: app.api_key, body, backoffMaxMs: options.backoffMaxMs });
}

function transfer(ctx, trial, who, app) {
  const from = pick(ctx.model.users);
  let to = pick(ctx.model.users);
  while (to === from) to = pick(ctx.model.users);
  const value = amount();
  const currency = pick(CURRENCIES);
  const op = ctx.model.op(trial, who, { kind: 'transfer', app: app.app_id, user: from, to_user: to, amount: value, currency, event: null });
  const body = { from_user_id: from, to_user_id: to, amount: value, currency, description: ctx.model.description(op) };
  return send(ctx, op, { path: '/finance/transfer', token: app.api_key, body });
}

function progress(ctx, trial, who, app, key, user, options = {}) {
  const op = ctx.model.op(trial, who, { kind: 'progress', app: app.app_id, key, user, probe: Boolean(options.probe) });
  return send(ctx, op, {
    path: `/achievements/${encodeURIComponent(key)}/progress`,
    token: app.api_key,
    body: { user_id: user, increment: 1 },
    backoffMaxMs: options.backoffMaxMs,
  });
}

// ---------------------------------------------------------------- rounds

/**
 * A game round: open an event, post pending transactions with a ping after each, then close it
 * or walk away. A refused or unknown step ends the round (the event then expires by itself).
 */
async function round(ctx, trial, who, app) {
  const open = ctx.model.op(trial, who, { kind: 'open', app: app.app_id });
  await send(ctx, open, { path: '/finance/event', token: app.api_key, body: { description: ctx.model.description(open) } });
  if (open.outcome !== 'acked') return;
  const id = open.reply.event_id;
  const steps = 1 + Math.floor(Math.random() * ROUND_STEPS_MAX);
  for (let step = 0; step < steps && !ctx.stopping; step++) {
    await sleep(between(ROUND_STEP_PAUSE_MS));
    const type = Math.random() < 0.5 ? 'credit' : 'debit';
    const tx = await transaction(ctx, trial, who, app, type, pick(ctx.model.users), open);
    if (tx.outcome === 'unknown' || tx.code === 'EVENT_NOT_OPEN') return;
    const ping = ctx.model.op(trial, who, { kind: 'ping', app: app.app_id, event: open.id });
    await send(ctx, ping, { path: `/finance/event/${id}/ping`, token: app.api_key });
    if (ping.outcome !== 'acked') return;
  }
  if (Math.random() >= ROUND_CLOSE_SHARE) return; // left to expire
  const close = ctx.model.op(trial, who, { kind: 'close', app: app.app_id, event: open.id });
  await send(ctx, close, { path: `/finance/event/${id}/close`, token: app.api_key });
}

// ---------------------------------------------------------------- virtual users and probes

function choose() {
  const total = MIX.reduce((sum, [, weight]) => sum + weight, 0);
  let r = Math.random() * total;
  for (const [name, weight] of MIX) {
    if ((r -= weight) < 0) return name;
  }
  return MIX[0][0];
}

async function virtualUser(ctx, trial, index) {
  const app = ctx.model.apps[index % ctx.model.apps.length];
  const who = `v${index}`;
  while (!ctx.stopping) {
    const scenario = choose();
    if (scenario === 'round') await round(ctx, trial, who, app);
    else if (scenario === 'credit' || scenario === 'debit') await transaction(ctx, trial, who, app, scenario, pick(ctx.model.users), null);
    else if (scenario === 'transfer') await transfer(ctx, trial, who, app);
    else if (scenario === 'grant') await grant(ctx, trial, who, pick(ctx.model.users), amount(), pick(CURRENCIES));
    else if (scenario === 'progress') await progress(ctx, trial, who, app, `t${trial}`, pick(ctx.model.users.slice(0, PROGRESS_USERS_COUNT)));
    else await ctx.client.request('GET', `/finance/balance/${pick(ctx.model.users)}`, { token: app.api_key, route: 'GET /finance/balance/:user_id' });
    await sleep(between(THINK_MS));
  }
}

/** Open loop: a new write every interval whatever happened to the last ones (bounded in flight). */
async function probe(ctx, trial, write) {
  const inFlight = new Set();
  while (!ctx.stopping) {
    if (inFlight.size < PROBE_OUTSTANDING_MAX) {
      const p = write().finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    await sleep(PROBE_INTERVAL_MS);
  }
  await Promise.all(inFlight);
}

/** Starts the load of one trial; `stop()` lets every client finish what it is doing and resolves when all have. */
function startLoad(ctx, trial, virtualUsers) {
  const load = { ...ctx, stopping: false };
  const app = ctx.model.apps[0];
  const tasks = [
    ...Array.from({ length: virtualUsers }, (_, i) => virtualUser(load, trial, i)),
    probe(load, trial, () =>
      transaction(load, trial, 'probe', app, 'credit', 'probe', null, { amount: 1, currency: 'coins', probe: true, backoffMaxMs: PROBE_BACKOFF_MAX_MS }),
    ),
    probe(load, trial, () => progress(load, trial, 'probe', app, `t${trial}-probe`, 'probe', { probe: true, backoffMaxMs: PROBE_BACKOFF_MAX_MS })),
  ];
  const all = Promise.all(tasks);
  return {
    stop: () => {
      load.stopping = true;
      return all;
    },
  };
}

module.exports = { Model, setUp, defineAchievements, startLoad, PROBE_INTERVAL_MS };
