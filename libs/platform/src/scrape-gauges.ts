/**
 * Gauges read at scrape time from one measurement (a query or two), shared by every gauge that
 * shows a part of it: prom-client collects all the gauges of a scrape at once, and each would
 * otherwise run the same query. A measurement younger than `shareMs` is reused; one that failed
 * (undefined: a schema not made yet, a database away) leaves its gauges as they were rather
 * than failing the scrape.
 */
import { Gauge, type Registry } from 'prom-client';

export function sharedMeasurement<Figures>(measure: () => Promise<Figures | undefined>, shareMs: number): () => Promise<Figures | undefined> {
  let latest: { at: number; figures: Promise<Figures | undefined> } | undefined;
  return () => {
    if (!latest || Date.now() - latest.at > shareMs) latest = { at: Date.now(), figures: measure() };
    return latest.figures;
  };
}

/** A maker of gauges that each show `pick` of one shared measurement. */
export function scrapeGauges<Figures>(
  registry: Registry,
  measure: () => Promise<Figures | undefined>,
  shareMs: number,
): (name: string, help: string, pick: (figures: Figures) => number) => Gauge {
  const figures = sharedMeasurement(measure, shareMs);
  return (name, help, pick) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        const measured = await figures();
        if (measured) this.set(pick(measured));
      },
    });
}
