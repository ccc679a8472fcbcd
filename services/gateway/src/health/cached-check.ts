/**
 * How long one readiness answer serves every probe: a flood of /ready requests costs at most
 * one check of the dependencies (a query, a NATS round trip, a ledger probe) per this interval.
 */
export const READY_CACHE_MS = 1000;

/**
 * A check whose answer is shared: every caller within `ttlMs` of a check's start gets that
 * check's answer, finished or still running, so however many ask, a check starts at most once
 * per interval. A caller after the interval starts a new check even if the last one still runs:
 * one check that hangs must not hold every later caller. (Each check bounds its own probes, so
 * no more than their timeout over `ttlMs` checks are ever running at once.)
 */
export class CachedCheck<T> {
  private latest: { startedAt: number; answer: Promise<T> } | undefined;
  /** How many times the check itself ran. */
  runs = 0;

  constructor(
    private readonly check: () => Promise<T>,
    private readonly ttlMs: number,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  get(): Promise<T> {
    const now = this.clock();
    if (this.latest && now - this.latest.startedAt < this.ttlMs) return this.latest.answer;
    this.runs++;
    const answer = this.check();
    this.latest = { startedAt: now, answer };
    return answer;
  }
}
