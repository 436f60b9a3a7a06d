/**
 * Periods over the query log's rollups: [from, to) in ms, widened to the rollups' buckets, and split into
 * the hour-table edges and the whole days between them (so a week reads 7 day rows and at most 48 hour
 * rows instead of 168). Shared by the analytics readers.
 */
import { DAY_MS } from './rollup-sums.js';

export interface Period {
  from: number;
  to: number;
}

export interface Segment {
  table: string;
  /** Bucket range [from, to). */
  from: number;
  to: number;
}

export function floorTo(time: number, step: number): number {
  return time - (((time % step) + step) % step);
}

/** [from, to) split into hour-table edges and the whole days between them from the day table. */
export function hourAndDaySegments(hourTable: string, dayTable: string, from: number, to: number): Segment[] {
  const dayFrom = floorTo(from + DAY_MS - 1, DAY_MS);
  const dayTo = floorTo(to, DAY_MS);
  if (dayTo <= dayFrom) return [{ table: hourTable, from, to }];
  return [
    { table: hourTable, from, to: dayFrom },
    { table: dayTable, from: dayFrom, to: dayTo },
    { table: hourTable, from: dayTo, to },
  ].filter((segment) => segment.to > segment.from);
}

export function clampLimit(limit: number | undefined, fallback: number, max = 1000): number {
  if (limit === undefined || !Number.isFinite(limit)) return fallback;
  return Math.min(max, Math.max(1, Math.trunc(limit)));
}
