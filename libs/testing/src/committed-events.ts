/** The part of the PostgreSQL event store this helper needs (kept structural: no import cycle). */
interface VisibleReader<E> {
  readVisible(after: bigint | undefined, maxCount: number): Promise<{ events: E[]; blocked: boolean }>;
}

/**
 * Every event committed so far, for assertions. `readAll` only hands out events below the oldest
 * append still running (the gap rule, libs/event-store/src/postgres/horizon.ts), so an append in
 * flight can hold fresh events back for a moment; this waits until none is held back instead of
 * asserting on a partial read.
 */
export async function readAllCommitted<E>(store: VisibleReader<E>, timeoutMs = 20000): Promise<E[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { events, blocked } = await store.readVisible(undefined, 2 ** 31 - 1);
    if (!blocked) return events;
    if (Date.now() > deadline) throw new Error('events stayed held back behind a running transaction');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
