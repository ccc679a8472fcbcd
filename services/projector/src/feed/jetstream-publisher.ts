import { createInbox, Events, headers, type Msg, type NatsConnection, type NatsError, type Subscription } from 'nats';

/** The headers JetStream reads on a publish (the names nats.js's `js.publish` sets). */
const MSG_ID = 'Nats-Msg-Id';
const EXPECTED_LAST_SEQUENCE = 'Nats-Expected-Last-Sequence';

export interface FeedMessage {
  subject: string;
  data: Uint8Array;
  /** The event's id: JetStream's de-duplication key. */
  msgId: string;
}

/** What JetStream answers a publish with: stored (or recognised as a duplicate), or refused. */
export interface PubAck {
  stream: string;
  seq: number;
  duplicate: boolean;
}

/** JetStream refused a message (a wrong expected sequence, a stream that is full...). */
export class JetStreamRefusal extends Error {
  constructor(
    readonly code: number,
    /** JetStream's own error code (10071: wrong last sequence). */
    readonly errCode: number | undefined,
    description: string,
  ) {
    super(`JetStream refused the message: ${description} (${code}${errCode === undefined ? '' : `/${errCode}`})`);
  }
}

/** No stream takes the subject: the server's "no responders" status (the stream is missing). */
export class NoStream extends Error {}

/** The batch was not acknowledged in full by its deadline, or could not be sent. */
export class NotAcknowledged extends Error {}

const decoder = new TextDecoder();

/**
 * Reads JetStream's answer to a publish: `{stream, seq, duplicate?}` or `{error: {code, err_code,
 * description}}`.
 */
export function parsePubAck(msg: Pick<Msg, 'data'>): PubAck {
  let answer: { stream?: unknown; seq?: unknown; duplicate?: unknown; error?: { code?: unknown; err_code?: unknown; description?: unknown } };
  try {
    answer = JSON.parse(decoder.decode(msg.data)) as typeof answer;
  } catch {
    throw new Error(`JetStream's answer to a publish is not JSON: ${decoder.decode(msg.data).slice(0, 200)}`);
  }
  if (answer === null || typeof answer !== 'object') throw new Error('JetStream answered a publish with no acknowledgement');
  if (answer.error) {
    const { code, err_code: errCode, description } = answer.error;
    throw new JetStreamRefusal(Number(code), typeof errCode === 'number' ? errCode : undefined, String(description ?? 'no description'));
  }
  if (typeof answer.stream !== 'string' || answer.stream === '' || typeof answer.seq !== 'number') {
    throw new Error(`JetStream answered a publish with an invalid acknowledgement: ${decoder.decode(msg.data).slice(0, 200)}`);
  }
  return { stream: answer.stream, seq: answer.seq, duplicate: answer.duplicate === true };
}

/** The batch in flight: an answer per message, matched by its index in the reply subject. */
interface Pending {
  /** The batch's token in reply subjects: answers to an earlier batch (after its deadline) are ignored. */
  token: string;
  messages: readonly FeedMessage[];
  acks: Array<PubAck | undefined>;
  failures: Map<number, Error>;
  answered: number;
  timer: NodeJS.Timeout;
  settle(error?: Error): void;
}

/**
 * Publishes to JetStream with plain NATS publishes, each answered on one subscription of the
 * publisher's own inbox (reply subject `<inbox>.<batch>.<index>`), not with nats.js's
 * `js.publish`: that one goes through `nc.request`, which arms a timer per message and, settling
 * each, builds a "Cancelled" NatsError with its stack trace even for a publish that succeeded (a
 * fifth of the feed's CPU). Here a batch has one timer (its deadline) and one promise. The
 * headers are the ones `js.publish` sets, so JetStream stores, de-duplicates and refuses exactly
 * as before. One batch at a time, as the feed publishes.
 */
export class JetStreamPublisher {
  private readonly prefix: string;
  private readonly subscription: Subscription;
  private pending: Pending | undefined;
  private batches = 0;
  /**
   * False from a disconnect until the reconnect. nats.js empties its outgoing buffer at every
   * reconnect attempt, so a batch published meanwhile would be lost and wait out its deadline:
   * it fails at once instead (the feed publishes it again after the stream's last message).
   */
  private connected = true;

  /** `inboxPrefix`: the connection's own (nats-connection.ts), which its NATS user may subscribe to. */
  constructor(
    private readonly connection: NatsConnection,
    inboxPrefix?: string,
  ) {
    this.prefix = `${createInbox(inboxPrefix)}.`;
    this.subscription = connection.subscribe(`${this.prefix}>`, { callback: (error, msg) => this.deliver(error, msg) });
    void this.followStatus();
  }

  /**
   * Publishes a batch pipelined, message i expecting the stream's last sequence to be
   * `lastSequence + i`: if one is not stored, no later one can be (each expects a sequence the
   * stream never reaches), so nothing is stored out of order. Resolves with every
   * acknowledgement in order once all are in; rejects with the failure of the first message that
   * failed once every message is answered, or when the deadline passes first.
   */
  publishBatch(messages: readonly FeedMessage[], lastSequence: number, timeoutMs: number): Promise<PubAck[]> {
    if (this.pending) return Promise.reject(new Error('a batch is still being published'));
    if (!this.connected) return Promise.reject(new NotAcknowledged('not connected to NATS: nothing was sent'));
    if (messages.length === 0) return Promise.resolve([]);
    const token = (this.batches++).toString(36);
    return new Promise<PubAck[]>((resolve, reject) => {
      const pending: Pending = {
        token,
        messages,
        acks: new Array<PubAck | undefined>(messages.length),
        failures: new Map(),
        answered: 0,
        timer: setTimeout(() => pending.settle(), timeoutMs),
        settle: (error) => {
          clearTimeout(pending.timer);
          if (this.pending === pending) this.pending = undefined;
          if (error) return reject(error);
          for (let i = 0; i < messages.length; i++) {
            const failure = pending.failures.get(i) ?? (pending.acks[i] ? undefined : new NotAcknowledged(`no acknowledgement within ${timeoutMs} ms`));
            if (failure) return reject(failure);
          }
          resolve(pending.acks as PubAck[]);
        },
      };
      this.pending = pending;
      try {
        for (let i = 0; i < messages.length; i++) {
          const { subject, data, msgId } = messages[i];
          const h = headers();
          h.set(MSG_ID, msgId);
          h.set(EXPECTED_LAST_SEQUENCE, `${lastSequence + i}`);
          this.connection.publish(subject, data, { reply: `${this.prefix}${token}.${i}`, headers: h });
        }
      } catch (error) {
        pending.settle(new NotAcknowledged(`the batch could not be sent: ${(error as Error).message}`)); // the connection is closed or closing
      }
    });
  }

  /** Fails the batch in flight, if any, and stops listening. */
  close(): void {
    this.subscription.unsubscribe();
    this.pending?.settle(new NotAcknowledged('the connection to NATS is closing'));
  }

  private async followStatus(): Promise<void> {
    for await (const status of this.connection.status()) {
      if (status.type === Events.Disconnect) this.connected = false;
      else if (status.type === Events.Reconnect) this.connected = true;
    }
  }

  private deliver(error: NatsError | null, msg: Msg): void {
    const pending = this.pending;
    if (error || !pending) return; // the subscription ends only with the connection; close() fails the rest
    const [token, at] = msg.subject.slice(this.prefix.length).split('.');
    const index = Number(at);
    if (token !== pending.token || !(index >= 0 && index < pending.acks.length)) return; // an earlier batch's late answer
    if (pending.acks[index] || pending.failures.has(index)) return;
    // The server's own "no responders" status: an empty message with header code 503.
    if (msg.data.length === 0 && msg.headers?.code === 503) pending.failures.set(index, new NoStream(`no stream takes ${pending.messages[index].subject}`));
    else {
      try {
        pending.acks[index] = parsePubAck(msg);
      } catch (failure) {
        pending.failures.set(index, failure as Error);
      }
    }
    if (++pending.answered === pending.acks.length) pending.settle();
  }
}
