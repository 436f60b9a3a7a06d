/**
 * The dashboard's time series, the same for every engine (SQLite's Analytics, PostgreSQL's PgAnalytics):
 * which rollup grain and buckets a range reads, and how the counts per (bucket, status) become points.
 * Each reader only says where its counts come from.
 */
import { QUERY_STATUS_NAMES, type QueryStatus } from '../events/query-event.js';
import type { Series, SeriesPoint, SeriesRange } from './analytics-types.js';
import { floorTo } from './rollup-periods.js';
import { DAY_MS, HOUR_MS, MINUTE_MS } from './rollup-sums.js';

export interface SeriesBuckets {
  /** The totals rollup to read: per 10 min over 24 h, per hour over 7 days, per day over 30 days. */
  grain: 'minute' | 'hour' | 'day';
  stepMs: number;
  steps: number;
  /** Bucket range [start, end), ending with the bucket that holds `now`. */
  start: number;
  end: number;
}

export function seriesBuckets(range: SeriesRange, now: number): SeriesBuckets {
  const [grain, stepMs, steps] =
    range === '24h'
      ? (['minute', 10 * MINUTE_MS, 144] as const)
      : range === '7d'
        ? (['hour', HOUR_MS, 168] as const)
        : (['day', DAY_MS, 30] as const);
  const end = floorTo(now, stepMs) + stepMs;
  return { grain, stepMs, steps, start: end - steps * stepMs, end };
}

/** Counts per bucket start `t` and status → one point per bucket, every status named (zero when absent). */
export function seriesFromCounts(
  range: SeriesRange,
  buckets: SeriesBuckets,
  counts: readonly { t: number; status: number; n: number }[],
): Series {
  const { start, stepMs, steps } = buckets;
  const points: SeriesPoint[] = [];
  for (let i = 0; i < steps; i++)
    points.push({ time: start + i * stepMs, total: 0, byStatus: emptyStatusCounts() });
  for (const row of counts) {
    const point = points[Math.floor((row.t - start) / stepMs)];
    if (point === undefined) continue;
    point.total += row.n;
    const name = QUERY_STATUS_NAMES[row.status as QueryStatus] ?? `status-${row.status}`;
    point.byStatus[name] = (point.byStatus[name] ?? 0) + row.n;
  }
  return { range, stepMs, points };
}

function emptyStatusCounts(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const name of Object.values(QUERY_STATUS_NAMES)) counts[name] = 0;
  return counts;
}
