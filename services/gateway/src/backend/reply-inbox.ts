import { createInbox, Events, type Msg, type MsgHdrs, type NatsConnection, type NatsError, type Subscription } from 'nats';
import {
  batchRepliesOf,
  BATCH_FRAME_BYTES,
  encodeBatch,
  entryOverheadBytes,
  MAX_BATCH_BYTES,
  MAX_BATCH_REQUESTS,
  type ReplyPacket,
} from '@coffer/platform';

interface Waiting {
  resolve: (reply: ReplyPacket) => void;
  reject: (error: Error) => void;
  deadline: number;
  /** The batch it left in (its reply subject's token), once it left. */
  batch?: string;
}

/** Requests for one subject that leave together at the end of this event-loop turn. */
interface Departure {
  entries: Array<{ token: string; packet: Uint8Array }>;
  bytes: number;
}

/** Signs a message's bytes for the subject it goes to. */
export type SignFor = (subject: string, payload: Uint8Array) => MsgHdrs;

/** Why a request got no answer: nobody listens on the subject, or nobody answered in time. */
export class NoAnswer extends Error {}

/** The server said at once that nobody listens on the subject (a writer that is gone, or none yet). */
export class NoResponders extends NoAnswer {}

/** A service answered with bytes that are not a reply packet: its fault, not an outage. */
export class UnreadableAnswer extends Error {}

/**
 * Request/reply over one wildcard inbox subscription, answers matched by the last subject token.
 *
 * Requests sent with `request` leave in a batch (@coffer/platform request-batch.ts): those for
 * one subject in one event-loop turn go as one signed message, and their answers come back in as
 * few messages as the service settles them in. Each request keeps its own token, deadline and
 * answer; a batch the server says nobody listens for refuses each of its requests with
 * NoResponders. `requestAlone` sends one unbatched request (health probes, whose handlers take
 * unsigned single requests).
 *
 * nats.js's own `request()` settles every request by building a "Cancelled" NatsError (a stack
 * trace, for nothing) and arms a timer per request: here deadlines are checked by one sweep every
 * `sweepMs`, so a request times out between `timeoutMs` and `timeoutMs + sweepMs` after it was sent.
 */
export class ReplyInbox {
  private readonly prefix: string;
  private readonly waiting = new Map<string, Waiting>();
  /** Batches sent and not yet fully answered: their requests' tokens still waiting. */
  private readonly batches = new Map<string, Set<string>>();
  private readonly departing = new Map<string, Departure>();
  private departureScheduled = false;
  private readonly subscription: Subscription;
  private readonly sweeper: NodeJS.Timeout;
  private sent = 0;
  /** Requests sent in batches, and the messages they left in (metrics: the mean batch size). */
  readonly batched = { requests: 0, messages: 0 };
  /**
   * False from a disconnect until the reconnect. nats.js empties its outgoing buffer at every
   * reconnect attempt, so a request published meanwhile would be lost and wait out its timeout:
   * it is refused at once instead (nothing was sent, so retrying it is safe).
   */
  private connected = true;

  /** `inboxPrefix`: the connection's own (nats-connection.ts), which its NATS user may subscribe to. */
  constructor(
    private readonly connection: NatsConnection,
    private readonly sign: SignFor,
    sweepMs = 50,
    inboxPrefix?: string,
  ) {
    this.prefix = `${createInbox(inboxPrefix)}.`;
    this.subscription = connection.subscribe(`${this.prefix}*`, { callback: (error, msg) => this.deliver(error, msg) });
    this.sweeper = setInterval(() => this.expire(Date.now()), sweepMs);
    this.sweeper.unref();
    void this.followStatus();
  }

  /** Sends the request's bytes in this turn's batch for `subject`; resolves with its answer. */
  request(subject: string, packet: Uint8Array, timeoutMs: number): Promise<ReplyPacket> {
    return this.awaitAnswer(timeoutMs, (token) => this.depart(subject, token, packet));
  }

  /** Sends one request on its own, signed, at once. */
  requestAlone(subject: string, packet: Uint8Array, timeoutMs: number): Promise<ReplyPacket> {
    return this.awaitAnswer(timeoutMs, (token) => this.connection.publish(subject, packet, { reply: this.prefix + token, headers: this.sign(subject, packet) }));
  }

  /** Registers a waiting request under a new token and sends it; a send that throws (the connection closing) refuses it at once. */
  private awaitAnswer(timeoutMs: number, send: (token: string) => void): Promise<ReplyPacket> {
    if (!this.connected) return Promise.reject(new NoAnswer('not connected to NATS: nothing was sent'));
    const token = this.nextToken();
    return new Promise<ReplyPacket>((resolve, reject) => {
      this.waiting.set(token, { resolve, reject, deadline: Date.now() + timeoutMs });
      try {
        send(token);
      } catch (error) {
        this.waiting.delete(token);
        reject(error as Error);
      }
    });
  }

  close(): void {
    clearInterval(this.sweeper);
    this.subscription.unsubscribe();
    for (const waiting of this.waiting.values()) waiting.reject(new NoAnswer('the connection to NATS is closing'));
    this.waiting.clear();
    this.batches.clear();
    this.departing.clear();
  }

  private nextToken(): string {
    return (this.sent++).toString(36);
  }

  private depart(subject: string, token: string, packet: Uint8Array): void {
    const size = entryOverheadBytes(token) + packet.byteLength + 1;
    let departure = this.departing.get(subject);
    // Full (by count or bytes): what is gathered leaves now, and this request starts the next batch.
    if (departure && (departure.entries.length >= MAX_BATCH_REQUESTS || departure.bytes + size > MAX_BATCH_BYTES)) {
      this.departing.delete(subject);
      this.send(subject, departure);
      departure = undefined;
    }
    if (!departure) {
      departure = { entries: [], bytes: BATCH_FRAME_BYTES };
      this.departing.set(subject, departure);
    }
    departure.entries.push({ token, packet });
    departure.bytes += size;
    if (this.departureScheduled) return;
    // At the end of this turn, after every request this turn's I/O brought in was handled.
    this.departureScheduled = true;
    setImmediate(() => {
      this.departureScheduled = false;
      const leaving = [...this.departing];
      this.departing.clear();
      for (const [to, each] of leaving) this.send(to, each);
    });
  }

  private send(subject: string, departure: Departure): void {
    const batch = this.nextToken();
    const tokens = new Set<string>();
    for (const { token } of departure.entries) {
      const waiting = this.waiting.get(token);
      if (!waiting) continue; // expired before it left (a turn longer than its deadline)
      waiting.batch = batch;
      tokens.add(token);
    }
    if (tokens.size === 0) return;
    this.batches.set(batch, tokens);
    try {
      const body = encodeBatch(departure.entries.filter(({ token }) => tokens.has(token)));
      this.connection.publish(subject, body, { reply: this.prefix + batch, headers: this.sign(subject, body) });
      this.batched.requests += tokens.size;
      this.batched.messages++;
    } catch (error) {
      this.settleBatch(batch, (waiting) => waiting.reject(error as Error)); // the connection is closed or closing
    }
  }

  private async followStatus(): Promise<void> {
    for await (const status of this.connection.status()) {
      if (status.type === Events.Disconnect) this.connected = false;
      else if (status.type === Events.Reconnect) this.connected = true;
    }
  }

  private deliver(error: NatsError | null, msg: Msg): void {
    if (error) return; // the subscription ends only with the connection; close() answers the rest
    const token = msg.subject.slice(this.prefix.length);
    // The server's own "no responders" status: an empty message with header code 503.
    const nobody = msg.data.length === 0 && msg.headers?.code === 503;
    if (this.batches.has(token)) {
      if (nobody) return this.settleBatch(token, (waiting) => waiting.reject(new NoResponders(`nobody listens for batch ${token}`)));
      let parsed: unknown;
      try {
        parsed = JSON.parse(Buffer.from(msg.data).toString('utf8'));
      } catch {
        parsed = undefined;
      }
      const replies = batchRepliesOf(parsed);
      if (!replies) {
        // The service's door refused the batch as a whole (its signature): one error packet, the answer of each request.
        const refusal = parsed as ReplyPacket | undefined;
        if (refusal?.err !== undefined && refusal.err !== null) return this.settleBatch(token, (waiting) => waiting.resolve(refusal));
        return this.settleBatch(token, (waiting) => waiting.reject(new UnreadableAnswer('the answer to a batch is not a batch reply')));
      }
      const ofThisBatch = this.batches.get(token)!;
      for (const { t, r } of replies) if (ofThisBatch.has(t)) this.settle(t, (waiting) => waiting.resolve(r));
      return;
    }
    if (nobody) return this.settle(token, (waiting) => waiting.reject(new NoResponders(`nobody listens on ${msg.subject}`)));
    let reply: ReplyPacket;
    try {
      reply = JSON.parse(Buffer.from(msg.data).toString('utf8')) as ReplyPacket;
    } catch {
      return this.settle(token, (waiting) => waiting.reject(new UnreadableAnswer('the answer is not JSON')));
    }
    this.settle(token, (waiting) => waiting.resolve(reply));
  }

  /** Settles one request if it still waits (an answer after its deadline finds nobody). */
  private settle(token: string, how: (waiting: Waiting) => void): void {
    const waiting = this.waiting.get(token);
    if (!waiting) return;
    this.waiting.delete(token);
    if (waiting.batch !== undefined) {
      const tokens = this.batches.get(waiting.batch);
      tokens?.delete(token);
      if (tokens?.size === 0) this.batches.delete(waiting.batch);
    }
    how(waiting);
  }

  private settleBatch(batch: string, how: (waiting: Waiting) => void): void {
    for (const token of this.batches.get(batch) ?? []) this.settle(token, how);
    this.batches.delete(batch);
  }

  private expire(now: number): void {
    for (const [token, waiting] of this.waiting) {
      if (waiting.deadline > now) continue;
      this.settle(token, (expired) => expired.reject(new NoAnswer('no answer in time')));
    }
  }
}
