/**
 * What travels over NATS request/reply. Every request carries the metadata that ends up on the
 * events it causes, so a correlation id follows a request from the gateway to the event store.
 */
import type { Refusal } from './errors';
import { isId } from './values/id';
import { isAppScope, type AppScope } from './values/app-scope';
import { isText } from './values/text';

/** Longest command id or correlation id a request may carry, in characters. */
export const MAX_REQUEST_ID_LENGTH = 256;

/** The longest a sender may wait for a reply (COFFER_REQUEST_TIMEOUT_MS at most). */
export const MAX_REQUEST_TIMEOUT_MS = 120_000;
/** How far apart the clocks of a sender and a service may be, for deadlines set on one and read on the other. */
export const DEADLINE_CLOCK_SKEW_MS = 30_000;
/**
 * The furthest ahead a request's deadline may lie. A service remembers the ids of recent
 * commands until their deadline, so this bounds that memory whatever a sender claims.
 */
export const MAX_DEADLINE_AHEAD_MS = MAX_REQUEST_TIMEOUT_MS + DEADLINE_CLOCK_SKEW_MS;

/**
 * How long a command sent with an Idempotency-Key is remembered for its retries, unless
 * COFFER_IDEMPOTENCY_RETENTION_HOURS says otherwise. A retry after it is decided afresh.
 */
export const DEFAULT_IDEMPOTENCY_RETENTION_MS = 72 * 3_600_000;

/**
 * Who may send requests to the services over NATS, each signing as itself (the signature header
 * names it): the gateway, for apps and the admin, and the achievements service, for the rewards
 * it pays. The ledger obeys each only in what it needs.
 */
export const SERVICE_SENDERS = ['gateway', 'achievements'] as const;
export type ServiceSender = (typeof SERVICE_SENDERS)[number];
/**
 * Everyone who signs on NATS: the senders of requests, and the ledger, which signs the writer
 * announcements senders route by (a forged one with a high term would send every command to a
 * subject nobody answers). A request signed by the ledger is refused at every door.
 */
export type Signer = ServiceSender | 'ledger';

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
  /**
   * The calling app's scopes as the gateway knows them (null or absent: every scope), so a
   * backend that keeps no app settings of its own (the achievements service) decides with them.
   * The ledger decides with its own state instead.
   */
  app_scopes?: AppScope[] | null;
  /**
   * The admin token a request of /admin was sent with (null or absent: an app's request, or the
   * system's), so the events it causes say which operator did it: the audit trail's "who".
   */
  admin_token_id?: string | null;
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
    (meta.key_id === null || meta.key_id === undefined || isId(meta.key_id)) &&
    (meta.admin_token_id === null || meta.admin_token_id === undefined || isId(meta.admin_token_id)) &&
    (meta.app_scopes === undefined || meta.app_scopes === null || (Array.isArray(meta.app_scopes) && meta.app_scopes.every(isAppScope)))
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

/**
 * Published by the active ledger writer on PATTERNS.ledgerWriter. `term` is the writer term it
 * started on the realm's stream (WriterTermStarted): a higher term is a newer writer, and senders
 * move their commands to it.
 */
export interface WriterAnnouncement {
  term: number;
  instance: string;
}

export interface HealthReply {
  service: string;
  instance: string;
  status: 'ok';
  role?: string;
}
