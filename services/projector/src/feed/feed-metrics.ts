/**
 * The analytics feed on the projector's COFFER_METRICS_PORT: events published, and the publish
 * lag, the age of the oldest event in the store the feed has not reached yet (0 when caught up),
 * read at scrape time with one single-event read after the feed's position.
 */
import type { EventStore } from '@coffer/event-store';
import { Counter, Gauge, type Registry } from 'prom-client';

/** What the metrics read from the feed at scrape time. */
export interface FeedFigures {
  /** Events published since this process started. */
  readonly published: number;
  /** Global position of the last event the feed has handled (published or skipped); undefined before the first. */
  readonly position: bigint | undefined;
  /** False until the feed knows where the stream ends (after its first connection). */
  readonly resumed: boolean;
}

export function registerFeedMetrics(registry: Registry, feed: FeedFigures, store: EventStore): void {
  // The feed counts for itself (its hot path pays nothing for metrics); the counter catches up at each scrape.
  let counted = 0;
  new Counter({
    name: 'coffer_feed_published_events_total',
    help: 'Events the analytics feed published',
    registers: [registry],
    collect() {
      this.inc(feed.published - counted);
      counted = feed.published;
    },
  });
  new Gauge({
    name: 'coffer_feed_publish_lag_seconds',
    help: 'Age of the oldest stored event the analytics feed has not published yet (0 when caught up)',
    registers: [registry],
    async collect() {
      if (!feed.resumed) return; // not connected yet: unknown, not 0
      try {
        const [next] = await store.readAll({ after: feed.position, maxCount: 1 });
        this.set(next ? Math.max(0, (Date.now() - next.occurredAt.getTime()) / 1000) : 0);
      } catch {
        // the store is away: leave the gauge as it was rather than fail the scrape
      }
    },
  });
}
