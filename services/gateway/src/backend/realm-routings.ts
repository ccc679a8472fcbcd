import type { NatsConnection } from 'nats';
import { WRITER_ROUTED_PATTERNS } from '@coffer/contracts';
import { WriterDirectory, type ServiceKeyring } from '@coffer/platform';
import { WriterRouting } from './writer-routing';

/**
 * Most realms one gateway keeps a writer directory for (a NATS subscription each). Beyond it the
 * least recently used realm's is closed, and opened again (empty: its first requests go to the
 * shared subject until its writer's next announcement, 250 ms) when that realm is asked again.
 */
export const MAX_ROUTED_REALMS = 256;

/**
 * One WriterRouting per realm, created when a request for the realm first comes (each realm has
 * its own ledger writer, announced on its own subject). Ledger requests go to the realm they name;
 * every other pattern (achievements, notifier: one service for every realm) to the gateway's
 * own realm.
 */
export class RealmRoutings {
  private readonly routings = new Map<string, { directory: WriterDirectory; routing: WriterRouting }>();
  /** Ledger requests sent again after a takeover, by realms no longer kept (metrics keep counting them). */
  private resentByClosed = 0;

  constructor(
    private readonly connection: NatsConnection,
    private readonly prefix: string,
    private readonly ownRealm: string,
    private readonly keys: ServiceKeyring,
    private readonly capacity = MAX_ROUTED_REALMS,
  ) {}

  /** The routing for `pattern` sent on behalf of `realm`. */
  for(pattern: string, realm: string): WriterRouting {
    const target = WRITER_ROUTED_PATTERNS.includes(pattern) ? realm : this.ownRealm;
    let entry = this.routings.get(target);
    if (entry === undefined) {
      const scope = { prefix: this.prefix, realm: target };
      const directory = new WriterDirectory(this.connection, scope, this.keys);
      entry = { directory, routing: new WriterRouting(directory, scope) };
      this.routings.set(target, entry);
      this.evict();
    } else if (this.routings.size > 1) {
      // Most recent last (a Map keeps insertion order): the oldest is the first key.
      this.routings.delete(target);
      this.routings.set(target, entry);
    }
    return entry.routing;
  }

  /** How many realms have a routing now. */
  get size(): number {
    return this.routings.size;
  }

  get resent(): number {
    let resent = this.resentByClosed;
    for (const { routing } of this.routings.values()) resent += routing.resent;
    return resent;
  }

  close(): void {
    for (const { directory } of this.routings.values()) directory.close();
    this.routings.clear();
  }

  private evict(): void {
    while (this.routings.size > this.capacity) {
      const [oldest, entry] = this.routings.entries().next().value as [string, { directory: WriterDirectory; routing: WriterRouting }];
      this.resentByClosed += entry.routing.resent;
      entry.directory.close();
      this.routings.delete(oldest);
    }
  }
}
