/**
 * Several requests in one NATS message, and their answers in one message back (issue 12: fewer,
 * bigger messages). Requests that reach a gateway in one event-loop turn leave for one subject
 * as one batch; the service takes each as if it had come alone (its own deadline, its own
 * handler call, its own answer) and answers the batch with the answers that settled in one turn,
 * so a batch whose commands share one group commit comes back as one message. What a message
 * costs (a NATS frame, a signature made and checked, a socket write and a wake-up on each side)
 * is then paid once per batch, not per request.
 *
 * The wire format is JSON, with each request's bytes embedded as sent alone (so the gateway
 * re-serialises nothing, and a request sent again after a takeover is the same bytes):
 *
 *     request  {"batch":[{"t":"<token>","p":<request packet>}, ...]}   signed as a whole
 *     answer   {"replies":[{"t":"<token>","r":<reply packet>}, ...]}
 *
 * A token names one attempt of one request in the sender's inbox (not the request: a request
 * sent again has a new token, and its first attempt's late answer is ignored).
 */
import type { RequestPacket } from './request-door';

/** Most requests in one batch. A turn with more leaves as several batches. */
export const MAX_BATCH_REQUESTS = 256;

/**
 * Most bytes of one batch, well below NATS's default max_payload (1 MiB) so headers fit too. The
 * gateway's bodies are at most 64 KiB, so a batch always has room for at least one request.
 */
export const MAX_BATCH_BYTES = 512 * 1024;

export interface BatchEntry {
  t: string;
  p: RequestPacket;
}

/** What a service answers one request of a batch with (a NestJS reply packet). */
export interface ReplyPacket {
  id?: string;
  response?: unknown;
  err?: unknown;
  isDisposed?: boolean;
}

export interface BatchReply {
  replies: Array<{ t: string; r: ReplyPacket }>;
}

const OPEN = Buffer.from('{"batch":[');
const CLOSE = Buffer.from(']}');
const COMMA = Buffer.from(',');
const CLOSE_ENTRY = Buffer.from('}');

/** Bytes of one entry besides its packet: `{"t":"<token>","p":}`. */
export function entryOverheadBytes(token: string): number {
  return token.length + 13;
}

/** Bytes of a batch of these entries (for the MAX_BATCH_BYTES check before adding one). */
export const BATCH_FRAME_BYTES = OPEN.length + CLOSE.length;

export function encodeBatch(entries: ReadonlyArray<{ token: string; packet: Uint8Array }>): Buffer {
  const parts: Uint8Array[] = [OPEN];
  entries.forEach(({ token, packet }, i) => {
    if (i > 0) parts.push(COMMA);
    parts.push(Buffer.from(`{"t":${JSON.stringify(token)},"p":`), packet, CLOSE_ENTRY);
  });
  parts.push(CLOSE);
  return Buffer.concat(parts);
}

/** The entries of a parsed message if it is a well-formed batch (every entry a token and an object), else undefined. */
export function batchEntriesOf(parsed: unknown): BatchEntry[] | undefined {
  const batch = (parsed as { batch?: unknown } | null)?.batch;
  if (!Array.isArray(batch) || batch.length === 0 || batch.length > MAX_BATCH_REQUESTS) return undefined;
  for (const entry of batch) {
    const { t, p } = (entry ?? {}) as Partial<BatchEntry>;
    if (typeof t !== 'string' || t.length === 0 || t.length > 64 || typeof p !== 'object' || p === null) return undefined;
  }
  return batch as BatchEntry[];
}

export function encodeBatchReply(replies: BatchReply['replies']): Buffer {
  return Buffer.from(JSON.stringify({ replies } satisfies BatchReply));
}

/** The answers of a batch reply, or undefined when the message is not one. */
export function batchRepliesOf(parsed: unknown): BatchReply['replies'] | undefined {
  const replies = (parsed as Partial<BatchReply> | null)?.replies;
  return Array.isArray(replies) ? replies : undefined;
}
