/**
 * Helpers of the PostgreSQL read side (pg-analytics.ts, pg-log-page.ts, pg-top-names.ts): numbered
 * parameters built as the SQL is, bigint and numeric results as numbers (counts and row ids stay far
 * below 2^53), and the rollup segments of a period (the same split as the SQLite readers').
 */
import pg from 'pg';
import type { PgPool } from './pg-connect.js';
import { floorTo, hourAndDaySegments, type Period, type Segment } from '../rollup-periods.js';
import { HOUR_MS, MINUTE_MS, SHORT_ROLLUP_KEEP_MS } from '../rollup-sums.js';

const INT8 = 20;
const NUMERIC = 1700;

/** Counts and ids as numbers: sum() of bigint is numeric, and node-postgres gives both as text. */
const NUMBER_TYPES = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8 || oid === NUMERIC) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

/** $1, $2 … in the order values are added. */
export class Params {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

export async function rows<T>(pool: PgPool, text: string, values: unknown[] = []): Promise<T[]> {
  const result = await pool.query({ text, values, types: NUMBER_TYPES });
  return result.rows as T[];
}

export async function one<T>(pool: PgPool, text: string, values: unknown[] = []): Promise<T> {
  const [row] = await rows<T>(pool, text, values);
  if (row === undefined) throw new Error('expected one row from PostgreSQL, got none');
  return row;
}

/**
 * The rollup tables (log_totals_* or log_counts_*) that cover a period widened to its buckets: minutes
 * for a recent period of up to 48 h (when `allowMinutes`, totals only), otherwise hour edges and the
 * whole UTC days between them from the day table.
 */
export function pgSegments(
  kind: 'totals' | 'counts',
  period: Period,
  now: number,
  allowMinutes = true,
): Segment[] {
  const span = period.to - period.from;
  const recent = period.from >= now - SHORT_ROLLUP_KEEP_MS;
  if (kind === 'totals' && allowMinutes && recent && span <= SHORT_ROLLUP_KEEP_MS) {
    return [{ table: 'log_totals_minute', from: floorTo(period.from, MINUTE_MS), to: period.to }];
  }
  return hourAndDaySegments(`log_${kind}_hour`, `log_${kind}_day`, floorTo(period.from, HOUR_MS), period.to);
}

/**
 * `(SELECT … UNION ALL …)` of the segments' rows for one device (or several: an array), with `where`
 * added to each arm.
 */
export function segmentRows(
  segments: Segment[],
  device: number | number[],
  params: Params,
  where = '',
): string {
  const extra = where === '' ? '' : ` AND ${where}`;
  const deviceTest = Array.isArray(device)
    ? `device_id = ANY(${params.add(device)}::int4[])`
    : `device_id = ${params.add(device)}`;
  return `(${segments
    .map(
      (s) =>
        `SELECT * FROM ${s.table} WHERE ${deviceTest} AND bucket >= ${params.add(s.from)} AND bucket < ${params.add(s.to)}${extra}`,
    )
    .join(' UNION ALL ')}) s`;
}
