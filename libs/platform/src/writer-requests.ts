/**
 * How a writer takes a request from NATS, the same in every writer (the subscriber side of the
 * decider runtime): its envelope is checked here (the meta, and the body by the writer's own
 * check), a malformed one is refused with a 400 before anything is decided, and the rest runs
 * under the request's correlation id, so every log line and event it causes carries it.
 */
import { isRequestMeta, refusal, type Reply, type Request } from '@coffer/contracts';
import { runWithCorrelation } from './correlation';

export function takeRequest<Body, Result>(
  request: unknown,
  isBody: (body: unknown) => body is Body,
  malformed: string,
  handle: (request: Request<Body>) => Promise<Reply<Result>>,
): Promise<Reply<Result>> {
  const { meta, body } = (request ?? {}) as Partial<Request<unknown>>;
  if (!isRequestMeta(meta) || !isBody(body)) return Promise.resolve(refusal('VALIDATION_FAILED', malformed));
  return runWithCorrelation(meta.correlation_id, () => handle({ meta, body }));
}
