/**
 * Helpers of the PostgreSQL read side (pg-analytics.ts, pg-log-page.ts, pg-top-names.ts): numbered
 * parameters built as the SQL is, bigint and numeric results as numbers (counts and row ids stay far
 * below 2^53), and the rollup segments of a period (the same split as the SQLite readers').
 */
import pg from 'pg';
import type { PgClient, PgPool } from './pg-connect.js';
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

/**
 * Plans (EXPLAIN, nothing read) a statement on every table the dashboard reads: a new server process
 * loads each table's, partition's and index's catalog entries the first time it plans over them, which
 * made a fresh connection's first query on the day-partitioned log ~30-60 ms slower than the next.
 */
const WARM_SQL = [
  `EXPLAIN SELECT * FROM query_log WHERE device_id = 0 AND company_id = 1 AND status = 2
     AND (name COLLATE "C") = '' AND time >= 0 ORDER BY id DESC LIMIT 1`,
  ...['totals_minute', 'totals_hour', 'totals_day', 'counts_hour', 'counts_day', 'names_day'].map(
    (table) => `EXPLAIN SELECT * FROM log_${table} WHERE device_id = 0 AND bucket >= 0`,
  ),
  'EXPLAIN SELECT * FROM log_device_names_hour WHERE device_id = 0 AND bucket >= 0',
  'EXPLAIN SELECT * FROM log_series_10min WHERE device_id = 0 AND bucket >= 0',
  "EXPLAIN SELECT * FROM log_names_hour WHERE name = '' AND bucket >= 0",
  'EXPLAIN SELECT * FROM log_names_total WHERE device_id = 0',
  'EXPLAIN SELECT * FROM log_devices',
].join('; ');

/**
 * Opens `count` connections of the pool at once and readies each for the dashboard's reads (WARM_SQL),
 * so the first page after start-up waits for neither a login nor the catalog. Never rejects: a failure
 * shows on the first page load instead.
 */
export async function warmPool(pool: PgPool, count: number): Promise<void> {
  const clients: PgClient[] = [];
  try {
    await Promise.all(
      Array.from({ length: count }, async () => {
        const client = await pool.connect();
        clients.push(client);
        await client.query(WARM_SQL);
      }),
    );
  } catch {
    // Shown by the first read that needs the server.
  } finally {
    for (const client of clients) client.release();
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
 * The rollup tables (log_totals_* or log_counts_*) that cover a period widened to its buckets: for a
 * recent period of up to 48 h (when `allowMinutes`, totals only) minute edges and the whole hours between
 * them, otherwise hour edges and the whole UTC days between them from the day table.
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
    // Minutes only at the edges: the whole hours between them read 60 times fewer rows.
    const from = floorTo(period.from, MINUTE_MS);
    const firstHour = floorTo(from + HOUR_MS - 1, HOUR_MS);
    const lastHour = floorTo(period.to, HOUR_MS);
    if (firstHour >= lastHour) return [{ table: 'log_totals_minute', from, to: period.to }];
    return [
      ...(from < firstHour ? [{ table: 'log_totals_minute', from, to: firstHour }] : []),
      { table: 'log_totals_hour', from: firstHour, to: lastHour },
      ...(lastHour < period.to ? [{ table: 'log_totals_minute', from: lastHour, to: period.to }] : []),
    ];
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
