/**
 * GET /admin/events/stream: the store's events as server-sent events, for the console's live
 * view. Each stream is a subscription of the store's own (resumable with Last-Event-ID, the
 * global position), bounded: at most MAX_EVENT_STREAMS at once per gateway, a heartbeat comment
 * so proxies and the browser see a live connection, a client that stops reading is cut off
 * rather than buffered for, and everything stops when the client goes away.
 */
import type { ServerResponse } from 'node:http';
import { isPublicEventType, upcastEvent } from '@coffer/contracts';
import { toEnvelope, type EventStore, type RecordedEvent, type Subscription } from '@coffer/event-store';
import { ApiError } from '../http/api-error';

/** Streams one gateway serves at once: each holds a store subscription (a reader polling on wake-ups). */
export const MAX_EVENT_STREAMS = 8;
/** A comment line this often, so an idle stream is not taken for a dead one. */
export const HEARTBEAT_MS = 15_000;
/** How long a client that stopped reading may keep a batch waiting before it is cut off. */
export const STALLED_CLIENT_MS = 10_000;
/** Events handed over per read of the store. */
const BATCH_SIZE = 100;

export interface EventStreamLimits {
  maxStreams: number;
  heartbeatMs: number;
  stalledClientMs: number;
}

export class EventStreams {
  private readonly open = new Set<() => void>();

  constructor(
    private readonly store: Pick<EventStore, 'subscribeToAll' | 'headPosition'>,
    private readonly limits: EventStreamLimits = { maxStreams: MAX_EVENT_STREAMS, heartbeatMs: HEARTBEAT_MS, stalledClientMs: STALLED_CLIENT_MS },
  ) {}

  get count(): number {
    return this.open.size;
  }

  /** Refuses (429) before anything is written when every stream is taken. */
  admit(): void {
    if (this.open.size >= this.limits.maxStreams) {
      throw new ApiError('RATE_LIMITED', `at most ${this.limits.maxStreams} event streams at once: close one first`, {
        max_streams: this.limits.maxStreams,
      });
    }
  }

  /**
   * Streams the events after `after` (the head when undefined: only what happens from now on)
   * until the client disconnects or stalls. Resolves once the stream is closed.
   */
  async serve(response: ServerResponse, after: bigint | undefined): Promise<void> {
    this.admit();
    let subscription: Subscription | undefined;
    let heartbeat: NodeJS.Timeout | undefined;
    let closed = false;
    let finished!: () => void;
    const done = new Promise<void>((resolve) => (finished = resolve));
    const close = () => {
      if (closed) return;
      closed = true;
      this.open.delete(close);
      clearInterval(heartbeat);
      void subscription?.stop().catch(() => undefined);
      if (!response.writableEnded) response.end();
      finished();
    };
    // The slot is taken before anything is awaited: requests arriving together cannot all pass admit().
    this.open.add(close);
    // The response's close, not the request's: a request emits 'close' once its body is read.
    response.on('close', close);
    response.on('error', close);
    let start: bigint | undefined;
    try {
      start = after ?? (await this.store.headPosition());
    } catch {
      // Nothing written yet: the client gets the API's 503 and retries.
      if (!response.headersSent && !response.destroyed) {
        response.writeHead(503, { 'content-type': 'application/json; charset=utf-8', 'retry-after': '1' });
        response.write(JSON.stringify({ error: { code: 'UNAVAILABLE', message: 'the event store does not answer: retry shortly' } }));
      }
      close();
      return done;
    }
    if (response.destroyed || response.socket?.destroyed) close(); // gone while the head was read
    if (closed) return done;

    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no', // nginx: pass each event on at once
    });
    response.write(`retry: 3000\n: streaming events after position ${start ?? 'the beginning'}\n\n`);
    heartbeat = setInterval(() => this.write(response, ': heartbeat\n\n').catch(close), this.limits.heartbeatMs);
    heartbeat.unref();

    subscription = this.store.subscribeToAll(
      async (events) => {
        if (closed) return;
        const text = events.map(eventText).join('');
        // Awaited: the subscription reads no further while this client has not taken the batch.
        if (text) await this.write(response, text);
      },
      { after: start, batchSize: BATCH_SIZE, minReadIntervalMs: 100 },
    );
    subscription.done.then(close, close);
    if (closed) void subscription.stop().catch(() => undefined);
    return done;
  }

  /** Stops every stream (the gateway is shutting down). */
  closeAll(): void {
    for (const close of [...this.open]) close();
  }

  /** Writes, waiting for the socket to drain when its buffer is full; a client that never drains is an error. */
  private write(response: ServerResponse, text: string): Promise<void> {
    if (response.writableEnded || response.destroyed) return Promise.reject(new Error('closed'));
    if (response.write(text)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        cleanup();
        response.destroy();
        reject(new Error('the client stopped reading'));
      }, this.limits.stalledClientMs);
      const drained = () => {
        cleanup();
        resolve();
      };
      const cleanup = () => {
        clearTimeout(timer);
        response.off('drain', drained);
      };
      response.on('drain', drained);
    });
  }
}

/** One SSE message: `id` the global position (what Last-Event-ID resumes from), `event` its type. */
function eventText(recorded: RecordedEvent): string {
  let event: RecordedEvent;
  try {
    event = upcastEvent(recorded);
  } catch {
    return ''; // the feed quarantines what cannot be read; the console just does not show it
  }
  // What the analytics feed publishes, no more (internal events carry key hashes and such).
  if (!isPublicEventType(event.type)) return '';
  return `id: ${event.globalPosition}\nevent: ${event.type}\ndata: ${JSON.stringify(toEnvelope(event))}\n\n`;
}
