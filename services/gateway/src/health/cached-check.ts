/**
 * How long one readiness answer serves every probe: a flood of /ready requests costs at most
 * one check of the dependencies (a query, a NATS round trip, a ledger probe) per this interval.
 */
export const READY_CACHE_MS = 1000;

/**
 * A check whose answer is shared: callers within `ttlMs` of its start, and every caller while it
 * runs, get the same answer, so however many ask, the check runs at most once per interval.
 */
export class CachedCheck<T> {
  private latest: { startedAt: number; running: boolean; answer: Promise<T> } | undefined;
  /** How many times the check itself ran. */
  runs = 0;

  constructor(
    private readonly check: () => Promise<T>,
    private readonly ttlMs: number,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  get(): Promise<T> {
    const now = this.clock();
    const latest = this.latest;
    if (latest && (latest.running || now - latest.startedAt < this.ttlMs)) return latest.answer;
    this.runs++;
    const answer = this.check();
    const current = { startedAt: now, running: true, answer };
    this.latest = current;
    const settled = () => {
      current.running = false;
    };
    answer.then(settled, settled);
    return answer;
  }
}
