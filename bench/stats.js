// Percentiles over raw samples. A run keeps every latency (a few hundred thousand numbers is a
// few MB): exact percentiles, no histogram resolution to argue about.
'use strict';

/** Nearest-rank percentile of an ascending-sorted array (p in 0..100); null when empty. */
function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

const round = (value, digits = 2) => (value === null || !Number.isFinite(value) ? null : Number(value.toFixed(digits)));

/** {count, mean, p50, p95, p99, max} in the samples' unit, rounded. Sorts a copy. */
function summarize(samples) {
  const sorted = Float64Array.from(samples).sort();
  let sum = 0;
  for (const value of sorted) sum += value;
  return {
    count: sorted.length,
    mean: round(sorted.length ? sum / sorted.length : null),
    p50: round(percentile(sorted, 50)),
    p95: round(percentile(sorted, 95)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted.length ? sorted[sorted.length - 1] : null),
  };
}

module.exports = { percentile, summarize, round };
