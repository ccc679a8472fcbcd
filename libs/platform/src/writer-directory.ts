import type { NatsConnection, Subscription } from 'nats';
import { PATTERNS, subjectOf, WRITER_ROUTED_PATTERNS, writerPattern, type WriterAnnouncement } from '@coffer/contracts';
import type { SubjectScope } from './nats-transport';
import { SIGNATURE_HEADER, type ServiceKeyring } from './request-signature';

/**
 * How long an announced writer is trusted without a new announcement (it announces every
 * WRITER_ANNOUNCE_INTERVAL_MS). Longer than a takeover (about a second), so requests keep
 * going to the last writer, and are resent, while its successor takes over; after it, requests
 * go to the shared subject again (no writer: an immediate "no responders", 503).
 */
export const WRITER_SILENCE_MS = 2000;
/** The active ledger writer announces itself this often (and at once when it takes over). */
export const WRITER_ANNOUNCE_INTERVAL_MS = 250;

/** Where to send a request: a pattern, and the writer term it is addressed to (none: the shared subject). */
export interface WriterRoute {
  pattern: string;
  term: number | undefined;
}

interface TermWatcher {
  term: number;
  notify: () => void;
  /** Also when `term` itself is announced again (its writer is back on NATS), not only a newer one. */
  again: boolean;
}

/**
 * Which ledger writer is active, as it announces itself on PATTERNS.ledgerWriter. Senders
 * address it on its own subject rather than the shared one: a frozen writer stays in the shared
 * subject's queue group until NATS notices (minutes) and would be handed half of the commands.
 * When a newer term is announced, whoever waits on an older one is told (so it resends), and so
 * is whoever waits for the current writer to be heard again.
 */
export class WriterDirectory {
  private term = -1;
  private instance: string | undefined;
  /** Each routed pattern's own pattern at the announced writer, built once per term (not per request). */
  private own = new Map<string, string>();
  private heardAt = Number.NEGATIVE_INFINITY;
  private readonly watchers = new Set<TermWatcher>();
  private readonly subscription: Subscription;
  /** Milliseconds clock; tests replace it. */
  now: () => number = () => performance.now();

  /**
   * `keys`: only announcements the ledger signed are heard. Anyone on NATS can publish on the
   * subject, and one forged announcement of a high term would route every command to a subject
   * nobody answers (every later, lower term being taken for an older writer).
   */
  constructor(connection: NatsConnection, scope: SubjectScope, keys: ServiceKeyring) {
    this.subscription = connection.subscribe(subjectOf(PATTERNS.ledgerWriter, scope.prefix, scope.realm), {
      callback: (error, msg) => {
        if (!error && keys.signedBy('ledger', msg.subject, msg.data, msg.headers?.get(SIGNATURE_HEADER))) this.hear(msg.data);
      },
    });
  }

  /** Whether requests on `pattern` go to the active writer (ledger commands and queries). */
  routes(pattern: string): boolean {
    return WRITER_ROUTED_PATTERNS.includes(pattern);
  }

  /** The announced writer's own pattern while it is heard from, else the shared pattern. */
  route(pattern: string): WriterRoute {
    const own = this.own.get(pattern);
    if (own === undefined || this.now() - this.heardAt > WRITER_SILENCE_MS) return { pattern, term: undefined };
    return { pattern: own, term: this.term };
  }

  /** The newest term heard (-1: none yet). */
  get currentTerm(): number {
    return this.term;
  }

  /** Calls `notify` once when a term newer than `term` is announced (at once if it already was); returns a cancel. */
  onNewerTerm(term: number, notify: () => void): () => void {
    return this.watch(term, notify, false);
  }

  /**
   * Resolves true when a term newer than `term` is announced, or `term` itself is announced
   * after `since` (this directory's clock: at once if it already was); false after `timeoutMs`.
   * A writer that NATS forgot (a NATS restart) subscribes again as it reconnects, before its next
   * announcement goes out on the same connection: once that is heard, it listens again.
   */
  announcedSince(term: number, since: number, timeoutMs: number): Promise<boolean> {
    if (term === this.term && this.heardAt > since) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        cancel();
        resolve(false);
      }, timeoutMs);
      const cancel = this.watch(term, () => {
        clearTimeout(timer);
        resolve(true);
      }, true);
    });
  }

  private watch(term: number, notify: () => void, again: boolean): () => void {
    if (this.term > term) {
      notify();
      return () => undefined;
    }
    const watcher = { term, notify, again };
    this.watchers.add(watcher);
    return () => this.watchers.delete(watcher);
  }

  /** Applies an announcement (exposed for tests); anything malformed is ignored. */
  hear(data: Uint8Array): void {
    let announcement: Partial<WriterAnnouncement>;
    try {
      announcement = JSON.parse(Buffer.from(data).toString('utf8')) as Partial<WriterAnnouncement>;
    } catch {
      return;
    }
    const { term, instance } = announcement;
    if (!Number.isSafeInteger(term) || typeof instance !== 'string') return;
    if (term! < this.term || (term === this.term && instance !== this.instance)) return; // an older writer, late
    if (term === this.term) {
      this.heardAt = this.now();
      this.notify((watcher) => watcher.again && watcher.term === term);
      return;
    }
    let own: Map<string, string>;
    try {
      own = new Map(WRITER_ROUTED_PATTERNS.map((pattern) => [pattern, writerPattern(pattern, instance)]));
    } catch {
      return; // not a subject token: it could name another subject
    }
    this.term = term!;
    this.instance = instance;
    this.own = own;
    this.heardAt = this.now();
    this.notify((watcher) => watcher.term < this.term);
  }

  private notify(which: (watcher: TermWatcher) => boolean): void {
    for (const watcher of [...this.watchers]) {
      if (!which(watcher)) continue;
      this.watchers.delete(watcher);
      watcher.notify();
    }
  }

  close(): void {
    this.subscription.unsubscribe();
    this.watchers.clear(); // whoever waits gets its own answer or timeout
  }
}
