/**
 * How a writer takes a request from NATS, the same in every writer (the subscriber side of the
 * decider runtime): its envelope is checked here (the meta, and the body by the writer's own
 * check), a malformed one is refused with a 400 before anything is decided. The events it causes
 * carry its correlation id from its meta, and so do the log lines about it (passed as a field):
 * not from an AsyncLocalStorage, whose promise hooks would cost every promise of the process.
 */
import { isRequestMeta, refusal, type Reply, type Request } from '@coffer/contracts';

export function takeRequest<Body, Result>(
  request: unknown,
  isBody: (body: unknown) => body is Body,
  malformed: string,
  handle: (request: Request<Body>) => Promise<Reply<Result>>,
): Promise<Reply<Result>> {
  const { meta, body } = (request ?? {}) as Partial<Request<unknown>>;
  if (!isRequestMeta(meta) || !isBody(body)) return Promise.resolve(refusal('VALIDATION_FAILED', malformed));
  return handle({ meta, body });
}
