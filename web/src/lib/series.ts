// Shaping a time series for the charts: plain data, no DOM, so it is unit-tested outside a browser.
import type { TimeSeries } from './api-types.js';

/**
 * The series from its first busy bucket on, keeping at least `minBuckets`: on a new install all the
 * queries sit in the last few of 288 buckets, and the chart was one 1-px bar at the right edge.
 */
export function fromFirstActivity(timeseries: TimeSeries, minBuckets = 12): TimeSeries {
  const size = timeseries.buckets.length;
  let first = size;
  for (const line of timeseries.series) {
    const index = line.counts.findIndex((count) => count > 0);
    if (index >= 0 && index < first) first = index;
  }
  const start = Math.max(0, Math.min(first, size - minBuckets));
  if (start === 0) return timeseries;
  return {
    ...timeseries,
    buckets: timeseries.buckets.slice(start),
    series: timeseries.series.map((line) => ({ ...line, counts: line.counts.slice(start) })),
  };
}
