import { Inject, Injectable } from '@nestjs/common';
import type { MinPositionQueryDto, ReadQueryDto } from '@coffer/contracts/http';
import { ApiError } from '../http/api-error';
import { ReadModels } from './read-models';

/** How long a read waits for the read models before it gives up (or asks the ledger instead). */
const READ_YOUR_WRITES_TIMEOUT_MS = 2000;

/**
 * Read-your-writes for apps: the position of each app's last write through this gateway, so its
 * next read from the read models waits until they include it. Another gateway's writes are seen
 * via min_position (the X-Coffer-Position a client got back).
 */
@Injectable()
export class ReadConsistency {
  private readonly lastWrite = new Map<string, bigint>();

  constructor(@Inject(ReadModels) private readonly reads: ReadModels) {}

  wrote(appId: string | null, position: string): void {
    if (!appId || !position) return;
    const at = BigInt(position);
    if (at > (this.lastWrite.get(appId) ?? -1n)) this.lastWrite.set(appId, at);
  }

  /**
   * Waits until the read models are fresh enough for this read. Returns false when they did
   * not catch up in time, so a read that has a strong alternative can take it.
   */
  async settle(appId: string, query: MinPositionQueryDto): Promise<boolean> {
    return this.settleAt(this.needed(appId, query));
  }

  private async settleAt(needed: bigint): Promise<boolean> {
    if (needed < 0n) return true;
    try {
      await this.reads.waitFor(needed, READ_YOUR_WRITES_TIMEOUT_MS);
      return true;
    } catch (error) {
      if (isUnavailable(error)) return false;
      throw error;
    }
  }

  /** Reads the read models once they include `position` (UNAVAILABLE when they do not in time). */
  async readFrom<T>(position: string, read: () => Promise<T>): Promise<T> {
    await this.reads.waitFor(BigInt(position), READ_YOUR_WRITES_TIMEOUT_MS);
    return read();
  }

  /**
   * The read models when they already include what this read must see; the ledger when asked
   * for a strong read, or at once when they do not yet: the writer answers from memory in one
   * NATS round trip, where waiting costs the projector's lag (tens of milliseconds under load,
   * on every read an app makes between its writes). When the ledger cannot answer (a takeover),
   * the read waits for the read models after all.
   */
  async readOrStrong<T>(appId: string, query: ReadQueryDto, read: () => Promise<T>, strong: () => Promise<T>): Promise<T> {
    if (query.consistency === 'strong') return strong();
    const needed = this.needed(appId, query);
    let strongFailed: ApiError | undefined;
    if (needed >= 0n && !this.reads.includes(needed)) {
      try {
        return await strong();
      } catch (error) {
        if (!isUnavailable(error)) throw error;
        strongFailed = error;
      }
    }
    try {
      if (await this.settleAt(needed)) return await read();
    } catch (error) {
      if (!isUnavailable(error)) throw error;
    }
    if (strongFailed) throw strongFailed;
    return strong();
  }

  /** The position a read must see: the one it asked for (min_position), or this app's last write here. */
  private needed(appId: string, query: MinPositionQueryDto): bigint {
    const asked = query.min_position !== undefined ? BigInt(query.min_position) : -1n;
    const own = this.lastWrite.get(appId) ?? -1n;
    return asked > own ? asked : own;
  }
}

function isUnavailable(error: unknown): error is ApiError {
  return error instanceof ApiError && error.code === 'UNAVAILABLE';
}
