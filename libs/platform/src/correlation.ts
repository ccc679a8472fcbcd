import { AsyncLocalStorage } from 'node:async_hooks';

/** The correlation id of the request being handled, carried through every await. */
const storage = new AsyncLocalStorage<{ correlationId: string }>();

export function runWithCorrelation<T>(correlationId: string, work: () => T): T {
  return storage.run({ correlationId }, work);
}

export function currentCorrelationId(): string | undefined {
  return storage.getStore()?.correlationId;
}
