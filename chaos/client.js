// The clients' side of the protocol API.md asks for: every write carries an Idempotency-Key and is
// sent again with the same key until a definitive answer (a 2xx, or a 4xx other than 429); 503s,
// other 5xx, 429s, timeouts and broken connections are retried with bounded, jittered backoff, and
// a write still without a definitive answer after WRITE_RETRY_BOUND_MS is "unknown", never lost.
// Every answer (or failure to get one) is recorded with its time, so each fault's window can be
// counted afterwards.
'use strict';

const http = require('node:http');

const REQUEST_TIMEOUT_MS = 10_000; // longer than the gateway's own NATS timeout (5 s), so its 503 arrives first
const WRITE_RETRY_BOUND_MS = 45_000; // longer than any fault's outage: past it, the outcome is "unknown"
const BACKOFF_BASE_MS = 50;
const BACKOFF_MAX_MS = 500;
const RETRY_AFTER_MAX_MS = 2_000; // a Retry-After is honoured up to this

const now = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Every HTTP answer of the run: {t (answer), sent, write, route, status (0 = no answer), error}. */
class Traffic {
  constructor() {
    this.answers = [];
  }

  record(entry) {
    this.answers.push(entry);
  }

  /** Counts by kind of answer among those that arrived in [from, to). */
  countBetween(from, to) {
    const counts = { requests: 0, ok: 0, status_503: 0, status_500: 0, other_5xx: 0, status_429: 0, other_4xx: 0, no_answer: 0, slowest_write_ms: 0, by_route: {} };
    for (const a of this.answers) {
      if (a.t < from || a.t >= to) continue;
      counts.requests++;
      // What one client waited for one answer: a request stuck on a dead or frozen backend shows here.
      if (a.write) counts.slowest_write_ms = Math.max(counts.slowest_write_ms, Math.round(a.t - a.sent));
      const bucket =
        a.status === 0
          ? 'no_answer'
          : a.status < 400
            ? 'ok'
            : a.status === 503
              ? 'status_503'
              : a.status === 500
                ? 'status_500'
                : a.status >= 500
                  ? 'other_5xx'
                  : a.status === 429
                    ? 'status_429'
                    : 'other_4xx';
      counts[bucket]++;
      if (bucket !== 'ok') {
        const key = `${a.route} ${a.status || a.error}`;
        counts.by_route[key] = (counts.by_route[key] || 0) + 1;
      }
    }
    return counts;
  }
}

class HttpClient {
  constructor(baseUrl, traffic) {
    const url = new URL(baseUrl);
    this.host = url.hostname;
    this.port = Number(url.port);
    this.traffic = traffic;
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 128 });
  }

  /** One request: {status (0 when none came), json, headers, error, sent, t}. Never throws. */
  request(method, path, { token, body, idempotencyKey, route, write = false } = {}) {
    const payload = body === undefined ? null : Buffer.from(JSON.stringify(body));
    const headers = { Connection: 'keep-alive' };
    if (payload) headers['Content-Type'] = 'application/json';
    headers['Content-Length'] = payload ? payload.length : 0;
    if (token) headers.Authorization = `Bearer ${token}`;
    if (idempotencyKey) headers['Idempotency-Key'] = idempotencyKey;
    const sent = now();
    return new Promise((resolve) => {
      let settled = false;
      const finish = (answer) => {
        if (settled) return;
        settled = true;
        const entry = { ...answer, sent, t: now() };
        this.traffic.record({ t: entry.t, sent, write, route: route ?? path, status: entry.status, error: entry.error });
        resolve(entry);
      };
      const req = http.request({ host: this.host, port: this.port, method, path, headers, agent: this.agent }, (res) => {
        const chunks = [];
        res.on('data', (chunk) => chunks.push(chunk));
        res.on('error', (error) => finish({ status: 0, error: error.code || error.message }));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          finish({ status: res.statusCode, json, headers: res.headers });
        });
      });
      req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
      req.on('error', (error) => finish({ status: 0, error: error.code || error.message }));
      req.end(payload ?? undefined);
    });
  }

  /**
   * A write, retried with the same Idempotency-Key until a definitive answer or the bound:
   * {outcome: 'acked'|'refused'|'unknown', status, code, json, position, replayed, attempts,
   *  first_sent, last_sent (of the attempt that answered), done}.
   */
  async write(method, path, { token, body, idempotencyKey, route, backoffMaxMs = BACKOFF_MAX_MS }) {
    const firstSent = now();
    const deadline = firstSent + WRITE_RETRY_BOUND_MS;
    let delay = BACKOFF_BASE_MS;
    let attempts = 0;
    for (;;) {
      attempts++;
      const answer = await this.request(method, path, { token, body, idempotencyKey, route, write: true });
      const base = { status: answer.status, json: answer.json, attempts, first_sent: firstSent, last_sent: answer.sent, done: answer.t };
      if (answer.status >= 200 && answer.status < 300) {
        return {
          ...base,
          outcome: 'acked',
          position: answer.headers['x-coffer-position'] ?? null,
          replayed: answer.headers['idempotent-replayed'] === 'true',
        };
      }
      if (answer.status >= 400 && answer.status < 500 && answer.status !== 429) {
        return { ...base, outcome: 'refused', code: answer.json?.error?.code ?? `HTTP_${answer.status}` };
      }
      if (now() >= deadline) {
        return { ...base, outcome: 'unknown', code: answer.status ? `HTTP_${answer.status}` : answer.error };
      }
      const retryAfterMs = Number(answer.headers?.['retry-after']) * 1000;
      const wait = Number.isFinite(retryAfterMs) && retryAfterMs > 0 ? Math.min(retryAfterMs, RETRY_AFTER_MAX_MS) : Math.random() * delay;
      delay = Math.min(delay * 2, backoffMaxMs);
      await sleep(Math.min(wait, Math.max(0, deadline - now())));
    }
  }

  close() {
    this.agent.destroy();
  }
}

module.exports = { HttpClient, Traffic, WRITE_RETRY_BOUND_MS };
