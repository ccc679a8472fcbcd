/**
 * What travels over NATS request/reply. Every request carries the metadata that ends up on the
 * events it causes, so a correlation id follows a request from the gateway to the event store.
 */
import type { Refusal } from './errors';

/**
 * Who may send requests to the services over NATS, each signing as itself (the signature header
 * names it): the gateway, for apps and the admin, and the achievements service, for the rewards
 * it pays. The ledger obeys each only in what it needs.
 */
export const SERVICE_SENDERS = ['gateway', 'achievements'] as const;
export type ServiceSender = (typeof SERVICE_SENDERS)[number];

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
