import { createInbox, Events, type Msg, type MsgHdrs, type NatsConnection, type NatsError, type Subscription } from 'nats';

interface Waiting {
  resolve: (msg: Msg) => void;
  reject: (error: Error) => void;
  deadline: number;
}

/** Why a request got no answer: nobody listens on the subject, or nobody answered in time. */
export class NoAnswer extends Error {}

/** The server said at once that nobody listens on the subject (a writer that is gone, or none yet). */
export class NoResponders extends NoAnswer {}

/**
 * Request/reply over one wildcard inbox subscription, answers matched by the last subject token.
 *
 * nats.js's own `request()` does the same, but settles every request by building a "Cancelled"
 * NatsError (a stack trace, for nothing) and arms a timer per request: 2–4% of the gateway's CPU
 * at full load. Here deadlines are checked by one sweep every `sweepMs`, so a request times out
 * between `timeoutMs` and `timeoutMs + sweepMs` after it was sent.
 */
export class ReplyInbox {
  private readonly prefix: string;
  private readonly waiting = new Map<string, Waiting>();
  private readonly subscription: Subscription;
  private readonly sweeper: NodeJS.Timeout;
  private sent = 0;
  /**
   * False from a disconnect until the reconnect. nats.js empties its outgoing buffer at every
   * reconnect attempt, so a request published meanwhile would be lost and wait out its timeout:
   * it is refused at once instead (nothing was sent, so retrying it is safe).
   */
  private connected = true;

  /** `inboxPrefix`: the connection's own (nats-connection.ts), which its NATS user may subscribe to. */
  constructor(
    private readonly connection: NatsConnection,
    sweepMs = 50,
    inboxPrefix?: string,
  ) {
    this.prefix = `${createInbox(inboxPrefix)}.`;
    this.subscription = connection.subscribe(`${this.prefix}*`, { callback: (error, msg) => this.deliver(error, msg) });
    this.sweeper = setInterval(() => this.expire(Date.now()), sweepMs);
    this.sweeper.unref();
    void this.followStatus();
  }

  request(subject: string, data: Uint8Array, timeoutMs: number, headers?: MsgHdrs): Promise<Msg> {
    if (!this.connected) return Promise.reject(new NoAnswer('not connected to NATS: nothing was sent'));
    const token = (this.sent++).toString(36);
    return new Promise<Msg>((resolve, reject) => {
      this.waiting.set(token, { resolve, reject, deadline: Date.now() + timeoutMs });
      try {
        this.connection.publish(subject, data, { reply: this.prefix + token, headers });
      } catch (error) {
        this.waiting.delete(token); // the connection is closed or closing
        reject(error as Error);
      }
    });
  }

  close(): void {
    clearInterval(this.sweeper);
    this.subscription.unsubscribe();
    for (const waiting of this.waiting.values()) waiting.reject(new NoAnswer('the connection to NATS is closing'));
    this.waiting.clear();
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
    const waiting = this.waiting.get(token);
    if (!waiting) return; // answered after its deadline
    this.waiting.delete(token);
    // The server's own "no responders" status: an empty message with header code 503.
    if (msg.data.length === 0 && msg.headers?.code === 503) waiting.reject(new NoResponders(`nobody listens on ${msg.subject}`));
    else waiting.resolve(msg);
  }

  private expire(now: number): void {
    for (const [token, waiting] of this.waiting) {
      if (waiting.deadline > now) continue;
      this.waiting.delete(token);
      waiting.reject(new NoAnswer('no answer in time'));
    }
  }
}
