// Projector lag, measured from outside: the load generator reports when a write was acknowledged
// and its X-Coffer-Position; this sampler listens, on a connection of its own, to the projector's
// commit announcements (coffer_read_checkpoint, the channel gateways wait on for read-your-
// writes) and notes when the checkpoint first reached each position; a slow poll backs it up.
// Lag = that moment − the acknowledgement: how long a client waits before a read model shows its
// write. It errs high by one notification delivery, never low.
'use strict';

const { Client } = require('pg');
const { summarize } = require('./stats');

const now = () => performance.timeOrigin + performance.now();

class LagSampler {
  constructor(databaseUrl, { intervalMs = 100 } = {}) {
    this.databaseUrl = databaseUrl;
    this.intervalMs = intervalMs;
    this.pending = []; // [ackTime, position] not yet seen in the checkpoint, in arrival order
    this.lags = []; // [ackTime, lagMs]
    this.checkpoint = -1n;
    this.running = false;
  }

  async start() {
    this.client = new Client({ connectionString: this.databaseUrl });
    this.client.on('error', () => {});
    await this.client.connect();
    this.pid = this.client.processID; // its CPU is the bench's, not PostgreSQL's work for Coffer
    this.client.on('notification', (message) => {
      if (/^\d+$/.test(message.payload ?? '')) this.reached(BigInt(message.payload), now());
    });
    await this.client.query('LISTEN coffer_read_checkpoint');
    this.running = true;
    this.loop = this.poll();
  }

  add(acks) {
    for (const [t, position] of acks) this.pending.push([t, BigInt(position)]);
    this.reached(this.checkpoint, now()); // already announced before the ack arrived: no lag
  }

  async poll() {
    while (this.running) {
      try {
        const { rows } = await this.client.query('SELECT position FROM coffer_read.checkpoint');
        const seen = now();
        if (rows.length) this.reached(BigInt(rows[0].position), seen);
      } catch {
        // A rebuild swapping views, or the database busy: the next poll will tell.
      }
      await new Promise((resolve) => setTimeout(resolve, this.intervalMs));
    }
  }

  reached(position, seen) {
    if (position > this.checkpoint) this.checkpoint = position;
    if (!this.pending.length) return;
    const still = [];
    for (const entry of this.pending) {
      if (entry[1] <= this.checkpoint) this.lags.push([entry[0], Math.max(0, seen - entry[0])]);
      else still.push(entry);
    }
    this.pending = still;
  }

  /** Waits until every reported ack is seen (or `timeoutMs`), then summarizes the window. */
  async stop({ windowStart = -Infinity, windowEnd = Infinity, timeoutMs = 30000 } = {}) {
    const deadline = Date.now() + timeoutMs;
    while (this.pending.length && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    this.running = false;
    await this.loop;
    await this.client.end().catch(() => {});
    const inWindow = this.lags.filter(([t]) => t >= windowStart && t < windowEnd);
    const perSecond = [];
    for (const [t, lag] of inWindow) {
      const second = Math.floor((t - windowStart) / 1000);
      (perSecond[second] ??= []).push(lag);
    }
    return {
      samples: inWindow.length,
      never_seen: this.pending.length,
      poll_interval_ms: this.intervalMs,
      lag_ms: summarize(inWindow.map(([, lag]) => lag)),
      series: Array.from(perSecond, (lags) => summarize(lags ?? []).p99),
    };
  }
}

module.exports = { LagSampler };
