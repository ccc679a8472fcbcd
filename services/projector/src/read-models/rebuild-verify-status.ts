/**
 * Operator commands on the read models: rebuild (blue/green), verify (books balance and the
 * serving models equal a fresh fold of the events) and status (position and lag).
 */
import type { PoolClient } from 'pg';
import type { EventStore, ReplayedEvent } from '@coffer/event-store';
import { READ_MODELS } from '@coffer/read-models';
import { FEED_CONSUMER, isEventFault, quarantined, readModelsConsumer } from '../quarantine';
import { projectBatch, ReadModelsReplay } from './project-read-models';
import type { Generations } from './generations';
import { projectEventByEvent, type ProjectedEvent } from './isolation';
import { generationSchema, READ_MODEL_TABLES, type ReadModelTable } from './schema';

const PAGE = 20000;
/**
 * A rebuild reports progress once per page written. With PAGE alone, a store of fewer than PAGE
 * events is one page: its only report came at the end and the operator saw a bar at 100% and
 * nothing before (issue 16). A rebuild's pages are at most 1/PROGRESS_STEPS of the store (and no
 * smaller than MIN_PROGRESS_PAGE, so a tiny store is not read event by event).
 */
const PROGRESS_STEPS = 20;
const MIN_PROGRESS_PAGE = 100;

export function rebuildPageSize(total: number): number {
  return Math.min(PAGE, Math.max(MIN_PROGRESS_PAGE, Math.ceil(total / PROGRESS_STEPS)));
}

export type Progress = (done: number, total: number) => void;
/** A rebuild's steps after the replay, which report no events but take their time on a big store. */
export type RebuildPhase = 'indexing' | 'catching up and swapping';

interface PageOptions {
  /** Last event wanted (inclusive); the head when undefined. */
  until?: bigint;
  /** Events per page (PAGE unless a test wants many small pages). */
  size?: number;
}

/**
 * Pages of the events after `after`. Reading the next page overlaps the caller's work on this
 * one: the store and the read models are different work for PostgreSQL, and a replay is
 * otherwise half idle waiting on each.
 */
async function* pages(
  store: EventStore,
  after: bigint | undefined,
  { until, size = PAGE }: PageOptions = {},
): AsyncGenerator<ReplayedEvent[]> {
  const read = async (from: bigint | undefined) => {
    const events = await store.readAllForReplay({ after: from, maxCount: size });
    return until === undefined ? events : events.filter((event) => event.globalPosition <= until);
  };
  let next = read(after);
  for (;;) {
    const events = await next;
    if (events.length === 0) return;
    next = read(events[events.length - 1].globalPosition);
    next.catch(() => undefined); // awaited on the next turn; not unhandled if the caller fails first
    yield events;
  }
}

/**
 * Fills `generation` from its checkpoint up to `until` (inclusive; head when undefined) the way
 * the live projector does, batch by batch, each page in its own transaction unless a client is
 * given.
 */
async function fill(
  store: EventStore,
  generations: Generations,
  generation: number,
  options: { until?: bigint; client?: PoolClient; progress?: (count: number) => void },
): Promise<void> {
  const { position } = await generations.checkpoint(generation, options.client);
  let before = position;
  for await (const events of pages(store, position, { until: options.until })) {
    const last = events[events.length - 1];
    // As the live projector does (projector.ts): a page that fails for an event's content is
    // projected again event by event, and what fails alone is quarantined.
    const isolating = (client: PoolClient) => projectEventByEvent(client, generation, events, idReader(store, events, before));
    const write = async (client: PoolClient, project: (client: PoolClient) => Promise<unknown>) => {
      // A generation being filled serves nobody and is rebuilt from the events after a crash,
      // so its pages need not wait for the WAL flush.
      if (!options.client) await client.query('SET LOCAL synchronous_commit = off');
      await project(client);
      await generations.setCheckpoint(client, generation, last.globalPosition, last.occurredAt, events.length);
    };
    const batch = (client: PoolClient) => projectBatch(client, generation, events);
    if (options.client) {
      await inSavepoint(options.client, (client) => write(client, batch), (client) => write(client, isolating));
    } else {
      await inTransactions(generations, (client) => write(client, batch), (client) => write(client, isolating));
    }
    options.progress?.(events.length);
    before = last.globalPosition;
  }
}

/** Runs `first` in a transaction; if it fails for an event's content, runs `instead` in another. */
async function inTransactions(generations: Generations, first: (client: PoolClient) => Promise<void>, instead: (client: PoolClient) => Promise<void>) {
  try {
    await generations.transaction(first);
  } catch (error) {
    if (!isEventFault(error)) throw error;
    await generations.transaction(instead);
  }
}

/** Runs `first` inside the caller's transaction; if it fails for an event's content, undoes it and runs `instead`. */
async function inSavepoint(client: PoolClient, first: (client: PoolClient) => Promise<void>, instead: (client: PoolClient) => Promise<void>) {
  await client.query('SAVEPOINT page');
  try {
    await first(client);
    await client.query('RELEASE SAVEPOINT page');
  } catch (error) {
    if (!isEventFault(error)) throw error;
    await client.query('ROLLBACK TO SAVEPOINT page');
    await instead(client);
  }
}

/**
 * The id of an event of `events` (read for a replay, without ids), for its quarantine record:
 * read again with its id, as the first event after the one before it (`before` for the first).
 * Only quarantined events are looked up, so a replay pays nothing for it.
 */
function idReader(store: EventStore, events: ReplayedEvent[], before: bigint | undefined) {
  return async (event: ProjectedEvent): Promise<string | undefined> => {
    if (event.id) return event.id;
    const index = events.indexOf(event);
    const after = index > 0 ? events[index - 1].globalPosition : before;
    const [read] = await store.readAll({ after, maxCount: 1 });
    return read?.globalPosition === event.globalPosition ? read.id : undefined;
  };
}

/**
 * Folds every event so far into `generation`, empty and without lookup keys, with one Replay.
 * Each page's rows are written while the next page is read and folded, one write at a time;
 * the checkpoint moves only at the end, with the rows the pages left, so the generation matches
 * it from then on (a crash before leaves a generation nobody uses: a rebuild starts a new one).
 */
async function replay(
  store: EventStore,
  generations: Generations,
  generation: number,
  options: { pageSize?: number; progress: (count: number) => void },
): Promise<void> {
  const folding = new ReadModelsReplay(generation);
  let writing: Promise<void> = Promise.resolve();
  let last: ReplayedEvent | undefined;
  let count = 0;
  // Nobody reads a generation being replayed and a crash abandons it: no waiting for WAL flushes.
  const inTransaction = (write: (client: PoolClient) => Promise<void>) =>
    generations.transaction(async (client) => {
      await client.query('SET LOCAL synchronous_commit = off');
      await write(client);
    });
  for await (const events of pages(store, undefined, { size: options.pageSize })) {
    const write = folding.fold(events);
    await writing;
    writing = inTransaction(write).then(() => options.progress(events.length));
    writing.catch(() => undefined); // awaited on the next turn; not unhandled if reading fails first
    last = events[events.length - 1];
    count += events.length;
  }
  await writing;
  await generations.addLookupKeys(generation);
  if (!last) return;
  const { globalPosition, occurredAt } = last;
  await inTransaction(async (client) => {
    await folding.finish(client);
    await generations.setCheckpoint(client, generation, globalPosition, occurredAt, count);
  });
}

async function countEvents(store: EventStore): Promise<number> {
  if (store.countEvents) return store.countEvents();
  let count = 0;
  let after: bigint | undefined;
  for (;;) {
    const page = await store.readAll({ after, maxCount: 10000 });
    count += page.length;
    if (page.length < 10000) return count;
    after = page[page.length - 1].globalPosition;
  }
}

/**
 * Replays every event into a new generation while the old one keeps serving, then, holding the
 * projector's lock, catches up the last events as the live projector would and swaps the views
 * in one transaction.
 */
export async function rebuild(
  store: EventStore,
  generations: Generations,
  { progress, phase, pageSize }: { progress?: Progress; phase?: (step: RebuildPhase) => void; pageSize?: number } = {},
) {
  await generations.ensure();
  const started = Date.now();
  const total = await countEvents(store);
  let generation = await generations.create({ lookupKeys: false });
  let done = 0;
  const tick = (count: number) => progress?.((done += count), Math.max(total, done));
  progress?.(0, total); // the start: before the first page, which may be the only one
  try {
    await replay(store, generations, generation, { pageSize: pageSize ?? rebuildPageSize(total), progress: tick });
  } catch (error) {
    await generations.drop(generation);
    if (!isEventFault(error)) throw error;
    // The replay folds the whole store at once and cannot set one event aside: an event it
    // cannot take sends the rebuild the live projector's way, page by page, quarantining it.
    generation = await generations.create();
    done = 0;
    await fill(store, generations, generation, { progress: tick });
  }
  phase?.('indexing');
  await generations.indexForReaders(generation);
  phase?.('catching up and swapping');
  const previous = await generations.locked(async (client) => {
    await fill(store, generations, generation, { client, progress: tick });
    const old = await generations.active(client);
    await generations.activate(client, generation);
    return old;
  });
  await generations.drop(previous);
  const seconds = (Date.now() - started) / 1000;
  return { generation, events: done, seconds, eventsPerSecond: Math.round(done / Math.max(seconds, 0.001)) };
}

export interface VerifyReport {
  ok: boolean;
  position: string | null;
  problems: string[];
}

/**
 * Folds every event into a scratch generation up to the serving generation's checkpoint and
 * compares each table row by row; also checks that every currency's balances sum to zero.
 */
export async function verify(store: EventStore, generations: Generations): Promise<VerifyReport> {
  await generations.ensure();
  const scratch = await generations.create();
  try {
    const serving = await generations.active();
    const early = await generations.checkpoint(serving);
    await fill(store, generations, scratch, { until: early.position });
    return await generations.locked(async (client) => {
      const active = await generations.active(client);
      const { position } = await generations.checkpoint(active, client);
      await fill(store, generations, scratch, { until: position, client });
      // Rows of another shape cannot be compared with these, nor checked by today's queries.
      if (!(await generations.servesCurrentShape(client))) {
        return { ok: false, position: position?.toString() ?? null, problems: ['the serving read models have an older shape: rebuild them (the projector does on start)'] };
      }
      const problems = [
        ...(await checks(client, active)),
        ...(await differences(client, active, scratch)),
        ...(await quarantined(client, [readModelsConsumer(active), FEED_CONSUMER])).map(
          (event) =>
            `quarantined by the ${event.consumer === FEED_CONSUMER ? 'analytics feed' : 'read models'}: event ${event.event_id ?? '(id unknown)'} ` +
            `at position ${event.global_position} (${event.type}): ${event.error}`,
        ),
      ];
      return { ok: problems.length === 0, position: position?.toString() ?? null, problems };
    });
  } finally {
    await generations.drop(scratch);
  }
}

/** Each read model's invariants on the serving generation (balances: the books balance). */
async function checks(client: PoolClient, generation: number): Promise<string[]> {
  const problems: string[] = [];
  for (const model of READ_MODELS) problems.push(...((await model.check?.(client, generationSchema(generation))) ?? []));
  return problems;
}

async function differences(client: PoolClient, serving: number, fresh: number): Promise<string[]> {
  const problems: string[] = [];
  for (const table of Object.keys(READ_MODEL_TABLES) as ReadModelTable[]) {
    const a = `${generationSchema(serving)}.${table}`;
    const b = `${generationSchema(fresh)}.${table}`;
    const keys = READ_MODEL_TABLES[table].join(', ');
    const { rows } = await client.query(
      `SELECT 'serving' AS side, * FROM (SELECT * FROM ${a} EXCEPT SELECT * FROM ${b}) x
       UNION ALL
       SELECT 'fresh fold' AS side, * FROM (SELECT * FROM ${b} EXCEPT SELECT * FROM ${a}) y
       ORDER BY ${keys} LIMIT 20`,
    );
    for (const row of rows) {
      const { side, ...values } = row;
      problems.push(`${table}: row only in the ${side}: ${JSON.stringify(values)}`);
    }
  }
  return problems;
}

export interface ProjectionStatus {
  generation: number;
  /** Events set aside by the serving read models and by the feed (verify lists them). */
  quarantined: { read_models: number; feed: number };
  position: string | null;
  head: string | null;
  behind_events: number;
  last_event_at: string | null;
  lag_seconds: number;
  events_projected: string;
}

/** Where the serving read models stand against the head of the store. */
export async function status(store: EventStore, generations: Generations): Promise<ProjectionStatus> {
  await generations.ensure();
  const generation = await generations.active();
  const checkpoint = await generations.checkpoint(generation);
  const head = await store.headPosition();
  const behind = await store.readAll({ after: checkpoint.position, maxCount: 100000 });
  const oldestUnprojected = behind[0]?.occurredAt;
  const set = await quarantined(generations.pool, [readModelsConsumer(generation), FEED_CONSUMER]);
  return {
    generation,
    quarantined: {
      read_models: set.filter((event) => event.consumer !== FEED_CONSUMER).length,
      feed: set.filter((event) => event.consumer === FEED_CONSUMER).length,
    },
    position: checkpoint.position?.toString() ?? null,
    head: head?.toString() ?? null,
    behind_events: behind.length,
    last_event_at: checkpoint.lastEventAt?.toISOString() ?? null,
    lag_seconds: oldestUnprojected ? Math.max(0, (Date.now() - oldestUnprojected.getTime()) / 1000) : 0,
    events_projected: checkpoint.eventsProjected.toString(),
  };
}
