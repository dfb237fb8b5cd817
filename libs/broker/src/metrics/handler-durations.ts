import type { Histogram } from 'prom-client';

/** Upper bounds (seconds) of mira_broker_handler_duration_seconds. */
export const DURATION_BUCKETS = [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30] as const;

/** Handler durations of one `type` label value: counts per bucket (not cumulative), sum, count. */
export class DurationSeries {
  readonly buckets = new Array<number>(DURATION_BUCKETS.length).fill(0);
  sum = 0;
  count = 0;

  constructor(readonly labels: { readonly type: string }) {}

  observe(seconds: number): void {
    this.sum += seconds;
    this.count++;
    for (let i = 0; i < DURATION_BUCKETS.length; i++)
      if (seconds <= DURATION_BUCKETS[i]) {
        this.buckets[i]++;
        return;
      }
  }
}

/** prom-client's record of one label set of a histogram (what observe() updates). */
interface HistogramRecord {
  labels: Record<string, string | number>;
  bucketValues: Record<number, number>;
  sum: number;
  count: number;
}

/**
 * Writes the series' totals into the histogram at scrape time (its collect callback), so a
 * delivery costs three additions instead of observe()'s label hashing and allocations. prom-client
 * has no public bulk update: this writes the per-label-set record that observe() and zero() keep
 * (prom-client 15); broker.metrics.spec.ts pins the resulting exposition.
 */
export function writeDurations(histogram: Histogram<'type'>, series: Iterable<DurationSeries>): void {
  const records = () =>
    Object.values((histogram as unknown as { hashMap: Record<string, HistogramRecord> }).hashMap);
  for (const s of series) {
    if (s.count === 0) continue;
    let record = records().find((r) => r.labels.type === s.labels.type);
    if (!record) {
      histogram.zero(s.labels);
      record = records().find((r) => r.labels.type === s.labels.type);
      if (!record) continue;
    }
    record.sum = s.sum;
    record.count = s.count;
    for (let i = 0; i < DURATION_BUCKETS.length; i++) record.bucketValues[DURATION_BUCKETS[i]] = s.buckets[i];
  }
}
