import type { LedgerCommandBody, LedgerQuery, Reply, RequestMeta } from '@coffer/contracts';
import type { DecideContext, SystemCommand } from '../domain/decide';

/** A command waiting for the writer. Its context's `now` is set to the decision time when its turn comes. */
export interface CommandWork {
  kind: 'command';
  command: LedgerCommandBody['command'] | SystemCommand;
  context: DecideContext;
  meta: RequestMeta;
}

export type Work = CommandWork | { kind: 'query'; query: LedgerQuery };

/** Work in the writer's queue, with whoever waits for its answer. */
export interface Queued {
  work: Work;
  resolve: (reply: Reply<unknown>) => void;
}
