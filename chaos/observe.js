// What the system holds once it is quiet: the read-model tables (SQL on the private database)
// and the same facts through the public API (balances, finance events, transaction lists), so
// the checker can hold both against the clients' model. Also waits for that quiet: every event
// settled, every reward paid, the projector and the analytics feed at the head of the store.
'use strict';

const { Client } = require('pg');
const { connect } = require('nats');

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const now = () => performance.timeOrigin + performance.now();
const POLL_MS = 50;
const API_PAGE_LIMIT = 100;
const FEED_STREAM = 'COFFER_EVENTS';

/** One connection to the private database that reconnects after a fault (each query bounded). */
class Db {
  constructor(url) {
    this.url = url;
    this.client = null;
  }

  async query(sql, params) {
    if (!this.client) {
      // ssl: false, whatever PGSSLMODE the caller exported for its own servers: the private one has no TLS.
      const client = new Client({ connectionString: this.url, connectionTimeoutMillis: 2000, statement_timeout: 30_000, query_timeout: 35_000, ssl: false });
      client.on('error', () => {
        if (this.client === client) this.client = null;
      });
      await client.connect();
      this.client = client;
    }
    try {
      return await this.client.query(sql, params);
    } catch (error) {
      if (!/^[0-9A-Z]{5}$/.test(error.code ?? '')) {
        this.client?.end().catch(() => {});
        this.client = null;
      }
      throw error;
    }
  }

  /** The query's rows, or null while the database (or the schema) is not there. */
  async tryQuery(sql, params) {
    try {
      return (await this.query(sql, params)).rows;
    } catch {
      return null;
    }
  }

  async close() {
    await this.client?.end().catch(() => {});
    this.client = null;
  }
}

/** The read models' position, or null while it cannot be read. */
async function checkpoint(db) {
  const rows = await db.tryQuery('SELECT position::text AS position FROM coffer_read.checkpoint');
  return rows?.[0] ? BigInt(rows[0].position) : null;
}

async function storeHead(db) {
  const rows = await db.tryQuery('SELECT coalesce(max(global_position), -1)::text AS head FROM coffer_es.events');
  return rows ? BigInt(rows[0].head) : null;
}

/** Polls `test` until it returns a truthy value or `timeoutMs` passes: {value, ms} or {value: null}. */
async function waitFor(test, timeoutMs) {
  const started = now();
  for (;;) {
    const value = await test().catch(() => null);
    if (value) return { value, ms: Math.round(now() - started) };
    if (now() - started > timeoutMs) return { value: null, ms: Math.round(now() - started) };
    await sleep(POLL_MS);
  }
}

/**
 * Waits until nothing is left to happen: no event open, every unlock with a reward paid, the
 * projector and the feed at the head. Each step is bounded; what did not happen is returned.
 */
async function waitForQuiet(db, natsUrl, domainTypes, timeoutMs) {
  const steps = {};
  const pending = [];
  const openEvents = await waitFor(async () => {
    const rows = await db.tryQuery(`SELECT count(*)::int AS n FROM coffer_read.finance_events WHERE status = 'open'`);
    return rows && rows[0].n === 0;
  }, timeoutMs);
  steps.events_settled_ms = openEvents.ms;
  if (!openEvents.value) pending.push('finance events still open');
  const rewards = await waitFor(async () => {
    const rows = await db.tryQuery(
      `SELECT count(*)::int AS n FROM coffer_read.achievement_progress p JOIN coffer_read.achievements a USING (app_id, key)
        WHERE p.unlocked_at IS NOT NULL AND a.reward_amount IS NOT NULL AND p.reward_transaction_id IS NULL`,
    );
    return rows && rows[0].n === 0;
  }, timeoutMs);
  steps.rewards_paid_ms = rewards.ms;
  if (!rewards.value) pending.push('unlocked achievements without their reward');
  const projector = await waitFor(async () => {
    const [position, head] = [await checkpoint(db), await storeHead(db)];
    return position !== null && head !== null && position >= head;
  }, timeoutMs);
  steps.projector_at_head_ms = projector.ms;
  if (!projector.value) pending.push('projector behind the store');
  const feed = await waitFor(async () => {
    const state = await feedState(db, natsUrl, domainTypes);
    return state.messages === state.expected && state.last_position === state.expected_last_position;
  }, timeoutMs);
  steps.feed_at_head_ms = feed.ms;
  if (!feed.value) pending.push('analytics feed behind the store');
  return { steps, pending };
}

/** The analytics feed against the store: messages and last global position, both sides. */
async function feedState(db, natsUrl, domainTypes) {
  const rows = await db.query(
    `SELECT count(*)::int AS n, coalesce(max(global_position), -1)::text AS last FROM coffer_es.events WHERE type = ANY($1)`,
    [domainTypes],
  );
  const nc = await connect({ servers: natsUrl, timeout: 2000, reconnect: false });
  try {
    const jsm = await nc.jetstreamManager({ timeout: 2000 });
    const info = await jsm.streams.info(FEED_STREAM);
    let lastPosition = '-1';
    if (info.state.messages > 0) {
      const last = await jsm.streams.getMessage(FEED_STREAM, { seq: info.state.last_seq });
      lastPosition = String(JSON.parse(new TextDecoder().decode(last.data)).global_position);
    }
    return {
      messages: info.state.messages,
      expected: rows.rows[0].n,
      last_position: lastPosition,
      expected_last_position: rows.rows[0].last,
    };
  } finally {
    await nc.close().catch(() => {});
  }
}

/** The read-model tables the checker needs, whole (the store of a chaos run is small). */
async function readModels(db) {
  const q = async (sql) => (await db.query(sql)).rows;
  return {
    transactions: await q(
      `SELECT transaction_id::int, event_id::int, app_id, type, user_id, to_user_id, debit_account, credit_account,
              amount::text, currency, status, description FROM coffer_read.transactions`,
    ),
    events: await q(`SELECT event_id::int, app_id, description, status FROM coffer_read.finance_events`),
    accounts: await q(`SELECT account, currency, posted::text, pending_debit::text, pending_credit::text FROM coffer_read.accounts`),
    achievements: await q(`SELECT app_id, key, goal, reward_amount::text, reward_currency FROM coffer_read.achievements`),
    progress: await q(
      `SELECT app_id, key, user_id, progress, unlocked_at IS NOT NULL AS unlocked, reward_transaction_id::int
         FROM coffer_read.achievement_progress`,
    ),
  };
}

/** GET with a few retries: the checks read a quiet system, but a restarted gateway may still be warming up. */
async function apiGet(client, path, token, route) {
  let answer;
  for (let attempt = 0; attempt < 20; attempt++) {
    answer = await client.request('GET', path, { token, route });
    if (answer.status === 200) return answer.json;
    if (answer.status !== 503 && answer.status !== 0) break;
    await sleep(250);
  }
  throw new Error(`GET ${path}: ${answer.status || answer.error} ${JSON.stringify(answer.json ?? '')}`);
}

/**
 * The same facts through the API: every user's balances, each finance event opened in this
 * trial, and each app's transaction list back to the first transaction of this trial.
 */
async function throughApi(client, model, trial, sinceTransactionId) {
  const reader = model.apps[0];
  const balances = {};
  for (const user of [...model.users, 'probe']) {
    balances[user] = (await apiGet(client, `/finance/balance/${user}`, reader.api_key, 'GET /finance/balance/:user_id')).balances;
  }
  const events = {};
  for (const op of model.opsOfTrial(trial)) {
    if (op.kind !== 'open' || op.outcome !== 'acked') continue;
    const app = model.apps.find((a) => a.app_id === op.app);
    events[op.reply.event_id] = await apiGet(client, `/finance/event/${op.reply.event_id}`, app.api_key, 'GET /finance/event/:id');
  }
  const listings = {};
  for (const app of model.apps) {
    const seen = [];
    let cursor = null;
    for (;;) {
      const query = `limit=${API_PAGE_LIMIT}${cursor ? `&cursor=${cursor}` : ''}`;
      const page = await apiGet(client, `/finance/transactions?${query}`, app.api_key, 'GET /finance/transactions');
      const older = page.data.filter((tx) => tx.transaction_id >= sinceTransactionId);
      seen.push(...older.map((tx) => ({ transaction_id: tx.transaction_id, status: tx.status })));
      if (!page.next_cursor || older.length < page.data.length) break;
      cursor = page.next_cursor;
    }
    listings[app.app_id] = seen;
  }
  return { balances, events, listings, since_transaction_id: sinceTransactionId };
}

module.exports = { Db, checkpoint, waitForQuiet, readModels, throughApi };
