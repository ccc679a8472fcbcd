/**
 * Limits per client address, for what no app key pays for: requests without credentials (health,
 * readiness, metrics, docs, unknown routes, a missing key) and failed authentications. A flood or
 * a key-guessing run from one address then costs that address alone: it gets 429 with
 * Retry-After, every other address is served as before. Credentials that are found never touch
 * these buckets (their app's own limit applies), so one address serving many apps, or a NAT or
 * proxy shared with someone who sends wrong keys, is not slowed.
 */
import { Lru } from '@coffer/platform';
import { addressKey } from './client-address';
import { TokenBucket, type RateVerdict } from './token-bucket';

/**
 * Addresses whose buckets are kept (per kind): the least recently seen beyond it are forgotten,
 * so the table stays bounded whatever the number of addresses. A forgotten address starts again
 * with a full burst, which an attacker with that many addresses has anyway.
 */
export const MAX_TRACKED_ADDRESSES = 10_000;

export interface AddressLimitSettings {
  /** Requests without credentials per second per address (bursts of twice that). */
  unauthenticatedPerSecond: number;
  /** Failed authentications per second per address (bursts of twice that). */
  authFailuresPerSecond: number;
}

export class AddressLimits {
  private readonly unauthenticated = new Lru<string, TokenBucket>(MAX_TRACKED_ADDRESSES);
  private readonly failures = new Lru<string, TokenBucket>(MAX_TRACKED_ADDRESSES);

  constructor(
    private readonly settings: AddressLimitSettings,
    private readonly clock: () => number = () => performance.now(),
  ) {
    if (!(settings.unauthenticatedPerSecond > 0 && settings.authFailuresPerSecond > 0)) {
      throw new Error('address limits must be positive');
    }
  }

  /** A request without credentials: takes from the address's bucket. */
  admitUnauthenticated(address: string): RateVerdict {
    return verdict(this.bucket(this.unauthenticated, address, this.settings.unauthenticatedPerSecond).take(this.clock()));
  }

  /**
   * Credentials that were not found: takes from the address's failure bucket. Refused (429
   * rather than 401) once it is empty, so a key-guessing run learns nothing more until it flows back.
   */
  authenticationFailed(address: string): RateVerdict {
    return verdict(this.bucket(this.failures, address, this.settings.authFailuresPerSecond).take(this.clock()));
  }

  /** Addresses tracked (for tests of the bound). */
  get size(): { unauthenticated: number; failures: number } {
    return { unauthenticated: this.unauthenticated.size, failures: this.failures.size };
  }

  private bucket(table: Lru<string, TokenBucket>, address: string, perSecond: number): TokenBucket {
    const key = addressKey(address);
    let bucket = table.get(key);
    if (!bucket) {
      bucket = new TokenBucket(perSecond, perSecond * 2, this.clock());
      table.set(key, bucket);
    }
    return bucket;
  }
}

function verdict(wait: number): RateVerdict {
  return wait === 0 ? { allowed: true } : { allowed: false, retryAfterSeconds: wait };
}
