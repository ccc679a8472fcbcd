/**
 * The door of a NATS service: every request on a signed subject is checked before Nest parses or
 * dispatches it, and what fails is answered with a refusal, logged and counted, and never reaches
 * a handler (ScopedNatsServer calls it for every message).
 */
import { Counter, type Registry } from 'prom-client';
import type { Msg, MsgHdrs } from 'nats';
import { MAX_DEADLINE_AHEAD_MS, type Request, type ServiceSender, type Signer } from '@coffer/contracts';
import type { JsonLogger } from './logger';
import { batchEntriesOf } from './request-batch';
import { SIGNATURE_HEADER, type RefusalReason, type ServiceKeyring } from './request-signature';

/** At most one log line per refusal reason in this interval: a flood of forgeries is counted, not printed. */
const REFUSAL_LOG_INTERVAL_MS = 1_000;

/** A request as Nest's NATS client and the gateway send it: `{pattern, data, id}`. */
export interface RequestPacket {
  pattern?: unknown;
  id?: string;
  data: Request<unknown>;
}

/** One request of an admitted batch: admitted on its own deadline, or refused alone. */
export type BatchAdmission = { token: string } & ({ ok: true; packet: RequestPacket } | { ok: false; reason: RefusalReason });

export type Admission =
  | { ok: true; sender: ServiceSender; packet: RequestPacket; batch?: undefined }
  | { ok: true; sender: ServiceSender; batch: BatchAdmission[]; packet?: undefined }
  | { ok: false; reason: RefusalReason };

const decoder = new TextDecoder();

/**
 * Checks one request: its signature over the subject and the raw bytes first (nothing unsigned
 * is parsed), then that it is a request whose deadline has not passed and is not too far ahead.
 * A deadline further ahead than any sender waits (MAX_DEADLINE_AHEAD_MS) is refused: a captured
 * request stays replayable only until its deadline, so the deadline must be short even if a
 * sender's clock is wrong.
 */
export function admitRequest(
  keys: ServiceKeyring,
  subject: string,
  payload: Uint8Array,
  signature: string | undefined,
  nowMs: number,
): Admission {
  const verified = keys.verify(subject, payload, signature);
  if (!verified.ok) return verified;
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoder.decode(payload));
  } catch {
    return { ok: false, reason: 'malformed_request' };
  }
  if ((parsed as { batch?: unknown } | null)?.batch !== undefined) {
    // One signature for the whole batch (request-batch.ts); each request keeps its own deadline.
    const entries = batchEntriesOf(parsed);
    if (!entries) return { ok: false, reason: 'malformed_request' };
    const batch = entries.map(({ t, p }): BatchAdmission => {
      const refusal = deadlineRefusal(p, nowMs);
      return refusal ? { token: t, ok: false, reason: refusal } : { token: t, ok: true, packet: p };
    });
    return { ok: true, sender: verified.sender, batch };
  }
  const packet = parsed as RequestPacket;
  const refusal = deadlineRefusal(packet, nowMs);
  return refusal ? { ok: false, reason: refusal } : { ok: true, sender: verified.sender, packet };
}

function deadlineRefusal(packet: Partial<RequestPacket> | null, nowMs: number): RefusalReason | undefined {
  const deadline = packet?.data?.meta?.deadline_epoch_ms;
  if (typeof deadline !== 'number' || !Number.isFinite(deadline)) return 'malformed_request';
  if (deadline <= nowMs) return 'past_deadline';
  if (deadline > nowMs + MAX_DEADLINE_AHEAD_MS) return 'deadline_too_far';
  return undefined;
}

export class RequestDoor {
  private readonly refusals: Counter<'service' | 'reason'>;
  private readonly lastLoggedAt = new Map<RefusalReason, number>();
  private readonly unlogged = new Map<RefusalReason, number>();

  constructor(
    private readonly service: string,
    private readonly keys: ServiceKeyring,
    private readonly logger: JsonLogger,
    registry: Registry,
    private readonly clock: () => number = Date.now,
  ) {
    this.refusals = new Counter({
      name: 'coffer_nats_requests_refused_total',
      help: 'NATS requests refused before any handler saw them (unsigned, badly signed, past their deadline), by reason',
      labelNames: ['service', 'reason'] as const,
      registers: [registry],
    });
  }

  /** Headers that sign what this service itself publishes (the ledger's writer announcements). */
  signedHeaders(signer: Signer, subject: string, payload: Uint8Array): MsgHdrs {
    return this.keys.signedHeaders(signer, subject, payload);
  }

  admit(message: Msg): Admission {
    const admission = admitRequest(this.keys, message.subject, message.data, message.headers?.get(SIGNATURE_HEADER), this.clock());
    if (!admission.ok) this.refused(message.subject, admission.reason);
    else for (const entry of admission.batch ?? []) if (!entry.ok) this.refused(message.subject, entry.reason);
    return admission;
  }

  private refused(subject: string, reason: RefusalReason): void {
    this.refusals.inc({ service: this.service, reason });
    const now = this.clock();
    if (now - (this.lastLoggedAt.get(reason) ?? -Infinity) < REFUSAL_LOG_INTERVAL_MS) {
      this.unlogged.set(reason, (this.unlogged.get(reason) ?? 0) + 1);
      return;
    }
    this.lastLoggedAt.set(reason, now);
    const alsoRefused = this.unlogged.get(reason) ?? 0;
    this.unlogged.delete(reason);
    this.logger.event('warn', 'refused a NATS request at the door', {
      subject,
      reason,
      ...(alsoRefused > 0 ? { refused_since_last_line: alsoRefused } : {}),
    });
  }
}
