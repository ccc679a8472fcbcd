/**
 * A finance event that keeps itself open: the SDK pings it at a fraction of its timeout until it
 * is closed, so a game never loses a round (and its players' bets) to a missed ping. The timeout
 * is learned from each reply's `expires_at`, never assumed: the server's COFFER_EVENT_TIMEOUT_SECONDS
 * may be 60 s or 2 s.
 *
 * The heartbeat stops for good on close(), on abort(), on stop(), and on a refusal that no later ping can
 * change (EVENT_NOT_OPEN: it expired or was closed elsewhere; NOT_FOUND; a revoked key). A ping
 * that fails otherwise (the gateway restarting) is tried again sooner, until the event's
 * expiry has passed by the server's word. The timer is unref'd: a game process that ends does
 * not wait for it, and its round then expires and refunds, as the API promises.
 */
import { EventNotOpenError, ForbiddenError, NotFoundError, UnauthenticatedError } from './errors.js';
import type { Events, Transactions } from './resources/finance.js';
import { unrefTimer, type Timer } from './runtime.js';
import type { CallOptions } from './transport.js';
import type { FinanceEventAborted, FinanceEventClosed, FinanceEventOpened, Transaction } from './types.js';
import type { AmountInput, UserIdInput } from './values.js';

export interface SessionOptions {
  description?: string | null;
  /**
   * Ping after this fraction of the time left before expiry (default 1/3, at most 1/2): two
   * pings can fail in a row and the event still stays open.
   */
  pingFraction?: number;
  /** Never ping more often than this (default 100 ms): a bound when the clocks disagree. */
  minPingIntervalMs?: number;
  /** Told of every ping that failed, and of the refusal that ended the session. */
  onError?: (error: unknown, session: Session) => void;
}

export interface SessionTransactionOptions extends CallOptions {
  currency?: string;
  description?: string | null;
}

/** open: pinging; closed: close() succeeded; aborted: abort() succeeded; stopped: stop() was called; lost: the server ended it. */
export type SessionState = 'open' | 'closing' | 'closed' | 'aborted' | 'stopped' | 'lost';

/** Refusals after which no ping can help. */
function isTerminal(error: unknown): boolean {
  return (
    error instanceof EventNotOpenError ||
    error instanceof NotFoundError ||
    error instanceof UnauthenticatedError ||
    error instanceof ForbiddenError
  );
}

export class Session {
  private timer: Timer | undefined;
  private inFlight: Promise<unknown> | undefined;
  private closing: Promise<FinanceEventClosed> | undefined;
  private aborting: Promise<FinanceEventAborted> | undefined;
  private stateNow: SessionState = 'open';
  private expiresAtMs: number;
  private pings = 0;
  /** The refusal that ended the session, when the server ended it. */
  lastError: unknown;

  private readonly fraction: number;
  private readonly minIntervalMs: number;

  constructor(
    private readonly events: Events,
    private readonly transactions: Transactions,
    opened: FinanceEventOpened,
    serverDate: string | null,
    private readonly options: SessionOptions = {},
  ) {
    this.eventId = opened.event_id;
    this.fraction = Math.min(Math.max(options.pingFraction ?? 1 / 3, 0.05), 0.5);
    this.minIntervalMs = Math.max(options.minPingIntervalMs ?? 100, 10);
    this.expiresAtMs = Date.parse(opened.expires_at);
    this.schedule(opened.expires_at, serverDate);
  }

  readonly eventId: number;

  get state(): SessionState {
    return this.stateNow;
  }

  /** When the event expires unless pinged, by the server's last word. */
  get expiresAt(): Date {
    return new Date(this.expiresAtMs);
  }

  /** How many pings succeeded. */
  get pingCount(): number {
    return this.pings;
  }

  /** A pending debit of the round: held from the user's available balance until close. */
  debit(userId: UserIdInput, amount: AmountInput, options: SessionTransactionOptions = {}): Promise<Transaction> {
    return this.post('debit', userId, amount, options);
  }

  /** A pending credit of the round: paid when the session closes. */
  credit(userId: UserIdInput, amount: AmountInput, options: SessionTransactionOptions = {}): Promise<Transaction> {
    return this.post('credit', userId, amount, options);
  }

  /** Pings now (the heartbeat does this by itself). */
  async ping(options?: CallOptions): Promise<FinanceEventOpened> {
    const pinged = await this.guard(this.events.ping(this.eventId, options));
    this.pings++;
    this.expiresAtMs = Date.parse(pinged.expires_at);
    return pinged;
  }

  /**
   * Closes the round: every pending transaction posts. The heartbeat stops first; if the close
   * fails in a way a later close may fix (the gateway unavailable), it resumes, so the caller can
   * close again without the round expiring meanwhile.
   */
  close(options?: CallOptions): Promise<FinanceEventClosed> {
    // A second close while the first is under way is the same close (a second request would be
    // refused EVENT_NOT_OPEN once the first succeeds, and mark the session lost).
    this.closing ??= this.finish('closed', () => this.events.close(this.eventId, options)).finally(() => {
      this.closing = undefined;
    });
    return this.closing;
  }

  /**
   * Aborts the round (it was cancelled, the game cannot go on): every pending transaction is
   * voided now, as an expiry would, and the heartbeat stops. Like close(), a failure a later
   * abort may fix (the gateway unavailable) resumes the heartbeat, so the caller can abort again.
   */
  abort(options?: CallOptions): Promise<FinanceEventAborted> {
    this.aborting ??= this.finish('aborted', () => this.events.abort(this.eventId, options)).finally(() => {
      this.aborting = undefined;
    });
    return this.aborting;
  }

  /**
   * Ends the round by `call` (close or abort): the heartbeat stops first (and a ping in flight is
   * let finish); if the call fails in a way a later one may fix, the heartbeat resumes.
   */
  private async finish<Answer>(ending: 'closed' | 'aborted', call: () => Promise<Answer>): Promise<Answer> {
    if (this.stateNow === 'closed' || this.stateNow === 'aborted') throw new Error(`session ${this.eventId} is already ${this.stateNow}`);
    const wasPinging = this.stateNow === 'open';
    this.stateNow = 'closing';
    this.cancelTimer();
    await this.inFlight?.catch(() => undefined);
    try {
      const answer = await call();
      this.stateNow = ending;
      return answer;
    } catch (error) {
      if (isTerminal(error)) {
        this.end(error);
      } else {
        this.stateNow = wasPinging ? 'open' : 'stopped';
        this.scheduleIn(this.minIntervalMs);
      }
      throw error;
    }
  }

  /** Stops pinging without closing: the event expires after its timeout and every pending transaction is voided. */
  stop(): void {
    if (this.stateNow === 'open' || this.stateNow === 'closing') this.stateNow = 'stopped';
    this.cancelTimer();
  }

  private async post(type: 'credit' | 'debit', userId: UserIdInput, amount: AmountInput, options: SessionTransactionOptions) {
    const { currency, description, ...call } = options;
    return this.guard(
      this.transactions.post({ user_id: userId, event_id: this.eventId, type, amount, currency, description }, call),
    );
  }

  /** A call of the session: a refusal that ends the event ends the heartbeat too. */
  private async guard<T>(call: Promise<T>): Promise<T> {
    try {
      return await call;
    } catch (error) {
      if (error instanceof EventNotOpenError && this.stateNow === 'open') this.end(error);
      throw error;
    }
  }

  private end(error: unknown): void {
    this.stateNow = 'lost';
    this.lastError = error;
    this.cancelTimer();
  }

  /**
   * The next ping after `fraction` of the time left. The time left is the smaller of two
   * estimates: by this machine's clock, and by the response's Date header (the server's clock,
   * to the second), so a client clock that runs behind cannot make the heartbeat too slow.
   */
  private schedule(expiresAt: string, serverDate: string | null): void {
    const now = Date.now();
    const expires = Date.parse(expiresAt);
    let left = expires - now;
    const server = serverDate ? Date.parse(serverDate) : NaN;
    if (!Number.isNaN(server)) left = Math.min(left, expires - server);
    this.scheduleIn(Math.max(this.minIntervalMs, Math.floor(left * this.fraction)));
  }

  private scheduleIn(ms: number): void {
    this.cancelTimer();
    if (this.stateNow !== 'open') return;
    this.timer = unrefTimer(setTimeout(() => this.beat(), ms));
  }

  private beat(): void {
    this.timer = undefined;
    if (this.stateNow !== 'open') return;
    // The ping's retries must end before the event would expire: past that, a ping is pointless.
    const deadlineMs = Math.max(this.minIntervalMs, this.expiresAtMs - Date.now());
    const attempt = this.events.pingWithDate(this.eventId, { retry: { deadlineMs: Math.min(deadlineMs, 30000) } });
    this.inFlight = attempt;
    attempt.then(
      ({ body, date }) => {
        this.pings++;
        this.expiresAtMs = Date.parse(body.expires_at);
        if (this.stateNow === 'open') this.schedule(body.expires_at, date);
      },
      (error: unknown) => {
        if (this.stateNow !== 'open') return;
        if (isTerminal(error)) this.end(error);
        else this.scheduleIn(Math.max(this.minIntervalMs * 5, Math.floor((this.expiresAtMs - Date.now()) * this.fraction)));
        this.report(error);
      },
    );
  }

  private report(error: unknown): void {
    try {
      this.options.onError?.(error, this);
    } catch {
      // A throwing listener must not stop the heartbeat.
    }
  }

  private cancelTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

export class Sessions {
  constructor(
    private readonly events: Events,
    private readonly transactions: Transactions,
  ) {}

  /** Opens a finance event and keeps it open until the session is closed (or stopped). */
  async open(options: SessionOptions = {}, call?: CallOptions): Promise<Session> {
    const { body, date } = await this.events.openWithDate({ description: options.description }, call);
    return new Session(this.events, this.transactions, body, date, options);
  }
}
