/**
 * What travels over NATS request/reply. Every request carries the metadata that ends up on the
 * events it causes, so a correlation id follows a request from the gateway to the event store.
 */
import type { Refusal } from './errors';
import { isId } from './values/id';
import { isText } from './values/text';

/** Longest command id or correlation id a request may carry, in characters. */
export const MAX_REQUEST_ID_LENGTH = 256;

export interface RequestMeta {
  correlation_id: string;
  /** Unique per logical command; a retry after a timeout reuses it so the ledger can dedupe. */
  command_id: string;
  app_id: string | null;
  key_id: string | null;
  /**
   * When the sender stops waiting (epoch milliseconds): after it, the sender has answered 503,
   * so a command still queued must not be applied (the caller was told its outcome is unknown
   * and will retry with the same key, or not at all).
   */
  deadline_epoch_ms: number;
}

/**
 * Whether a request's meta is well-formed. Its ids land in the metadata of every event the
 * request causes, so they follow the value rules like any field: a service checks them before
 * it decides anything (a request can reach it over NATS without the gateway).
 */
export function isRequestMeta(value: unknown): value is RequestMeta {
  const meta = value as Partial<RequestMeta> | null | undefined;
  if (typeof meta !== 'object' || meta === null) return false;
  const requestId = (id: unknown) => isText(id, MAX_REQUEST_ID_LENGTH) && id !== '';
  return (
    requestId(meta.command_id) &&
    requestId(meta.correlation_id) &&
    (meta.app_id === null || isId(meta.app_id)) &&
    (meta.key_id === null || meta.key_id === undefined || isId(meta.key_id))
  );
}

export interface Request<Body> {
  meta: RequestMeta;
  body: Body;
}

export interface Accepted<Result> {
  ok: true;
  result: Result;
}

export type Reply<Result> = Accepted<Result> | Refusal;

export interface HealthReply {
  service: string;
  instance: string;
  status: 'ok';
  role?: string;
}
