/**
 * The dashboard's rollups in PostgreSQL (migrations 0002, 0003, 0011), kept by the statement that ships
 * a batch: the shipper sums the batch's rows in memory (pg-batch-sums.ts) and copies the sums into staging
 * tables beside the rows; `SHIP_SQL` then moves the rows into query_log and upserts every key of the
 * sums once (per minute/hour/day totals, the 24-hour series' 10-minute totals, per hour/day company
 * counts, per name hour/day/total, a device's names per hour), so the raw rows and their sums commit
 * together or not at all: a batch retried after a failure is never counted twice. Each replica adds only
 * to its own rollup rows (replica_id is in every key), so replicas shipping at the same moment never wait
 * for each other's row locks. `pruneRollups` is retention's part.
 */
import type { PgPool } from './pg-connect.js';
import { ALL_DEVICES, DAY_MS, HOUR_MS, SHORT_ROLLUP_KEEP_MS } from '../rollup-sums.js';
import { seriesBuckets } from '../series-buckets.js';

/** The 24-hour series' step (10 minutes): log_series_10min's buckets (PG migration 0011). */
export const SERIES_STEP_MS = seriesBuckets('24h', 0).stepMs;

/**
 * The session's staging tables of one shipping transaction (temporary: no WAL; emptied at commit):
 * the raw rows (`rowColumns`, COPY's order) and the batch's sums as BatchSums writes them.
 */
export function stagingSql(rowColumns: ReadonlyArray<readonly [string, string]>): string {
  const table = (name: string, columns: string) =>
    `CREATE TEMP TABLE IF NOT EXISTS ${name} (${columns}) ON COMMIT DELETE ROWS`;
  return [
    table('ship_batch', rowColumns.map(([name, type]) => `${name} ${type}`).join(', ')),
    table(
      'ship_totals',
      'device_id integer, bucket bigint, category_id integer, kind smallint, status smallint, count bigint',
    ),
    table(
      'ship_counts',
      'device_id integer, bucket bigint, company_id integer, category_id integer, app_id integer, kind smallint, status smallint, count bigint',
    ),
    table(
      'ship_names',
      'device_id integer, bucket bigint, status smallint, name text, count bigint, company_id integer, kind smallint',
    ),
    table(
      'ship_apps',
      'device_id integer, app_key text, first_seen bigint, last_seen bigint, queries bigint',
    ),
    table(
      'ship_trackers',
      'device_id integer, name text, company_id integer, first_seen bigint, last_seen bigint, total bigint',
    ),
    table('ship_links', 'device_id integer, app_key text, name text, together bigint'),
  ].join('; ');
}

/** The app inference's sums (pg-apps.ts shippedAppSums) into the staging tables. */
export const APP_COPIES = {
  apps: 'COPY ship_apps (device_id, app_key, first_seen, last_seen, queries) FROM STDIN',
  trackers: 'COPY ship_trackers (device_id, name, company_id, first_seen, last_seen, total) FROM STDIN',
  links: 'COPY ship_links (device_id, app_key, name, together) FROM STDIN',
} as const;

/**
 * The staged app sums into PG migration 0006's tables, in the batch's transaction (only sent when a
 * batch carries some). A tracker's company is the last non-zero one, as the SQLite rollup keeps it.
 */
export function appsSql(replica: string): string {
  return `WITH apps AS (INSERT INTO log_device_apps (device_id, app_key, replica_id, first_seen, last_seen, queries)
    SELECT device_id, app_key, ${replica}, min(first_seen), max(last_seen), sum(queries)
    FROM ship_apps GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (device_id, app_key, replica_id) DO UPDATE SET
      first_seen = least(log_device_apps.first_seen, excluded.first_seen),
      last_seen = greatest(log_device_apps.last_seen, excluded.last_seen),
      queries = log_device_apps.queries + excluded.queries),
  trackers AS (INSERT INTO log_device_trackers (device_id, name, replica_id, company_id, first_seen, last_seen, total)
    SELECT device_id, name, ${replica}, max(company_id), min(first_seen), max(last_seen), sum(total)
    FROM ship_trackers GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (device_id, name, replica_id) DO UPDATE SET
      company_id = CASE WHEN excluded.company_id <> 0 THEN excluded.company_id ELSE log_device_trackers.company_id END,
      first_seen = least(log_device_trackers.first_seen, excluded.first_seen),
      last_seen = greatest(log_device_trackers.last_seen, excluded.last_seen),
      total = log_device_trackers.total + excluded.total)
  INSERT INTO log_tracker_app_links (device_id, app_key, name, replica_id, together)
    SELECT device_id, app_key, name, ${replica}, sum(together) FROM ship_links GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (device_id, app_key, name, replica_id) DO UPDATE SET
      together = log_tracker_app_links.together + excluded.together`;
}

export const SUM_COPIES = {
  totals: 'COPY ship_totals (device_id, bucket, category_id, kind, status, count) FROM STDIN',
  counts:
    'COPY ship_counts (device_id, bucket, company_id, category_id, app_id, kind, status, count) FROM STDIN',
  names: 'COPY ship_names (device_id, bucket, status, name, count, company_id, kind) FROM STDIN',
} as const;

/**
 * One statement: the staged rows (`columns`) into query_log with `replica` (a parameter) as their
 * replica_id, and the staged sums into the rollups: minute totals widened to 10 minutes (per status only),
 * hours and days, hour counts to days, hour names to days and totals. Keys are upserted in key order (index locality).
 */
export function shipSql(columns: readonly string[], replica: string): string {
  const add = (table: string) => `DO UPDATE SET count = ${table}.count + excluded.count`;
  const keep = (table: string) =>
    `DO UPDATE SET count = ${table}.count + excluded.count,
       company_id = greatest(${table}.company_id, excluded.company_id), kind = greatest(${table}.kind, excluded.kind)`;
  const totals = (level: string, step: number) =>
    `t_${level} AS (INSERT INTO log_totals_${level} (device_id, bucket, category_id, kind, status, replica_id, count)
       SELECT device_id, bucket - bucket % ${step}, category_id, kind, status, ${replica}, sum(count)
       FROM ship_totals GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
       ON CONFLICT (device_id, bucket, category_id, kind, status, replica_id) ${add(`log_totals_${level}`)})`;
  const counts = (level: string, step: number) =>
    `c_${level} AS (INSERT INTO log_counts_${level}
         (device_id, bucket, company_id, category_id, app_id, kind, status, replica_id, count)
       SELECT device_id, bucket - bucket % ${step}, company_id, category_id, app_id, kind, status, ${replica}, sum(count)
       FROM ship_counts GROUP BY 1, 2, 3, 4, 5, 6, 7 ORDER BY 1, 2, 3, 4, 5, 6, 7
       ON CONFLICT (device_id, bucket, company_id, category_id, app_id, kind, status, replica_id) ${add(`log_counts_${level}`)})`;
  return `WITH raw AS (INSERT INTO query_log (${columns.join(', ')}, replica_id)
    SELECT ${columns.join(', ')}, ${replica} FROM ship_batch),
  devices AS (INSERT INTO log_devices (device_id)
    SELECT DISTINCT device_id FROM ship_totals WHERE device_id <> ${ALL_DEVICES} ORDER BY 1 ON CONFLICT DO NOTHING),
  ${totals('minute', 1)},
  ${totals('hour', HOUR_MS)},
  ${totals('day', DAY_MS)},
  s_10min AS (INSERT INTO log_series_10min (device_id, bucket, status, replica_id, count)
    SELECT device_id, bucket - bucket % ${SERIES_STEP_MS}, status, ${replica}, sum(count)
    FROM ship_totals GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (device_id, bucket, status, replica_id) ${add('log_series_10min')}),
  ${counts('hour', 1)},
  ${counts('day', DAY_MS)},
  n_hour AS (INSERT INTO log_names_hour (name, bucket, status, replica_id, company_id, kind, count)
    SELECT name, bucket, status, ${replica}, company_id, kind, count
    FROM ship_names WHERE device_id = ${ALL_DEVICES} ORDER BY 1, 2, 3
    ON CONFLICT (name, bucket, status, replica_id) ${keep('log_names_hour')}),
  d_hour AS (INSERT INTO log_device_names_hour (device_id, bucket, name, status, replica_id, company_id, kind, count)
    SELECT device_id, bucket, name, status, ${replica}, company_id, kind, count
    FROM ship_names WHERE device_id <> ${ALL_DEVICES} ORDER BY 1, 2, 3, 4
    ON CONFLICT (device_id, bucket, name, status, replica_id) ${keep('log_device_names_hour')}),
  n_day AS (INSERT INTO log_names_day (device_id, name, bucket, status, replica_id, company_id, kind, count)
    SELECT device_id, name, bucket - bucket % ${DAY_MS}, status, ${replica}, max(company_id), max(kind), sum(count)
    FROM ship_names GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
    ON CONFLICT (device_id, name, bucket, status, replica_id) ${keep('log_names_day')}),
  n_total AS (INSERT INTO log_names_total (device_id, name, status, replica_id, company_id, kind, count)
    SELECT device_id, name, status, ${replica}, max(company_id), max(kind), sum(count)
    FROM ship_names GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (device_id, name, status, replica_id) ${keep('log_names_total')})
  SELECT 1`;
}

/**
 * Retention of the rollups, beside the raw log's partitions: buckets before `cutoffMs` (floored to the
 * day) go, their per-name counts subtracted from the totals first; minute and 10-minute totals go after
 * 48 h. One transaction, so a reader never sees the totals without the days they summed.
 */
export async function pruneRollups(pool: PgPool, cutoffMs: number, nowMs: number): Promise<void> {
  const cutoff = cutoffMs - (((cutoffMs % DAY_MS) + DAY_MS) % DAY_MS);
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(
      `WITH gone AS (
         SELECT device_id, name, status, replica_id, sum(count) AS n FROM log_names_day
         WHERE bucket < $1 GROUP BY 1, 2, 3, 4)
       UPDATE log_names_total t SET count = t.count - gone.n FROM gone
       WHERE t.device_id = gone.device_id AND t.name = gone.name AND t.status = gone.status
         AND t.replica_id = gone.replica_id`,
      [cutoff],
    );
    await client.query('DELETE FROM log_names_total WHERE count <= 0');
    await client.query('DELETE FROM log_device_names_hour WHERE bucket < $1', [
      Math.max(cutoff, nowMs - SHORT_ROLLUP_KEEP_MS - HOUR_MS),
    ]);
    for (const table of ['log_names_day', 'log_names_hour', 'log_counts_day', 'log_counts_hour']) {
      await client.query(`DELETE FROM ${table} WHERE bucket < $1`, [cutoff]);
    }
    await client.query('DELETE FROM log_totals_day WHERE bucket < $1', [cutoff]);
    await client.query('DELETE FROM log_totals_hour WHERE bucket < $1', [cutoff]);
    for (const table of ['log_totals_minute', 'log_series_10min']) {
      await client.query(`DELETE FROM ${table} WHERE bucket < $1`, [
        Math.max(cutoff, nowMs - SHORT_ROLLUP_KEEP_MS - HOUR_MS),
      ]);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}
