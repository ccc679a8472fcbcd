/**
 * The writer's figures on its COFFER_METRICS_PORT: group commits (how many, how big, which events
 * they appended, expiries among them), the queue behind the batch in flight, the open finance
 * events and those past their deadline, and which replica leads in which term (a takeover starts
 * a new term). Counters move as batches are decided; gauges are read from the writer at scrape
 * time, so a scrape costs the writer nothing between scrapes.
 */
import type { NewEvent } from '@coffer/event-store';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { dueEvents } from '../domain/decide';
import type { LedgerState } from '../domain/state';

/** What the metrics read from the writer at scrape time. */
export interface WriterFigures {
  readonly isLeading: boolean;
  readonly term: number;
  readonly queued: number;
  readonly decidedState: LedgerState;
  readonly decisionTime: Date;
}

export class LedgerMetrics {
  private writer: WriterFigures | undefined;
  private readonly batches: Counter;
  private readonly batchCommands: Histogram;
  private readonly appended: Counter<'type'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.batches = new Counter({ name: 'coffer_ledger_batches_total', help: 'Batches the writer decided (group commits)', registers });
    this.batchCommands = new Histogram({
      name: 'coffer_ledger_batch_commands',
      help: 'Commands and queries decided per batch',
      buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
      registers,
    });
    this.appended = new Counter({
      name: 'coffer_ledger_events_appended_total',
      help: 'Events the writer appended, by type (TransactionPosted: committed transactions; EventExpired: expiries)',
      labelNames: ['type'] as const,
      registers,
    });
    const read = (pick: (writer: WriterFigures) => number) =>
      function (this: Gauge) {
        if (writer()) this.set(pick(writer()!));
      };
    const writer = () => this.writer;
    new Gauge({ name: 'coffer_ledger_leading', help: '1 while this replica is the active writer, 0 on standby', registers, collect: read((w) => (w.isLeading ? 1 : 0)) });
    new Gauge({ name: 'coffer_ledger_term', help: "The writer term this replica's state is in: a takeover starts a new one", registers, collect: read((w) => w.term) });
    new Gauge({ name: 'coffer_ledger_queue_depth', help: 'Commands waiting behind the batch in flight', registers, collect: read((w) => w.queued) });
    new Gauge({
      name: 'coffer_ledger_open_finance_events',
      help: 'Finance events open (neither settled nor expired)',
      registers,
      collect: read((w) => w.decidedState.openEvents.size),
    });
    new Gauge({
      name: 'coffer_ledger_due_expiries',
      help: 'Open finance events past their deadline, not yet expired (the sweeper expires them within moments on the leader)',
      registers,
      collect: read((w) => (w.isLeading ? dueEvents(w.decidedState, w.decisionTime).length : 0)),
    });
  }

  /** The writer whose gauges a scrape reads (built after these metrics, which it reports to). */
  watch(writer: WriterFigures): void {
    this.writer = writer;
  }

  /** After a batch's events are durable and its callers answered. */
  readonly batchDecided = (commands: number, events: NewEvent[]): void => {
    this.batches.inc();
    this.batchCommands.observe(commands);
    for (const event of events) this.appended.inc({ type: event.type });
  };
}
