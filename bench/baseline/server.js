#!/usr/bin/env node
// The baseline: Coffer's finance routes built the way a typical wallet service builds them, so
// the bench can put a ratio next to every Coffer figure. Fastify + a pg Pool; every request is
// one database transaction that locks the rows it changes with SELECT ... FOR UPDATE (the
// user, and the counterparty: the app's house account or the transfer's receiver) in a fixed
// order (no deadlocks), checks the balance, updates it in place and inserts the transaction row.
// Event close posts the event's pending rows in one transaction; a sweeper expires events.
// Same routes, same JSON shapes and error codes as API.md; auth is simplified: an api_key maps
// to an app through the apps table.
//
// env: DATABASE_URL, PORT, COFFER_ADMIN_TOKEN, COFFER_EVENT_TIMEOUT_SECONDS (60),
//      BASELINE_POOL_SIZE (20), BASELINE_SWEEP_MS (1000)
'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { createHash, randomBytes, randomUUID } = require('node:crypto');
const Fastify = require('fastify');
const { Pool } = require('pg');

const databaseUrl = (() => {
  const url = new URL(process.env.DATABASE_URL || 'postgres://127.0.0.1:5432/coffer_baseline');
  if (!url.username) url.username = process.env.PGUSER || os.userInfo().username;
  return url.toString();
})();
const port = Number(process.env.PORT || 3100);
const adminToken = process.env.COFFER_ADMIN_TOKEN || '';
const timeoutSeconds = Number(process.env.COFFER_EVENT_TIMEOUT_SECONDS || 60);
const sweepMs = Number(process.env.BASELINE_SWEEP_MS || 1000);
const CURRENCY = 'coins';
const TREASURY = 'treasury';
const house = (appId) => `house:${appId}`;

const pool = new Pool({ connectionString: databaseUrl, max: Number(process.env.BASELINE_POOL_SIZE || 20) });
pool.on('error', () => {});

// ---------------------------------------------------------------- errors and validation

class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    Object.assign(this, { status, code, details });
  }
}
const invalid = (field, why) => new ApiError(400, 'VALIDATION_FAILED', 'the request is not valid', { fields: { [field]: [why] } });

function userIdOf(value, field) {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return String(value);
  if (typeof value === 'string' && /^[A-Za-z0-9_.:-]{1,64}$/.test(value)) return value;
  throw invalid(field, `${field} must be a string of 1-64 [A-Za-z0-9_.:-] or an integer`);
}

function amountOf(value) {
  const text = typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : value;
  if (typeof text !== 'string' || !/^[1-9][0-9]{0,17}$/.test(text)) throw invalid('amount', 'amount must be a positive integer');
  return text; // bigint column: pg compares and adds it exactly
}

function currencyOf(value) {
  if (value === undefined || value === null) return CURRENCY;
  if (typeof value === 'string' && /^[a-z0-9_]{1,32}$/.test(value)) return value;
  throw invalid('currency', 'currency must be 1-32 characters of [a-z0-9_]');
}

const descriptionOf = (value) => (typeof value === 'string' ? value.slice(0, 500) : null);

function idOf(value) {
  if (!/^[1-9][0-9]{0,15}$/.test(value)) throw invalid('id', 'id must be a positive integer');
  return value;
}

// ---------------------------------------------------------------- database helpers

/** One request, one transaction; a deadlock or serialization failure is retried (they should not happen). */
async function inTransaction(fn) {
  for (let attempt = 0; ; attempt++) {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      if ((error.code === '40P01' || error.code === '40001') && attempt < 3) continue;
      throw error;
    } finally {
      client.release();
    }
  }
}

/**
 * Locks the accounts' rows (creating missing ones) in account order, so two requests that lock
 * the same rows never wait on each other in a cycle. Returns {account: row}.
 */
async function lockAccounts(client, accounts, currency) {
  const ids = [...new Set(accounts)].sort();
  const select = `SELECT user_id, balance, pending_debit, pending_credit FROM users
                   WHERE currency = $2 AND user_id = ANY($1) ORDER BY user_id FOR UPDATE`;
  let { rows } = await client.query(select, [ids, currency]);
  if (rows.length < ids.length) {
    await client.query(
      'INSERT INTO users (user_id, currency) SELECT unnest($1::text[]), $2 ON CONFLICT DO NOTHING',
      [ids, currency],
    );
    ({ rows } = await client.query(select, [ids, currency]));
  }
  return Object.fromEntries(rows.map((row) => [row.user_id, row]));
}

/** Applies [account, Δbalance, Δpending_debit, Δpending_credit] changes in one statement. */
function applyDeltas(client, currency, deltas) {
  return client.query(
    `UPDATE users u SET balance = u.balance + d.b, pending_debit = u.pending_debit + d.pd, pending_credit = u.pending_credit + d.pc
       FROM unnest($2::text[], $3::bigint[], $4::bigint[], $5::bigint[]) AS d(account, b, pd, pc)
      WHERE u.currency = $1 AND u.user_id = d.account`,
    [currency, deltas.map((d) => d[0]), deltas.map((d) => String(d[1])), deltas.map((d) => String(d[2])), deltas.map((d) => String(d[3]))],
  );
}

const available = (row) => BigInt(row.balance) - BigInt(row.pending_debit);

const INSERT_TX = `INSERT INTO transactions (event_id, app_id, type, user_id, to_user_id, debit_account, credit_account, amount, currency, status, description)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
                   RETURNING transaction_id, created_at`;

function transactionView(tx) {
  return {
    transaction_id: Number(tx.transaction_id),
    event_id: tx.event_id === null || tx.event_id === undefined ? null : Number(tx.event_id),
    user_id: tx.user_id,
    type: tx.type,
    amount: String(tx.amount),
    currency: tx.currency,
    status: tx.status,
    description: tx.description ?? null,
    created_at: new Date(tx.created_at).toISOString(),
  };
}

function transferView(tx) {
  return {
    transaction_id: Number(tx.transaction_id),
    from_user_id: tx.user_id,
    to_user_id: tx.to_user_id,
    type: 'transfer',
    amount: String(tx.amount),
    currency: tx.currency,
    status: tx.status,
    description: tx.description ?? null,
    created_at: new Date(tx.created_at).toISOString(),
  };
}

const iso = (value) => (value ? new Date(value).toISOString() : null);

// ---------------------------------------------------------------- auth

const appsByKey = new Map(); // api_key -> app_id: looked up once, then cached (keys are never revoked here)

async function appOf(request) {
  const token = /^Bearer (.+)$/.exec(request.headers.authorization || '')?.[1];
  if (!token) throw new ApiError(401, 'UNAUTHENTICATED', 'a bearer token is required');
  let appId = appsByKey.get(token);
  if (appId === undefined) {
    const { rows } = await pool.query('SELECT app_id FROM apps WHERE api_key = $1', [token]);
    if (!rows.length) throw new ApiError(401, 'UNAUTHENTICATED', 'unknown api key');
    appId = rows[0].app_id;
    appsByKey.set(token, appId);
  }
  return appId;
}

function requireAdmin(request) {
  const token = /^Bearer (.+)$/.exec(request.headers.authorization || '')?.[1];
  if (!adminToken || token !== adminToken) throw new ApiError(401, 'UNAUTHENTICATED', 'the admin token is required');
}

// ---------------------------------------------------------------- idempotency

/**
 * Runs `work(client)` in one transaction; with an Idempotency-Key, the first response is stored
 * in that same transaction and a repeat returns it (a different body: 422).
 */
async function idempotent(request, appId, work) {
  const key = request.headers['idempotency-key'];
  if (!key) return inTransaction(work);
  const hash = createHash('sha256').update(`${request.method} ${request.url} ${JSON.stringify(request.body ?? null)}`).digest('hex');
  const replay = async () => {
    const { rows } = await pool.query('SELECT request_hash, status, response FROM idempotency WHERE app_id = $1 AND key = $2', [appId ?? '', key]);
    if (!rows.length) return null;
    if (rows[0].request_hash !== hash) throw new ApiError(422, 'IDEMPOTENCY_KEY_REUSED', 'this key was used with another request');
    return { status: rows[0].status, body: rows[0].response, replayed: true };
  };
  const first = await replay();
  if (first) return first;
  try {
    return await inTransaction(async (client) => {
      const result = await work(client);
      await client.query('INSERT INTO idempotency (app_id, key, request_hash, status, response) VALUES ($1, $2, $3, $4, $5)', [
        appId ?? '',
        key,
        hash,
        result.status,
        JSON.stringify(result.body),
      ]);
      return result;
    });
  } catch (error) {
    if (error.code === '23505') return (await replay()) ?? Promise.reject(error); // a concurrent twin won
    throw error;
  }
}

// ---------------------------------------------------------------- routes

const app = Fastify({ logger: false, bodyLimit: 64 * 1024 });

// An empty body with a JSON content type is an empty object, as for Coffer's bodiless POSTs.
app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
  if (body === '') return done(null, undefined);
  try {
    done(null, JSON.parse(body));
  } catch {
    done(new ApiError(400, 'MALFORMED_JSON', 'the body is not valid JSON'));
  }
});

app.setErrorHandler((error, _request, reply) => {
  if (error instanceof ApiError) {
    return reply.status(error.status).send({ error: { code: error.code, message: error.message, details: error.details ?? {} } });
  }
  if (error.statusCode === 413) return reply.status(413).send({ error: { code: 'PAYLOAD_TOO_LARGE', message: error.message } });
  if (error.statusCode && error.statusCode < 500) {
    return reply.status(400).send({ error: { code: 'VALIDATION_FAILED', message: error.message } });
  }
  console.error(error);
  return reply.status(503).send({ error: { code: 'UNAVAILABLE', message: 'retry with the same Idempotency-Key' } });
});
app.setNotFoundHandler((_request, reply) => reply.status(404).send({ error: { code: 'NOT_FOUND', message: 'no such route' } }));

const send = (reply, result) => {
  if (result.replayed) reply.header('idempotent-replayed', 'true');
  return reply.status(result.status).send(result.body);
};

app.get('/health', async () => ({ status: 'ok' }));
app.get('/ready', async (_request, reply) => {
  try {
    await pool.query('SELECT 1');
    return { status: 'ready', checks: { database: 'ok' } };
  } catch (error) {
    return reply.status(503).send({ status: 'unavailable', checks: { database: error.message } });
  }
});

app.post('/admin/apps', async (request, reply) => {
  requireAdmin(request);
  const name = request.body?.name;
  if (typeof name !== 'string' || name.length < 1 || name.length > 100) throw invalid('name', 'name must be 1-100 characters');
  const appId = randomUUID();
  const apiKey = `bl_${randomBytes(24).toString('hex')}`;
  const { rows } = await pool.query('INSERT INTO apps (app_id, name, api_key) VALUES ($1, $2, $3) RETURNING created_at', [appId, name, apiKey]);
  return reply.status(201).send({ app_id: appId, name, api_key: apiKey, key_id: appId, created_at: iso(rows[0].created_at) });
});

app.post('/admin/grants', async (request, reply) => {
  requireAdmin(request);
  const body = request.body ?? {};
  const userId = userIdOf(body.user_id, 'user_id');
  const amount = amountOf(body.amount);
  const currency = currencyOf(body.currency);
  const description = descriptionOf(body.description);
  const result = await idempotent(request, null, async (client) => {
    await lockAccounts(client, [userId, TREASURY], currency);
    await applyDeltas(client, currency, [
      [userId, amount, 0, 0],
      [TREASURY, `-${amount}`, 0, 0],
    ]);
    const { rows } = await client.query(INSERT_TX, [null, null, 'grant', userId, null, TREASURY, userId, amount, currency, 'posted', description]);
    return { status: 201, body: transactionView({ ...rows[0], event_id: null, user_id: userId, type: 'grant', amount, currency, status: 'posted', description }) };
  });
  return send(reply, result);
});

// Setup only, not part of the API: the bench funds 10,000 users before a run. One grant per
// request would serialise on the treasury row (that is the baseline's nature, measured in the
// run itself); the setup does not need to measure it again, so it grants in batches.
app.post('/admin/grants/bulk', async (request, reply) => {
  requireAdmin(request);
  const body = request.body ?? {};
  if (!Array.isArray(body.user_ids) || body.user_ids.length === 0) throw invalid('user_ids', 'user_ids must be a non-empty array');
  const userIds = body.user_ids.map((id) => userIdOf(id, 'user_ids'));
  const amount = amountOf(body.amount);
  const currency = currencyOf(body.currency);
  await inTransaction(async (client) => {
    await lockAccounts(client, [...userIds, TREASURY], currency);
    await applyDeltas(client, currency, [...userIds.map((id) => [id, amount, 0, 0]), [TREASURY, `-${BigInt(amount) * BigInt(userIds.length)}`, 0, 0]]);
    await client.query(
      `INSERT INTO transactions (type, user_id, debit_account, credit_account, amount, currency, status, description)
       SELECT 'grant', u, $2, u, $3, $4, 'posted', 'bench funding' FROM unnest($1::text[]) AS u`,
      [userIds, TREASURY, amount, currency],
    );
  });
  return reply.status(201).send({ granted: userIds.length });
});

app.post('/finance/event', async (request, reply) => {
  const appId = await appOf(request);
  const description = descriptionOf(request.body?.description);
  const result = await idempotent(request, appId, async (client) => {
    const { rows } = await client.query(
      `INSERT INTO events (app_id, description, expires_at) VALUES ($1, $2, now() + make_interval(secs => $3))
       RETURNING event_id, expires_at`,
      [appId, description, timeoutSeconds],
    );
    return { status: 201, body: { event_id: Number(rows[0].event_id), status: 'open', expires_at: iso(rows[0].expires_at) } };
  });
  return send(reply, result);
});

/** 404 for a missing or another app's event, 409 for one that is not open. */
async function eventRefusal(db, eventId, appId) {
  const { rows } = await db.query('SELECT app_id FROM events WHERE event_id = $1', [eventId]);
  if (!rows.length || rows[0].app_id !== appId) return new ApiError(404, 'NOT_FOUND', 'no such event');
  return new ApiError(409, 'EVENT_NOT_OPEN', 'the event is not open');
}

app.post('/finance/event/:id/ping', async (request, reply) => {
  const appId = await appOf(request);
  const eventId = idOf(request.params.id);
  const result = await idempotent(request, appId, async (client) => {
    const { rows } = await client.query(
      `UPDATE events SET last_ping_at = now(), expires_at = now() + make_interval(secs => $3)
        WHERE event_id = $1 AND app_id = $2 AND status = 'open' AND expires_at > now()
        RETURNING expires_at`,
      [eventId, appId, timeoutSeconds],
    );
    if (!rows.length) throw await eventRefusal(client, eventId, appId);
    return { status: 200, body: { event_id: Number(eventId), status: 'open', expires_at: iso(rows[0].expires_at) } };
  });
  return send(reply, result);
});

/** Posts (close) or voids (expiry) every pending transaction of a locked event. */
async function settleEvent(client, eventId, appId, post) {
  const { rows: pending } = await client.query(
    `SELECT transaction_id, type, user_id, amount, currency FROM transactions WHERE event_id = $1 AND status = 'pending'`,
    [eventId],
  );
  const byCurrency = new Map();
  for (const tx of pending) {
    if (!byCurrency.has(tx.currency)) byCurrency.set(tx.currency, []);
    byCurrency.get(tx.currency).push(tx);
  }
  for (const [currency, txs] of byCurrency) {
    const accounts = new Map(); // account -> [Δbalance, Δpending_debit, Δpending_credit]
    const delta = (account) => (accounts.has(account) ? accounts.get(account) : accounts.set(account, [0n, 0n, 0n]).get(account));
    for (const tx of txs) {
      const amount = BigInt(tx.amount);
      const user = delta(tx.user_id);
      if (tx.type === 'debit') {
        user[1] -= amount;
        if (post) {
          user[0] -= amount;
          delta(house(appId))[0] += amount;
        }
      } else {
        user[2] -= amount;
        if (post) {
          user[0] += amount;
          delta(house(appId))[0] -= amount;
        }
      }
    }
    await lockAccounts(client, [...accounts.keys()], currency);
    await applyDeltas(client, currency, [...accounts].map(([account, d]) => [account, ...d]));
  }
  if (pending.length) {
    await client.query(`UPDATE transactions SET status = $2, settled_at = now() WHERE event_id = $1 AND status = 'pending'`, [
      eventId,
      post ? 'posted' : 'voided',
    ]);
  }
  return pending.length;
}

app.post('/finance/event/:id/close', async (request, reply) => {
  const appId = await appOf(request);
  const eventId = idOf(request.params.id);
  const result = await idempotent(request, appId, async (client) => {
    const { rows } = await client.query(
      `SELECT status, expires_at > now() AS live FROM events WHERE event_id = $1 AND app_id = $2 FOR UPDATE`,
      [eventId, appId],
    );
    if (!rows.length) throw new ApiError(404, 'NOT_FOUND', 'no such event');
    if (rows[0].status !== 'open' || !rows[0].live) throw new ApiError(409, 'EVENT_NOT_OPEN', 'the event is not open');
    await settleEvent(client, eventId, appId, true);
    const closed = await client.query(`UPDATE events SET status = 'closed', closed_at = now() WHERE event_id = $1 RETURNING closed_at`, [eventId]);
    return { status: 200, body: { event_id: Number(eventId), status: 'closed', closed_at: iso(closed.rows[0].closed_at) } };
  });
  return send(reply, result);
});

app.get('/finance/event/:id', async (request) => {
  const appId = await appOf(request);
  const eventId = idOf(request.params.id);
  const { rows } = await pool.query('SELECT * FROM events WHERE event_id = $1 AND app_id = $2', [eventId, appId]);
  if (!rows.length) throw new ApiError(404, 'NOT_FOUND', 'no such event');
  const e = rows[0];
  const txs = await pool.query('SELECT * FROM transactions WHERE event_id = $1 ORDER BY transaction_id', [eventId]);
  return {
    event_id: Number(e.event_id),
    app_id: e.app_id,
    status: e.status,
    opened_at: iso(e.opened_at),
    last_ping_at: iso(e.last_ping_at),
    expires_at: iso(e.expires_at),
    closed_at: iso(e.closed_at),
    expired_at: iso(e.expired_at),
    transactions: txs.rows.map(transactionView),
  };
});

app.post('/finance/transaction', async (request, reply) => {
  const appId = await appOf(request);
  const body = request.body ?? {};
  const userId = userIdOf(body.user_id, 'user_id');
  const amount = amountOf(body.amount);
  const currency = currencyOf(body.currency);
  const description = descriptionOf(body.description);
  const type = body.type;
  if (type !== 'credit' && type !== 'debit') throw invalid('type', "type must be 'credit' or 'debit'");
  const eventId = body.event_id === undefined || body.event_id === null ? null : idOf(String(body.event_id));
  const result = await idempotent(request, appId, async (client) => {
    let status = 'posted';
    if (eventId !== null) {
      // FOR SHARE: posts into one event run side by side, a close or expiry waits for them.
      const { rows } = await client.query(
        `SELECT status, expires_at > now() AS live FROM events WHERE event_id = $1 AND app_id = $2 FOR SHARE`,
        [eventId, appId],
      );
      if (!rows.length) throw new ApiError(404, 'NOT_FOUND', 'no such event');
      if (rows[0].status !== 'open' || !rows[0].live) throw new ApiError(409, 'EVENT_NOT_OPEN', 'the event is not open');
      status = 'pending';
    }
    const counterparty = house(appId);
    // A pending transaction changes only the user's row (a hold); a posted one moves money now.
    const locked = await lockAccounts(client, status === 'pending' ? [userId] : [userId, counterparty], currency);
    if (type === 'debit' && available(locked[userId]) < BigInt(amount)) {
      throw new ApiError(422, 'INSUFFICIENT_FUNDS', 'the available balance is too low', { available: available(locked[userId]).toString() });
    }
    if (status === 'pending') {
      await applyDeltas(client, currency, [type === 'debit' ? [userId, 0, amount, 0] : [userId, 0, 0, amount]]);
    } else if (type === 'debit') {
      await applyDeltas(client, currency, [
        [userId, `-${amount}`, 0, 0],
        [counterparty, amount, 0, 0],
      ]);
    } else {
      await applyDeltas(client, currency, [
        [userId, amount, 0, 0],
        [counterparty, `-${amount}`, 0, 0],
      ]);
    }
    const [debitAccount, creditAccount] = type === 'debit' ? [userId, counterparty] : [counterparty, userId];
    const { rows } = await client.query(INSERT_TX, [eventId, appId, type, userId, null, debitAccount, creditAccount, amount, currency, status, description]);
    return { status: 201, body: transactionView({ ...rows[0], event_id: eventId, user_id: userId, type, amount, currency, status, description }) };
  });
  return send(reply, result);
});

app.post('/finance/transfer', async (request, reply) => {
  const appId = await appOf(request);
  const body = request.body ?? {};
  const from = userIdOf(body.from_user_id, 'from_user_id');
  const to = userIdOf(body.to_user_id, 'to_user_id');
  if (from === to) throw invalid('to_user_id', 'to_user_id must differ from from_user_id');
  const amount = amountOf(body.amount);
  const currency = currencyOf(body.currency);
  const description = descriptionOf(body.description);
  const result = await idempotent(request, appId, async (client) => {
    const locked = await lockAccounts(client, [from, to], currency);
    if (available(locked[from]) < BigInt(amount)) {
      throw new ApiError(422, 'INSUFFICIENT_FUNDS', 'the available balance is too low', { available: available(locked[from]).toString() });
    }
    await applyDeltas(client, currency, [
      [from, `-${amount}`, 0, 0],
      [to, amount, 0, 0],
    ]);
    const { rows } = await client.query(INSERT_TX, [null, appId, 'transfer', from, to, from, to, amount, currency, 'posted', description]);
    return { status: 201, body: transferView({ ...rows[0], user_id: from, to_user_id: to, amount, currency, status: 'posted', description }) };
  });
  return send(reply, result);
});

app.get('/finance/balance/:user_id', async (request) => {
  await appOf(request);
  const userId = userIdOf(request.params.user_id, 'user_id');
  const { rows } = await pool.query(
    'SELECT currency, balance, pending_debit, pending_credit FROM users WHERE user_id = $1 ORDER BY currency',
    [userId],
  );
  return {
    user_id: userId,
    balances: rows.map((row) => ({
      currency: row.currency,
      available: (BigInt(row.balance) - BigInt(row.pending_debit)).toString(),
      posted: String(row.balance),
      pending_debit: String(row.pending_debit),
      pending_credit: String(row.pending_credit),
    })),
  };
});

app.get('/finance/transactions', async (request) => {
  await appOf(request);
  const query = request.query ?? {};
  const userId = userIdOf(query.user_id, 'user_id');
  const limit = query.limit === undefined ? 10 : Number(query.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw invalid('limit', 'limit must be 1-100');
  const cursor = query.cursor === undefined ? null : idOf(String(query.cursor));
  // Sent and received, newest first: two index scans merged, each stopping at `limit`.
  const { rows } = await pool.query(
    `SELECT * FROM (
       (SELECT * FROM transactions WHERE user_id = $1 AND ($3::bigint IS NULL OR transaction_id < $3) ORDER BY transaction_id DESC LIMIT $2)
       UNION ALL
       (SELECT * FROM transactions WHERE to_user_id = $1 AND ($3::bigint IS NULL OR transaction_id < $3) ORDER BY transaction_id DESC LIMIT $2)
     ) t ORDER BY transaction_id DESC LIMIT $2`,
    [userId, limit, cursor],
  );
  return {
    data: rows.map((tx) => (tx.type === 'transfer' ? transferView(tx) : transactionView(tx))),
    next_cursor: rows.length === limit ? String(rows[rows.length - 1].transaction_id) : null,
  };
});

// ---------------------------------------------------------------- expiry sweeper

/** Expires overdue events one transaction each; SKIP LOCKED so it never queues behind a close. */
async function sweep() {
  for (;;) {
    const expired = await inTransaction(async (client) => {
      const { rows } = await client.query(
        `SELECT event_id, app_id FROM events WHERE status = 'open' AND expires_at <= now()
          ORDER BY expires_at LIMIT 1 FOR UPDATE SKIP LOCKED`,
      );
      if (!rows.length) return false;
      await settleEvent(client, rows[0].event_id, rows[0].app_id, false);
      await client.query(`UPDATE events SET status = 'expired', expired_at = now() WHERE event_id = $1`, [rows[0].event_id]);
      return true;
    });
    if (!expired) return;
  }
}

let sweeping = false;
const sweeper = setInterval(() => {
  if (sweeping) return;
  sweeping = true;
  sweep()
    .catch((error) => console.error(`sweep failed: ${error.message}`))
    .finally(() => (sweeping = false));
}, sweepMs);

// ---------------------------------------------------------------- start and stop

async function main() {
  await pool.query(fs.readFileSync(path.join(__dirname, 'schema.sql'), 'utf8'));
  await app.listen({ port, host: '127.0.0.1' });
  console.log(JSON.stringify({ msg: 'baseline started', port, pool: pool.options.max }));
}

async function stop() {
  clearInterval(sweeper);
  await app.close().catch(() => {});
  await pool.end().catch(() => {});
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
