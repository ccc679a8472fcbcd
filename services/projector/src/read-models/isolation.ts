/**
 * A batch that failed for an event's content (quarantine.ts, isEventFault) is projected again
 * event by event, each in a savepoint of the caller's transaction: the events that fail alone
 * are quarantined and the others projected, so one event never stops the read models. A fault
 * of the database still fails the whole batch, which is retried from the checkpoint.
 */
import type { PoolClient } from 'pg';
import type { ReplayedEvent } from '@coffer/event-store';
import { isEventFault, quarantine, readModelsConsumer } from '../quarantine';
import { projectBatch } from './project-read-models';

/** An event as projected, with its id when the reader has it (replays read none). */
export type ProjectedEvent = ReplayedEvent & { id?: string };

export interface Quarantined {
  event: ProjectedEvent;
  error: unknown;
}

/**
 * Projects `events` one at a time and quarantines each that fails for its content; returns
 * those. `idOf` finds the id of a quarantined event read without one.
 */
export async function projectEventByEvent(
  client: PoolClient,
  generation: number,
  events: ProjectedEvent[],
  idOf: (event: ProjectedEvent) => Promise<string | undefined> = async (event) => event.id,
): Promise<Quarantined[]> {
  const set: Quarantined[] = [];
  for (const event of events) {
    await client.query('SAVEPOINT one_event');
    try {
      await projectBatch(client, generation, [event]);
      await client.query('RELEASE SAVEPOINT one_event');
    } catch (error) {
      if (!isEventFault(error)) throw error;
      await client.query('ROLLBACK TO SAVEPOINT one_event');
      await quarantine(client, readModelsConsumer(generation), { ...event, id: await idOf(event) }, error);
      set.push({ event, error });
    }
  }
  return set;
}
