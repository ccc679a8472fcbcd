/** The finance routes (API.md, "Finance"): transactions, transfers, balances, finance events. */
import { PageIterator } from '../paging.js';
import { segment, type Answer, type CallOptions, type Transport } from '../transport.js';
import type {
  Balance,
  Consistency,
  FinanceEvent,
  FinanceEventAborted,
  FinanceEventClosed,
  FinanceEventOpened,
  Transaction,
  TransactionStatus,
  TransactionType,
  Transfer,
} from '../types.js';
import { encodeAmount, encodePositiveId, encodeUserId, type AmountInput, type UserIdInput } from '../values.js';

export interface PostTransactionBody {
  user_id: UserIdInput;
  /** An open finance event of the app: the transaction stays pending until the event closes. */
  event_id?: number | null;
  type: 'credit' | 'debit';
  amount: AmountInput;
  currency?: string;
  description?: string | null;
}

export interface TransferBody {
  from_user_id: UserIdInput;
  to_user_id: UserIdInput;
  amount: AmountInput;
  currency?: string;
  description?: string | null;
}

/** A reversal: without amount, all that is left to reverse of the transaction. */
export interface ReverseTransactionBody {
  amount?: AmountInput;
  description?: string | null;
}

export interface TransactionsQuery {
  /** A user's transactions across every app; without it, the app's own. */
  user_id?: UserIdInput;
  event_id?: number;
  /** Created at or after (RFC 3339). */
  from?: string | Date;
  /** Created before (RFC 3339). */
  to?: string | Date;
  type?: TransactionType;
  status?: TransactionStatus;
  /** Items per page, 1–100 (default 10). */
  limit?: number;
  /** Start after this cursor (a next_cursor from an earlier page). */
  cursor?: string;
  consistency?: Consistency;
}

export interface ReadQuery {
  /** strong: from the ledger itself; eventual (default): from the read models. */
  consistency?: Consistency;
  /** Wait until the read models include the write at this position (an X-Coffer-Position header). */
  min_position?: string;
}

/** A body with the Date header it came with (null when the runtime hides it). */
export interface Dated<T> {
  body: T;
  date: string | null;
}

const dated = <T>(answer: Answer<T>): Dated<T> => ({ body: answer.body, date: answer.headers.get('date') });

const time = (value: string | Date | undefined) => (value instanceof Date ? value.toISOString() : value);

export class Transactions {
  /** @internal The client builds each namespace: reach it as a property of `new Coffer(…)`. */
  constructor(private readonly transport: Transport) {}

  /** POST /finance/transaction: a credit or debit, posted at once or pending in a finance event. */
  async post(body: PostTransactionBody, options?: CallOptions): Promise<Transaction> {
    const payload = {
      user_id: encodeUserId(body.user_id),
      ...(body.event_id != null ? { event_id: encodePositiveId(body.event_id, 'event_id') } : {}),
      type: body.type,
      amount: encodeAmount(body.amount),
      ...(body.currency !== undefined ? { currency: body.currency } : {}),
      ...(body.description !== undefined ? { description: body.description } : {}),
    };
    return (await this.transport.call<Transaction>({ method: 'POST', path: '/finance/transaction', body: payload, options })).body;
  }

  /**
   * POST /finance/transactions/:id/reverse: moves (part of) a posted transaction of the app back,
   * as a new posted transaction of type reversal (its reverses_transaction_id the original).
   */
  async reverse(transactionId: number, body: ReverseTransactionBody = {}, options?: CallOptions): Promise<Transaction> {
    const payload = {
      ...(body.amount !== undefined ? { amount: encodeAmount(body.amount) } : {}),
      ...(body.description !== undefined ? { description: body.description } : {}),
    };
    const path = `/finance/transactions/${encodePositiveId(transactionId, 'transaction_id')}/reverse`;
    return (await this.transport.call<Transaction>({ method: 'POST', path, body: payload, options })).body;
  }

  /** GET /finance/transactions, newest first, every page by cursor. */
  list(query: TransactionsQuery = {}, options?: CallOptions): PageIterator<Transaction> {
    const fixed = {
      user_id: query.user_id === undefined ? undefined : encodeUserId(query.user_id),
      event_id: query.event_id === undefined ? undefined : encodePositiveId(query.event_id, 'event_id'),
      from: time(query.from),
      to: time(query.to),
      type: query.type,
      status: query.status,
      limit: query.limit,
      consistency: query.consistency,
    };
    return new PageIterator(
      async (cursor) =>
        (await this.transport.call<{ data: Transaction[]; next_cursor: string | null }>({
          method: 'GET',
          path: '/finance/transactions',
          query: { ...fixed, cursor },
          options,
        })).body,
      query.cursor,
    );
  }
}

export class Transfers {
  /** @internal The client builds each namespace: reach it as a property of `new Coffer(…)`. */
  constructor(private readonly transport: Transport) {}

  /** POST /finance/transfer: from one user to another, posted at once. */
  async post(body: TransferBody, options?: CallOptions): Promise<Transfer> {
    const payload = {
      from_user_id: encodeUserId(body.from_user_id, 'from_user_id'),
      to_user_id: encodeUserId(body.to_user_id, 'to_user_id'),
      amount: encodeAmount(body.amount),
      ...(body.currency !== undefined ? { currency: body.currency } : {}),
      ...(body.description !== undefined ? { description: body.description } : {}),
    };
    return (await this.transport.call<Transfer>({ method: 'POST', path: '/finance/transfer', body: payload, options })).body;
  }
}

export interface BalanceQuery extends ReadQuery {
  /** The balances as they stood at this time (from the read models: not with consistency strong). */
  at?: string | Date;
}

export class Balances {
  /** @internal The client builds each namespace: reach it as a property of `new Coffer(…)`. */
  constructor(private readonly transport: Transport) {}

  /** GET /finance/balance/:user_id: one line per currency (a zero line for an unknown user). */
  async get(userId: UserIdInput, query: BalanceQuery = {}, options?: CallOptions): Promise<Balance> {
    const path = `/finance/balance/${segment(encodeUserId(userId))}`;
    return (await this.transport.call<Balance>({ method: 'GET', path, query: { ...query, at: time(query.at) }, options })).body;
  }
}

export class Events {
  /** @internal The client builds each namespace: reach it as a property of `new Coffer(…)`. */
  constructor(private readonly transport: Transport) {}

  /** POST /finance/event: opens a finance event (a round), which expires unless pinged. */
  async open(body: { description?: string | null } = {}, options?: CallOptions): Promise<FinanceEventOpened> {
    return (await this.openWithDate(body, options)).body;
  }

  /** POST /finance/event/:id/ping: keeps it open for another timeout. */
  async ping(eventId: number, options?: CallOptions): Promise<FinanceEventOpened> {
    return (await this.pingWithDate(eventId, options)).body;
  }

  /** open, with the response's Date header (the server's clock: sessions time their pings by it). */
  async openWithDate(body: { description?: string | null } = {}, options?: CallOptions): Promise<Dated<FinanceEventOpened>> {
    const payload = body.description != null ? { description: body.description } : undefined;
    return dated(await this.transport.call<FinanceEventOpened>({ method: 'POST', path: '/finance/event', body: payload, options }));
  }

  /** ping, with the response's Date header. */
  async pingWithDate(eventId: number, options?: CallOptions): Promise<Dated<FinanceEventOpened>> {
    const path = `/finance/event/${encodePositiveId(eventId, 'event_id')}/ping`;
    return dated(await this.transport.call<FinanceEventOpened>({ method: 'POST', path, options }));
  }

  /** POST /finance/event/:id/close: posts every pending transaction of the event. */
  async close(eventId: number, options?: CallOptions): Promise<FinanceEventClosed> {
    const path = `/finance/event/${encodePositiveId(eventId, 'event_id')}/close`;
    return (await this.transport.call<FinanceEventClosed>({ method: 'POST', path, options })).body;
  }

  /** POST /finance/event/:id/abort: voids every pending transaction of the event now, as an expiry would. */
  async abort(eventId: number, options?: CallOptions): Promise<FinanceEventAborted> {
    const path = `/finance/event/${encodePositiveId(eventId, 'event_id')}/abort`;
    return (await this.transport.call<FinanceEventAborted>({ method: 'POST', path, options })).body;
  }

  /** GET /finance/event/:id: its state and transactions. */
  async get(eventId: number, query: ReadQuery = {}, options?: CallOptions): Promise<FinanceEvent> {
    const path = `/finance/event/${encodePositiveId(eventId, 'event_id')}`;
    return (await this.transport.call<FinanceEvent>({ method: 'GET', path, query: { ...query }, options })).body;
  }
}
