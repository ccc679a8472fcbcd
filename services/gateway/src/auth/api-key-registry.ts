import { type BeforeApplicationShutdown, Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import {
  DEFAULT_REALM,
  PATTERNS,
  upcastEvent,
  type ApiKeyEntry,
  type ApiKeyIssued,
  type ApiKeyRevoked,
  type ApiKeysReply,
  type AppScope,
  type AppSettingsChanged,
  type LedgerQuery,
} from '@coffer/contracts';
import type { EventStore, RecordedEvent, Subscription } from '@coffer/event-store';
import { CONFIG, EVENT_STORE, LOGGER, type CofferConfig, type JsonLogger } from '@coffer/platform';
import { NatsRequestClient } from '../backend/nats-request-client';
import { ApiError } from '../http/api-error';
import { sha256Hex } from './api-keys';
import type { AppCaller } from './caller';

/** Load attempts are short, so a gateway started before the ledger retries about every second. */
const LOAD_TIMEOUT_MS = 1000;
const RETRY_DELAY_MS = 1000;
/**
 * A miss may ask the ledger again, at most this often: a key issued through another gateway a
 * few ms ago is found, and a flood of wrong keys cannot flood the ledger.
 */
const MISS_REFRESH_INTERVAL_MS = 1000;
const KEY_EVENTS = ['ApiKeyIssued', 'ApiKeyRevoked', 'AppSettingsChanged'] as const;

export interface KnownKey extends AppCaller {
  key_hash: string;
}

/**
 * Every live API key of every realm, by hash, in memory: authentication costs no round trip.
 * Loaded from each realm's ledger at start (COFFER_REALMS), then kept current by tailing the key
 * events of the store from the oldest of their positions (so a key revoked through any gateway
 * is refused here too, and a realm's keys issued after that reach it whether listed or not) and
 * by this gateway's own issue/revoke commands, applied at once. An app's id names its realm
 * (app-id.ts), so a key needs nothing more to be routed.
 */
@Injectable()
export class ApiKeyRegistry implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly byHash = new Map<string, AppCaller>();
  private readonly hashByKeyId = new Map<string, string>();
  /** Revocation is final: a late or replayed issue of a revoked key must not bring it back. */
  private readonly revokedKeyIds = new Set<string>();
  /** Each app's scopes when narrowed (an app absent here holds every scope, as a new app does). */
  private readonly scopesByApp = new Map<string, ReadonlySet<AppScope>>();
  private loaded = false;
  private failedLoads = 0;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private subscription: Subscription | undefined;
  private lastRefreshAt = -Infinity;
  private refreshing: Promise<void> | undefined;
  /** Milliseconds clock; tests replace it. */
  now: () => number = () => performance.now();

  constructor(
    @Inject(NatsRequestClient) private readonly backend: Pick<NatsRequestClient, 'request'>,
    @Inject(EVENT_STORE) private readonly store: Pick<EventStore, 'subscribeToAll'>,
    @Inject(LOGGER) private readonly logger: JsonLogger,
    @Inject(CONFIG) private readonly config: Pick<CofferConfig, 'realms'> = { realms: [DEFAULT_REALM] },
  ) {}

  /** The first attempt is awaited (a gateway started after the ledger is ready at once); later ones run in the background. */
  async onApplicationBootstrap(): Promise<void> {
    await this.load();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    await this.subscription?.stop();
  }

  get ready(): boolean {
    return this.loaded;
  }

  /** The app and key of an API key, or null when it is unknown or revoked. */
  async lookup(apiKey: string): Promise<AppCaller | null> {
    if (!this.loaded) {
      throw new ApiError('UNAVAILABLE', 'the gateway is starting and cannot check API keys yet: retry shortly');
    }
    const hash = sha256Hex(apiKey);
    const known = this.byHash.get(hash);
    if (known) return known;
    await this.refreshAfterMiss();
    return this.byHash.get(hash) ?? null;
  }

  /** Applies a key this gateway has just issued, before its event reaches the subscription. */
  remember(key: KnownKey): void {
    if (this.revokedKeyIds.has(key.key_id)) return;
    this.byHash.set(key.key_hash, { app_id: key.app_id, key_id: key.key_id });
    this.hashByKeyId.set(key.key_id, key.key_hash);
  }

  /** Whether the app's settings hold `scope` (the ledger checks its commands again; reads are checked only here). */
  allows(appId: string, scope: AppScope): boolean {
    return this.scopesByApp.get(appId)?.has(scope) ?? true;
  }

  /** The app's scopes (null: every scope). */
  scopesOf(appId: string): AppScope[] | null {
    const scopes = this.scopesByApp.get(appId);
    return scopes ? [...scopes] : null;
  }

  /** Applies an app's scopes (null: every scope), from the ledger's list, its events or this gateway's own change. */
  rememberScopes(appId: string, scopes: readonly AppScope[] | null): void {
    if (scopes === null) this.scopesByApp.delete(appId);
    else this.scopesByApp.set(appId, new Set(scopes));
  }

  /** Refuses a revoked key from now on. */
  forget(keyId: string): void {
    this.revokedKeyIds.add(keyId);
    const hash = this.hashByKeyId.get(keyId);
    if (hash === undefined) return;
    this.hashByKeyId.delete(keyId);
    this.byHash.delete(hash);
  }

  private async load(): Promise<void> {
    try {
      const replies = await Promise.all(this.config.realms.map((realm) => this.listKeys(realm)));
      if (this.stopped) return;
      for (const reply of replies) this.merge(reply.keys);
      this.lastRefreshAt = this.now();
      // Each list is complete up to its own position: tail from the oldest (an empty realm: from the start).
      const positions = replies.map((reply) => (reply.position === '' ? undefined : BigInt(reply.position)));
      const after = positions.includes(undefined) ? undefined : positions.reduce((a, b) => (b! < a! ? b : a));
      this.follow(after);
      this.loaded = true;
      this.logger.event('info', 'api keys loaded', { keys: this.byHash.size, realms: this.config.realms, position: after?.toString() ?? '' });
    } catch (error) {
      if (this.stopped) return;
      // Warn at the first failure and then every half minute, not every second.
      const level = this.failedLoads++ % 30 === 0 ? 'warn' : 'debug';
      this.logger.event(level, 'api keys not loaded (is the ledger up?): retrying every second', {
        attempts: this.failedLoads,
        error: (error as Error).message,
      });
      this.retryTimer = setTimeout(() => void this.load(), RETRY_DELAY_MS);
    }
  }

  /** Tails the key events after the loaded list; a failed subscription resumes where it stopped. */
  private follow(after: bigint | undefined): void {
    const subscription = this.store.subscribeToAll(async (events) => events.forEach((event) => this.apply(event)), {
      after,
      eventTypes: KEY_EVENTS,
      minReadIntervalMs: 50, // a revocation lands on every gateway within tens of milliseconds
    });
    this.subscription = subscription;
    subscription.done.catch((error: unknown) => {
      if (this.stopped) return;
      this.logger.event('error', 'api key subscription failed: resuming', { error: (error as Error).message });
      this.retryTimer = setTimeout(() => this.follow(subscription.position ?? after), RETRY_DELAY_MS);
    });
  }

  private apply(stored: RecordedEvent): void {
    const event = upcastEvent(stored);
    if (event.type === 'ApiKeyIssued') {
      const { app_id, key_id, key_hash } = event.data as ApiKeyIssued;
      this.remember({ app_id, key_id, key_hash });
    } else if (event.type === 'ApiKeyRevoked') {
      this.forget((event.data as ApiKeyRevoked).key_id);
    } else if (event.type === 'AppSettingsChanged') {
      const { app_id, scopes } = event.data as AppSettingsChanged;
      this.rememberScopes(app_id, scopes);
    }
  }

  private merge(keys: ApiKeyEntry[]): void {
    for (const key of keys) {
      // A ledger older than scopes sends none: every scope, as before.
      this.rememberScopes(key.app_id, key.scopes ?? null);
      if (key.revoked) this.forget(key.key_id);
      else this.remember(key);
    }
  }

  /** Concurrent misses share one round of requests (one per realm); a failed one is not retried before the interval. */
  private async refreshAfterMiss(): Promise<void> {
    if (!this.refreshing) {
      if (this.now() - this.lastRefreshAt < MISS_REFRESH_INTERVAL_MS) return;
      this.lastRefreshAt = this.now();
      // A realm that does not answer leaves its new keys unknown (401) until the subscription brings them.
      this.refreshing = Promise.all(
        this.config.realms.map((realm) =>
          this.listKeys(realm)
            .then((reply) => this.merge(reply.keys))
            .catch(() => undefined),
        ),
      ).then(() => (this.refreshing = undefined));
    }
    await this.refreshing;
  }

  private listKeys(realm: string): Promise<ApiKeysReply> {
    const query: LedgerQuery = { type: 'ListApiKeys' };
    return this.backend.request<ApiKeysReply>(PATTERNS.ledgerQueries, query, undefined, undefined, LOAD_TIMEOUT_MS, realm);
  }
}
