import type { ApiKeysReply } from '@coffer/contracts';
import type { EventHandler, RecordedEvent, SubscribeOptions, Subscription } from '@coffer/event-store';
import { JsonLogger } from '@coffer/platform';
import { ApiError } from '../http/api-error';
import { ApiKeyRegistry } from './api-key-registry';
import { generateApiKey, sha256Hex } from './api-keys';

/** A ledger that answers ListApiKeys from a list the test controls (or is down). */
class FakeLedger {
  keys: ApiKeysReply['keys'] = [];
  position = '';
  down = false;
  calls = 0;
  async request<Result>(_pattern: string, body: unknown): Promise<Result> {
    this.calls++;
    expect(body).toEqual({ type: 'ListApiKeys' });
    if (this.down) throw new ApiError('UNAVAILABLE', 'no answer');
    return { keys: this.keys.map((key) => ({ ...key })), position: this.position } as Result;
  }
}

/** A store whose subscription the test feeds by hand. */
class FakeStore {
  handler: EventHandler | undefined;
  options: SubscribeOptions | undefined;
  stopped = false;
  subscribeToAll(handler: EventHandler, options?: SubscribeOptions): Subscription {
    this.handler = handler;
    this.options = options;
    return { position: undefined, done: new Promise<void>(() => undefined), stop: async () => void (this.stopped = true) };
  }
  async deliver(type: string, data: object): Promise<void> {
    await this.handler!([{ type, data } as RecordedEvent]);
  }
}

function keyOf(appId: string, keyId: string, revoked = false) {
  const apiKey = generateApiKey();
  return { apiKey, entry: { app_id: appId, key_id: keyId, key_hash: sha256Hex(apiKey), revoked } };
}

describe('ApiKeyRegistry', () => {
  let ledger: FakeLedger;
  let store: FakeStore;
  let registry: ApiKeyRegistry;
  let now: number;

  beforeEach(() => {
    ledger = new FakeLedger();
    store = new FakeStore();
    registry = new ApiKeyRegistry(ledger, store, new JsonLogger('test', 'error', () => undefined));
    now = 10_000;
    registry.now = () => now;
  });

  afterEach(() => registry.beforeApplicationShutdown());

  it('loads the live keys and tails key events after the position the list is complete up to', async () => {
    const live = keyOf('app_1', 'key_a');
    const revoked = keyOf('app_1', 'key_b', true);
    ledger.keys = [live.entry, revoked.entry];
    ledger.position = '41';
    await registry.onApplicationBootstrap();

    expect(await registry.lookup(live.apiKey)).toEqual({ app_id: 'app_1', key_id: 'key_a' });
    expect(await registry.lookup(revoked.apiKey)).toBeNull();
    expect(store.options).toMatchObject({ after: 41n, eventTypes: ['ApiKeyIssued', 'ApiKeyRevoked', 'AppSettingsChanged'] });
  });

  it("knows each app's scopes from the list and from AppSettingsChanged (null: every scope)", async () => {
    ledger.keys = [{ ...keyOf('app_1', 'key_a').entry, scopes: ['finance:write'] }, keyOf('app_2', 'key_b').entry];
    await registry.onApplicationBootstrap();
    expect([registry.allows('app_1', 'finance:read'), registry.allows('app_1', 'finance:write'), registry.allows('app_2', 'finance:read')]).toEqual([false, true, true]);
    await store.deliver('AppSettingsChanged', { app_id: 'app_2', scopes: ['transfers'], currencies: null, mint_limit_per_day: {}, changed_at: '2026-11-30T00:00:00.000Z' });
    await store.deliver('AppSettingsChanged', { app_id: 'app_1', scopes: null, currencies: null, mint_limit_per_day: {}, changed_at: '2026-11-30T00:00:00.000Z' });
    expect([registry.allows('app_1', 'finance:read'), registry.allows('app_2', 'finance:read'), registry.allows('app_2', 'transfers')]).toEqual([true, false, true]);
  });

  it('tails from the beginning of an empty store', async () => {
    await registry.onApplicationBootstrap();
    expect(store.options?.after).toBeUndefined();
  });

  it('answers 503 until the ledger has answered, retrying in the background', async () => {
    jest.useFakeTimers();
    try {
      ledger.down = true;
      await registry.onApplicationBootstrap();
      await expect(registry.lookup(generateApiKey())).rejects.toMatchObject({ code: 'UNAVAILABLE', status: 503 });

      const key = keyOf('app_1', 'key_a');
      ledger.keys = [key.entry];
      ledger.down = false;
      await jest.advanceTimersByTimeAsync(1000);
      expect(registry.ready).toBe(true);
      expect(await registry.lookup(key.apiKey)).toEqual({ app_id: 'app_1', key_id: 'key_a' });
    } finally {
      jest.useRealTimers();
    }
  });

  it('follows keys issued and revoked through any gateway', async () => {
    await registry.onApplicationBootstrap();
    const key = keyOf('app_2', 'key_c');
    await store.deliver('ApiKeyIssued', { ...key.entry, issued_at: '2026-01-01T00:00:00Z' });
    expect(await registry.lookup(key.apiKey)).toEqual({ app_id: 'app_2', key_id: 'key_c' });
    await store.deliver('ApiKeyRevoked', { app_id: 'app_2', key_id: 'key_c', revoked_at: '2026-01-01T00:00:01Z' });
    now += 5000;
    expect(await registry.lookup(key.apiKey)).toBeNull();
  });

  it("applies this gateway's own issue and revoke at once, and a late issue event cannot revive a revoked key", async () => {
    await registry.onApplicationBootstrap();
    const key = keyOf('app_1', 'key_d');
    registry.remember(key.entry);
    expect(await registry.lookup(key.apiKey)).toEqual({ app_id: 'app_1', key_id: 'key_d' });

    registry.forget('key_d');
    await store.deliver('ApiKeyIssued', key.entry); // the subscription lagging behind
    ledger.keys = [{ ...key.entry, revoked: false }]; // a list read before the revocation
    now += 5000;
    expect(await registry.lookup(key.apiKey)).toBeNull();
  });

  it('asks the ledger again on a miss, at most once a second, sharing one request between concurrent misses', async () => {
    await registry.onApplicationBootstrap();
    expect(ledger.calls).toBe(1);

    // Issued through another gateway a moment ago: not yet seen by the subscription.
    const fresh = keyOf('app_3', 'key_e');
    ledger.keys = [fresh.entry];
    now += 1000;
    const [a, b] = await Promise.all([registry.lookup(fresh.apiKey), registry.lookup(generateApiKey())]);
    expect(a).toEqual({ app_id: 'app_3', key_id: 'key_e' });
    expect(b).toBeNull();
    expect(ledger.calls).toBe(2);

    for (let i = 0; i < 20; i++) expect(await registry.lookup(generateApiKey())).toBeNull();
    expect(ledger.calls).toBe(2);
    now += 1000;
    expect(await registry.lookup(generateApiKey())).toBeNull();
    expect(ledger.calls).toBe(3);
  });

  it('answers 401 (null), not an error, when the refresh after a miss fails', async () => {
    await registry.onApplicationBootstrap();
    ledger.down = true;
    now += 2000;
    expect(await registry.lookup(generateApiKey())).toBeNull();
  });

  it('stops its subscription on shutdown', async () => {
    await registry.onApplicationBootstrap();
    await registry.beforeApplicationShutdown();
    expect(store.stopped).toBe(true);
  });
});

describe('ApiKeyRegistry over several realms', () => {
  /** One ledger per realm, each with its keys and position. */
  class RealmLedgers {
    readonly byRealm = new Map<string, { keys: ApiKeysReply['keys']; position: string; down?: boolean }>();
    readonly asked: string[] = [];
    async request<Result>(_pattern: string, _body: unknown, _caller?: unknown, _id?: string, _timeout?: number, realm = 'default'): Promise<Result> {
      this.asked.push(realm);
      const ledger = this.byRealm.get(realm);
      if (!ledger || ledger.down) throw new ApiError('UNAVAILABLE', 'no answer');
      return { keys: ledger.keys.map((key) => ({ ...key })), position: ledger.position } as Result;
    }
  }
  let ledgers: RealmLedgers;
  let store: FakeStore;
  let registry: ApiKeyRegistry;

  beforeEach(() => {
    ledgers = new RealmLedgers();
    store = new FakeStore();
    registry = new ApiKeyRegistry(ledgers, store, new JsonLogger('test', 'error', () => undefined), { realms: ['default', 'blue'] });
  });

  afterEach(() => registry.beforeApplicationShutdown());

  it("loads every realm's keys and tails from the oldest position of their lists", async () => {
    const home = keyOf('app_1', 'key_home');
    const blue = keyOf('app_1_blue', 'key_blue');
    ledgers.byRealm.set('default', { keys: [home.entry], position: '90' });
    ledgers.byRealm.set('blue', { keys: [blue.entry], position: '41' });
    await registry.onApplicationBootstrap();
    expect(ledgers.asked.sort()).toEqual(['blue', 'default']);
    expect(await registry.lookup(home.apiKey)).toEqual({ app_id: 'app_1', key_id: 'key_home' });
    expect(await registry.lookup(blue.apiKey)).toEqual({ app_id: 'app_1_blue', key_id: 'key_blue' });
    expect(store.options).toMatchObject({ after: 41n });
  });

  it('tails from the beginning when a realm has written nothing yet', async () => {
    ledgers.byRealm.set('default', { keys: [], position: '90' });
    ledgers.byRealm.set('blue', { keys: [], position: '' });
    await registry.onApplicationBootstrap();
    expect(store.options?.after).toBeUndefined();
  });

  it('is not ready until every realm has answered', async () => {
    ledgers.byRealm.set('default', { keys: [], position: '1' });
    ledgers.byRealm.set('blue', { keys: [], position: '1', down: true });
    await registry.onApplicationBootstrap();
    expect(registry.ready).toBe(false);
    await expect(registry.lookup('ck_anything')).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });
});
