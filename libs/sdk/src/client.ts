/**
 * `new Coffer({ baseUrl, apiKey })`: one namespace per resource, mirroring the routes.
 */
import { Achievements } from './resources/achievements.js';
import { Balances, Events, Transactions, Transfers } from './resources/finance.js';
import { Leaderboards, Statements } from './resources/reports.js';
import { retryOptions, type RetryOptions } from './retry.js';
import { Sessions } from './session.js';
import { Transport, type FetchLike } from './transport.js';
import { Webhooks } from './resources/webhooks.js';

export interface CofferOptions {
  /** Where the gateway answers, e.g. http://localhost:3000. */
  baseUrl: string;
  /** The app's API key (`Authorization: Bearer …`). */
  apiKey: string;
  /** Retries of every call (defaults in DEFAULT_RETRY; each bounded by RETRY_LIMITS). */
  retry?: Partial<RetryOptions>;
  /** A fetch to use instead of the global one. */
  fetch?: FetchLike;
}

export class Coffer {
  readonly transactions: Transactions;
  readonly transfers: Transfers;
  readonly balances: Balances;
  readonly events: Events;
  readonly sessions: Sessions;
  readonly achievements: Achievements;
  readonly statements: Statements;
  readonly leaderboards: Leaderboards;
  readonly webhooks: Webhooks;

  constructor(options: CofferOptions) {
    if (!options || typeof options.baseUrl !== 'string' || !/^https?:\/\//.test(options.baseUrl)) {
      throw new TypeError('new Coffer({ baseUrl, apiKey }): baseUrl must be an http(s) URL');
    }
    if (typeof options.apiKey !== 'string' || options.apiKey.length === 0 || /[\s]/.test(options.apiKey)) {
      throw new TypeError('new Coffer({ baseUrl, apiKey }): apiKey must be the app key, without spaces');
    }
    const fetchImpl = options.fetch ?? (globalThis as { fetch?: FetchLike }).fetch;
    if (typeof fetchImpl !== 'function') throw new TypeError('@coffer/sdk needs fetch (Node 18+, Deno, Bun) or options.fetch');
    const transport = new Transport({
      baseUrl: options.baseUrl,
      apiKey: options.apiKey,
      // Called unbound: some runtimes' fetch refuses a `this` other than globalThis.
      fetch: (url, init) => fetchImpl(url, init),
      retry: retryOptions(options.retry),
    });
    this.transactions = new Transactions(transport);
    this.transfers = new Transfers(transport);
    this.balances = new Balances(transport);
    this.events = new Events(transport);
    this.sessions = new Sessions(this.events, this.transactions);
    this.achievements = new Achievements(transport);
    this.statements = new Statements(transport);
    this.leaderboards = new Leaderboards(transport);
    this.webhooks = new Webhooks(transport);
  }
}
