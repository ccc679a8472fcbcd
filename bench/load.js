// Closed-loop load generator, the same for Coffer and the baseline: C virtual users, each
// running one scenario after another as fast as the server answers (no think time), so the
// throughput is what the system sustains at that concurrency and the latency is what each
// user saw. Used in-process for setup (apps, grants) and as a child process for the measured
// run, so its own CPU is counted apart from the orchestrator's.
//
// Child protocol (IPC): parent sends {type:'run', config} (and {type:'stop'} to end an open-ended
// run); the child sends {type:'phase', phase:'measure'|'done', t}, batches of {type:'acks',
// acks:[[t, position]]} (write acknowledgements, for projector lag) and finally {type:'result'}.
'use strict';

const net = require('node:net');
const { randomUUID } = require('node:crypto');
const { summarize, round } = require('./stats');

const now = () => performance.timeOrigin + performance.now();

// ---------------------------------------------------------------- HTTP

/**
 * A minimal HTTP/1.1 keep-alive client bound to one server, one request in flight per
 * connection (a closed loop never needs more). Not fetch, not even node:http: on a 2-core
 * machine the generator's CPU is taken from the system under test, and node:http costs ~4× the
 * CPU per request of writing the request line and reading Content-Length by hand (measured:
 * ~240 vs ~60 µs on this VM). Handles Content-Length and chunked bodies, `Connection: close`,
 * and per-request timeouts; anything else ends the connection and reports an error.
 */
function createClient(baseUrl, { maxSockets = 64, timeoutMs = 15000 } = {}) {
  const { hostname, port } = new URL(baseUrl);
  const host = `${hostname}:${port}`;
  const idle = []; // connections without a request in flight
  const waiting = []; // requests waiting for a connection (only when more than maxSockets are asked for)
  const all = new Set(); // every live connection, for the timeout sweep
  let open = 0;
  let closed = false;
  // One sweep a second instead of a timer per request: timers are a measurable cost at 10k req/s.
  const sweeper = setInterval(() => {
    const deadline = now() - timeoutMs;
    for (const connection of all) {
      if (connection.current && connection.current.started < deadline) {
        finish(connection, { status: 0, error: 'TIMEOUT' });
        connection.socket.destroy();
      }
    }
  }, 1000);
  sweeper.unref();

  function connect() {
    const socket = net.connect(Number(port), hostname);
    socket.setNoDelay(true);
    const connection = { socket, current: null, chunks: [], length: 0, alive: true };
    socket.on('data', (chunk) => onData(connection, chunk));
    const fail = (error) => {
      if (!connection.alive) return;
      connection.alive = false;
      all.delete(connection);
      open--;
      const index = idle.indexOf(connection);
      if (index >= 0) idle.splice(index, 1);
      finish(connection, { status: 0, error: error?.code || error?.message || 'CLOSED' });
      socket.destroy();
      dispatchWaiting();
    };
    socket.on('error', fail);
    socket.on('close', () => fail({ code: 'CLOSED' }));
    all.add(connection);
    open++;
    return connection;
  }

  function finish(connection, outcome) {
    const current = connection.current;
    if (!current) return;
    connection.current = null;
    current.resolve({ ...outcome, started: current.started, done: now() });
  }

  function onData(connection, chunk) {
    connection.chunks.push(chunk);
    connection.length += chunk.length;
    const buffer = connection.chunks.length === 1 ? connection.chunks[0] : Buffer.concat(connection.chunks, connection.length);
    const parsed = parseResponse(buffer);
    if (parsed === null) return; // incomplete: wait for more
    connection.chunks = [];
    connection.length = 0;
    if (parsed.error) {
      finish(connection, { status: 0, error: parsed.error });
      connection.socket.destroy();
      return;
    }
    finish(connection, parsed);
    if (parsed.close) connection.socket.destroy();
    else release(connection);
  }

  function release(connection) {
    if (!connection.alive) return;
    const next = waiting.shift();
    if (next) send(connection, next);
    else idle.push(connection);
  }

  function dispatchWaiting() {
    while (waiting.length && open < maxSockets && !closed) send(connect(), waiting.shift());
  }

  function send(connection, request) {
    connection.current = request;
    request.started = now();
    connection.socket.write(request.head);
  }

  function request(method, path, { token, body, idempotencyKey } = {}) {
    return new Promise((resolve) => {
      const payload = body === undefined ? '' : JSON.stringify(body);
      let head = `${method} ${path} HTTP/1.1\r\nHost: ${host}\r\nContent-Length: ${Buffer.byteLength(payload)}\r\n`;
      if (payload) head += 'Content-Type: application/json\r\n';
      if (token) head += `Authorization: Bearer ${token}\r\n`;
      if (idempotencyKey) head += `Idempotency-Key: ${idempotencyKey}\r\n`;
      const req = { head: `${head}\r\n${payload}`, resolve, started: 0 };
      if (closed) return resolve({ status: 0, error: 'CLIENT_CLOSED', started: now(), done: now() });
      const connection = idle.pop() ?? (open < maxSockets ? connect() : null);
      if (connection) send(connection, req);
      else waiting.push(req);
    });
  }

  function close() {
    closed = true;
    clearInterval(sweeper);
    for (const connection of idle.splice(0)) {
      connection.alive = false;
      connection.socket.destroy();
    }
  }

  return { request, close };
}

const HEADER_END = Buffer.from('\r\n\r\n');

/**
 * One complete response from the start of `buffer`: {status, text, position, close}, null when
 * more bytes are needed, or {error} for what this client does not speak.
 */
function parseResponse(buffer) {
  const headEnd = buffer.indexOf(HEADER_END);
  if (headEnd < 0) return null;
  const head = buffer.toString('latin1', 0, headEnd);
  const status = Number(head.slice(9, 12));
  let length = null;
  let chunked = false;
  let close = false;
  let position;
  const lines = head.split('\r\n');
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).toLowerCase();
    if (name === 'content-length') length = Number(line.slice(colon + 1));
    else if (name === 'transfer-encoding') chunked = /chunked/i.test(line);
    else if (name === 'connection') close = /close/i.test(line);
    else if (name === 'x-coffer-position') position = line.slice(colon + 1).trim();
  }
  const bodyStart = headEnd + 4;
  if (chunked) {
    const parts = [];
    let offset = bodyStart;
    for (;;) {
      const lineEnd = buffer.indexOf('\r\n', offset, 'latin1');
      if (lineEnd < 0) return null;
      const size = parseInt(buffer.toString('latin1', offset, lineEnd), 16);
      if (!Number.isFinite(size)) return { error: 'BAD_CHUNK' };
      const dataStart = lineEnd + 2;
      if (buffer.length < dataStart + size + 2) return null;
      if (size === 0) {
        // No trailers are sent by Fastify: the body ends with the empty line after the last chunk.
        return { status, text: Buffer.concat(parts).toString('utf8'), position, close };
      }
      parts.push(buffer.subarray(dataStart, dataStart + size));
      offset = dataStart + size + 2;
    }
  }
  if (length === null) {
    if (status === 204 || status === 304 || (status >= 100 && status < 200)) length = 0;
    else return { error: 'NO_CONTENT_LENGTH' };
  }
  if (buffer.length < bodyStart + length) return null;
  if (buffer.length > bodyStart + length) return { error: 'UNEXPECTED_BYTES' }; // no pipelining here
  return { status, text: buffer.toString('utf8', bodyStart, bodyStart + length), position, close };
}

const json = (response) => {
  try {
    return JSON.parse(response.text);
  } catch {
    return undefined;
  }
};

/** The refusal code of a non-2xx answer: the API's {error:{code}}, else the HTTP status. */
function refusalCode(response) {
  if (response.status === 0) return `NETWORK_${response.error}`;
  const code = json(response)?.error?.code;
  return code ? `${response.status} ${code}` : `${response.status} HTTP_${response.status}`;
}

// ---------------------------------------------------------------- workload pieces

/** xorshift32: a seeded, cheap PRNG so both systems see the same kind of stream. */
function rng(seed) {
  let x = seed >>> 0 || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 4294967296;
  };
}

/**
 * Zipf over N users: P(rank k) ∝ 1/k^s. With s = 1 and N = 10,000 the hottest user is in ~10% of
 * picks and the top 10 in ~30%: a few whales and a long tail, like any game economy.
 */
function zipf(n, s) {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let k = 1; k <= n; k++) cdf[k - 1] = sum += 1 / Math.pow(k, s);
  for (let i = 0; i < n; i++) cdf[i] /= sum;
  return (random) => {
    const u = random();
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid] < u) lo = mid + 1;
      else hi = mid;
    }
    return lo + 1;
  };
}

// Discord-like snowflakes (18 digits, above 2^53), sent as JSON strings.
const SNOWFLAKE_BASE = 169015299834642432n;
const userId = (rank) => (SNOWFLAKE_BASE + BigInt(rank) * 4194304n).toString();

// ---------------------------------------------------------------- setup (not measured)

async function pool(items, concurrency, fn) {
  let next = 0;
  const workers = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++];
      await fn(item);
    }
  });
  await Promise.all(workers);
}

async function createApps(baseUrl, adminToken, names, { realm } = {}) {
  const client = createClient(baseUrl);
  try {
    const apps = [];
    for (const name of names) {
      const response = await client.request('POST', '/admin/apps', { token: adminToken, body: realm ? { name, realm } : { name } });
      if (response.status !== 201) throw new Error(`POST /admin/apps answered ${response.status} ${response.text || response.error}`);
      const { app_id: appId, api_key: apiKey, key_id: keyId } = json(response);
      apps.push({ app_id: appId, api_key: apiKey, key_id: keyId, name });
    }
    return apps;
  } finally {
    client.close();
  }
}

/**
 * Grants `amount` to each of users 1..n from the treasury. Retries a grant that failed in transit.
 * `bulk`: the baseline's setup-only batch route (see baseline/server.js for why).
 */
async function fundUsers(baseUrl, adminToken, n, amount, { concurrency = 64, bulk = false, realm } = {}) {
  const client = createClient(baseUrl, { maxSockets: concurrency });
  const ranks = Array.from({ length: n }, (_, i) => i + 1);
  let failures = 0;
  if (bulk) {
    try {
      for (let i = 0; i < n; i += 1000) {
        const body = { user_ids: ranks.slice(i, i + 1000).map(userId), amount };
        const response = await client.request('POST', '/admin/grants/bulk', { token: adminToken, body });
        if (response.status !== 201) throw new Error(`POST /admin/grants/bulk answered ${response.status} ${response.text || response.error}`);
      }
      return { users: n, amount, retries: 0, bulk: true };
    } finally {
      client.close();
    }
  }
  try {
    await pool(ranks, concurrency, async (rank) => {
      for (let attempt = 0; ; attempt++) {
        const idempotencyKey = realm ? `fund-${realm}-${rank}` : `fund-${rank}`; // a retry of an unknown outcome cannot grant twice
        const response = await client.request('POST', realm ? `/admin/grants?realm=${realm}` : '/admin/grants', {
          token: adminToken,
          body: { user_id: userId(rank), amount, description: 'bench funding' },
          idempotencyKey,
        });
        if (response.status === 201) return;
        if (attempt >= 5) throw new Error(`POST /admin/grants answered ${response.status} ${response.text || response.error}`);
        failures++;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    });
  } finally {
    client.close();
  }
  return { users: n, amount, retries: failures };
}

// ---------------------------------------------------------------- the measured run

const ROUTES = {
  open: 'POST /finance/event',
  ping: 'POST /finance/event/:id/ping',
  close: 'POST /finance/event/:id/close',
  transaction: 'POST /finance/transaction',
  transfer: 'POST /finance/transfer',
  balance: 'GET /finance/balance/:user_id',
  history: 'GET /finance/transactions',
};

/**
 * Mixes, in percent of scenario picks. `mixed` is the measured workload of the issue; `posting`
 * is the peer's figure (issue 12: only `POST /finance/transaction`, credit or debit, each with
 * its own Idempotency-Key, over 100 users: run.js sets those); `fill` (writes only) grows the
 * event store for the rebuild and cold-start figures.
 */
const MIXES = {
  mixed: { session: 45, direct: 20, transfer: 10, read: 25 },
  posting: { session: 0, direct: 100, transfer: 0, read: 0 },
  fill: { session: 60, direct: 30, transfer: 10, read: 0 },
};

async function runLoad(config, hooks = {}) {
  const {
    baseUrl,
    apps,
    users = 10000,
    zipfExponent = 1,
    concurrency = 64,
    warmupSeconds = 5,
    durationSeconds = 60, // null: until stop()
    mix: mixName = 'mixed',
    skipCloseRate = 0.1,
    ackSampleEvery = 4,
    idempotencyKeys = false,
    seed = 1,
  } = config;
  const mix = MIXES[mixName];
  const client = createClient(baseUrl, { maxSockets: concurrency });
  const pickUser = zipf(users, zipfExponent);

  const startedAt = now();
  const measureStart = startedAt + warmupSeconds * 1000;
  let measureEnd = durationSeconds === null ? Infinity : measureStart + durationSeconds * 1000;
  let stopping = false;
  hooks.onStopHandle?.(() => {
    measureEnd = Math.min(measureEnd, now());
    stopping = true;
  });

  // Everything below counts completions inside [measureStart, measureEnd).
  const routes = {};
  for (const route of Object.values(ROUTES)) routes[route] = { latencies: [], ok: 0, refusals: {} };
  const refusals = {};
  const perSecond = []; // index = second of the window
  const committed = { direct: 0, transfer: 0, event_close: 0 };
  let acks = [];
  let writesSeen = 0;
  let inWindowCount = 0;

  const second = (t) => {
    const index = Math.floor((t - measureStart) / 1000);
    return (perSecond[index] ??= { requests: 0, committed: 0, latencies: [], write_latencies: [], refusals: 0 });
  };
  const inWindow = (t) => t >= measureStart && t < measureEnd;

  /** Sends one request, records it, and returns it with `ok` (2xx) set. */
  async function call(route, method, path, token, body, isWrite) {
    const idempotencyKey = idempotencyKeys && method === 'POST' ? randomUUID() : undefined;
    const response = await client.request(method, path, { token, body, idempotencyKey });
    response.ok = response.status >= 200 && response.status < 300;
    const { done } = response;
    if (inWindow(done)) {
      inWindowCount++;
      const latency = done - response.started;
      const stats = routes[route];
      const bucket = second(done);
      stats.latencies.push(latency);
      bucket.requests++;
      bucket.latencies.push(latency);
      if (isWrite) bucket.write_latencies.push(latency);
      if (response.ok) {
        stats.ok++;
        if (isWrite && response.position && ++writesSeen % ackSampleEvery === 0) acks.push([done, response.position]);
      } else {
        const code = refusalCode(response);
        stats.refusals[code] = (stats.refusals[code] || 0) + 1;
        refusals[code] = (refusals[code] || 0) + 1;
        bucket.refusals++;
      }
    }
    return response;
  }

  const commit = (kind, n, t) => {
    if (!inWindow(t) || n === 0) return;
    committed[kind] += n;
    second(t).committed += n;
  };

  async function session(app, random) {
    const open = await call(ROUTES.open, 'POST', '/finance/event', app.api_key, { description: 'bench round' }, true);
    if (!open.ok || stopping) return;
    const eventId = json(open).event_id;
    const posts = 1 + Math.floor(random() * 4);
    let pending = 0;
    for (let i = 0; i < posts && !stopping; i++) {
      if (i > 0) {
        const ping = await call(ROUTES.ping, 'POST', `/finance/event/${eventId}/ping`, app.api_key, undefined, true);
        if (!ping.ok) return; // expired under us: nothing of it will post
      }
      const body = {
        user_id: userId(pickUser(random)),
        event_id: eventId,
        type: random() < 0.5 ? 'debit' : 'credit',
        amount: 1 + Math.floor(random() * 100),
      };
      const posted = await call(ROUTES.transaction, 'POST', '/finance/transaction', app.api_key, body, true);
      if (posted.ok) pending++;
    }
    // Some rounds crash or are abandoned: no close, the event expires and its holds are voided.
    if (stopping || random() < skipCloseRate) return;
    const close = await call(ROUTES.close, 'POST', `/finance/event/${eventId}/close`, app.api_key, undefined, true);
    if (close.ok) commit('event_close', pending, close.done);
  }

  async function direct(app, random) {
    const body = {
      user_id: userId(pickUser(random)),
      type: random() < 0.5 ? 'debit' : 'credit',
      amount: 1 + Math.floor(random() * 100),
    };
    const response = await call(ROUTES.transaction, 'POST', '/finance/transaction', app.api_key, body, true);
    if (response.ok) commit('direct', 1, response.done);
  }

  async function transfer(app, random) {
    const from = pickUser(random);
    let to = pickUser(random);
    if (to === from) to = (from % users) + 1;
    const body = { from_user_id: userId(from), to_user_id: userId(to), amount: 1 + Math.floor(random() * 50) };
    const response = await call(ROUTES.transfer, 'POST', '/finance/transfer', app.api_key, body, true);
    if (response.ok) commit('transfer', 1, response.done);
  }

  async function read(app, random) {
    const user = userId(pickUser(random));
    if (random() < 0.6) await call(ROUTES.balance, 'GET', `/finance/balance/${user}`, app.api_key, undefined, false);
    else await call(ROUTES.history, 'GET', `/finance/transactions?user_id=${user}&limit=10`, app.api_key, undefined, false);
  }

  const weights = [
    [mix.session, session],
    [mix.direct, direct],
    [mix.transfer, transfer],
    [mix.read, read],
  ];
  const totalWeight = weights.reduce((sum, [w]) => sum + w, 0);

  async function virtualUser(index) {
    const app = apps[index % apps.length];
    const random = rng(seed * 7919 + index * 104729);
    while (!stopping && now() < measureEnd) {
      let pick = random() * totalWeight;
      for (const [weight, scenario] of weights) {
        if ((pick -= weight) < 0) {
          await scenario(app, random);
          break;
        }
      }
    }
  }

  const flushAcks = setInterval(() => {
    if (acks.length) hooks.onAcks?.(acks.splice(0));
  }, 100);
  const measureTimer = setTimeout(() => hooks.onPhase?.('measure', measureStart), Math.max(0, measureStart - now()));
  let endTimer;
  if (durationSeconds !== null) {
    endTimer = setTimeout(() => {
      stopping = true;
    }, measureEnd - now());
  }

  await Promise.all(Array.from({ length: concurrency }, (_, i) => virtualUser(i)));
  clearTimeout(measureTimer);
  clearTimeout(endTimer);
  clearInterval(flushAcks);
  if (acks.length) hooks.onAcks?.(acks.splice(0));
  const finishedAt = now();
  hooks.onPhase?.('done', finishedAt);
  client.close();

  const seconds = (Math.min(measureEnd, finishedAt) - measureStart) / 1000;
  const totalCommitted = committed.direct + committed.transfer + committed.event_close;
  const allLatencies = [];
  const routeSummary = {};
  for (const [route, stats] of Object.entries(routes)) {
    const count = stats.latencies.length;
    if (count === 0) continue;
    for (const latency of stats.latencies) allLatencies.push(latency);
    routeSummary[route] = {
      count,
      ok: stats.ok,
      per_second: round(count / seconds, 1),
      latency_ms: summarize(stats.latencies),
      refusals: stats.refusals,
    };
  }
  const series = perSecond.map((bucket, index) => {
    const all = summarize(bucket?.latencies ?? []);
    const writes = summarize(bucket?.write_latencies ?? []);
    return {
      second: index,
      requests: bucket?.requests ?? 0,
      committed: bucket?.committed ?? 0,
      refusals: bucket?.refusals ?? 0,
      p50_ms: all.p50,
      p99_ms: all.p99,
      p99_write_ms: writes.p99,
    };
  });
  // A last partial second would read as a drop in the chart: keep whole seconds only.
  const wholeSeconds = Math.floor(seconds + 1e-6);
  return {
    mix: mixName,
    concurrency,
    users,
    zipf_exponent: zipfExponent,
    warmup_seconds: warmupSeconds,
    window: { start: measureStart, end: Math.min(measureEnd, finishedAt), seconds: round(seconds, 2) },
    committed: { total: totalCommitted, per_second: round(totalCommitted / seconds, 1), by_kind: committed },
    requests: { total: inWindowCount, per_second: round(inWindowCount / seconds, 1) },
    latency_ms: summarize(allLatencies),
    routes: routeSummary,
    refusals,
    series: series.slice(0, wholeSeconds),
  };
}

// ---------------------------------------------------------------- child process entry

if (require.main === module) {
  let stop = () => {};
  process.on('message', (message) => {
    if (message.type === 'stop') stop();
    if (message.type !== 'run') return;
    runLoad(message.config, {
      onStopHandle: (handle) => (stop = handle),
      onPhase: (phase, t) => process.send({ type: 'phase', phase, t }),
      onAcks: (acks) => process.send({ type: 'acks', acks }),
    }).then(
      (result) => process.send({ type: 'result', result }, () => process.exit(0)),
      (error) => process.send({ type: 'error', message: error.stack || error.message }, () => process.exit(1)),
    );
  });
  process.on('disconnect', () => process.exit(0)); // the orchestrator died: stop loading its servers
}

module.exports = { createClient, createApps, fundUsers, runLoad, userId, zipf, ROUTES, MIXES };
