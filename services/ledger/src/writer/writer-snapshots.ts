import { setImmediate as nextTurn } from 'node:timers/promises';
import type { EventStore } from '@coffer/event-store';
import type { JsonLogger } from '@coffer/platform';
import { isReadableSnapshot, restore, snapshotLines, type StoredSnapshotHead } from '../domain/snapshot';
import type { LedgerState } from '../domain/state';
import type { SnapshotStore, StoredSnapshot } from './snapshot-store';

const NEWLINE = Buffer.from('\n');

/**
 * The writer's snapshots: the newest loaded at a rebuild (prefetched while the service boots),
 * and a new one taken every `every` events, its head at once and its remembered commands page
 * by page, each in a turn of its own, so the writer goes on deciding (and renewing its lease)
 * meanwhile. A snapshot that fails is logged and skipped: the next one is taken as usual.
 */
export class WriterSnapshots {
  private prefetched: Promise<StoredSnapshot | undefined> | undefined;
  private saving: Promise<void> = Promise.resolve();
  /** The revision of the last snapshot taken or loaded. */
  private lastRevision = -1n;

  constructor(
    private readonly snapshots: SnapshotStore,
    private readonly realm: string,
    private readonly every: number,
    private readonly logger: JsonLogger,
  ) {}

  /**
   * Starts loading the newest snapshot while the service boots (NATS, the writer lease), so a
   * cold start does not wait for both one after the other. The next load takes it. Resolves
   * once loaded (or failed).
   */
  prefetch(): Promise<void> {
    const loading = this.snapshots.load(this.realm);
    this.prefetched = loading;
    // Nobody need wait for it; a failed prefetch is simply loaded again.
    return loading.then(
      () => undefined,
      () => undefined,
    );
  }

  /**
   * The state of the newest snapshot and the global position it ends at, if it is of this
   * version and matches the stream (else none: the events are the truth, replayed from the start).
   */
  async newest(store: EventStore, stream: string, retentionMs: number): Promise<{ state: LedgerState; position: string } | undefined> {
    const snap = await this.newestStored();
    if (!snap) return undefined;
    const [first, ...pages] = snap.lines;
    const head = first === undefined ? undefined : (JSON.parse(first) as StoredSnapshotHead);
    if (!head) return undefined;
    if (!isReadableSnapshot(head)) {
      this.logger.event('warn', 'ignoring a ledger snapshot of another version', { version: head.version });
      return undefined;
    }
    const [atSnapshot] = await store.readStream(stream, { fromRevision: snap.revision, maxCount: 1 });
    if (atSnapshot?.streamPosition !== snap.revision) return undefined;
    return { state: restore(head, pages, retentionMs), position: atSnapshot.globalPosition.toString() };
  }

  /** The prefetched snapshot while it is still the newest (a standby may wait long), else a fresh load. */
  private async newestStored(): Promise<StoredSnapshot | undefined> {
    const early = this.prefetched;
    this.prefetched = undefined;
    const snap = await early?.catch(() => undefined);
    if (snap && (await this.snapshots.newestRevision(this.realm)) === snap.revision) return snap;
    return this.snapshots.load(this.realm);
  }

  /** A state was rebuilt from the snapshot at this revision (-1: from no snapshot). */
  loadedAt(revision: bigint): void {
    this.lastRevision = revision;
  }

  /** Takes a snapshot of the state when `every` events have passed since the last one. */
  maybeTake(state: LedgerState): void {
    if (state.revision - this.lastRevision < BigInt(this.every)) return;
    const revision = state.revision;
    this.lastRevision = revision;
    let lines: Iterable<string>;
    try {
      lines = snapshotLines(state);
    } catch (error) {
      this.logger.event('warn', 'snapshot not saved', { error: (error as Error).message });
      return;
    }
    this.saving = this.saving
      .then(() => this.save(revision, lines))
      .catch((error: Error) => this.logger.event('warn', 'snapshot not saved', { error: error.message }));
  }

  /** Resolves once the snapshots being written are saved (or failed). */
  settled(): Promise<void> {
    return this.saving;
  }

  private async save(revision: bigint, lines: Iterable<string>): Promise<void> {
    const chunks: Buffer[] = [];
    for (const line of lines) {
      chunks.push(Buffer.from(line), NEWLINE);
      await nextTurn();
    }
    await this.snapshots.save(this.realm, revision, Buffer.concat(chunks));
  }
}
