/**
 * The dashboard's rollups in PostgreSQL (migration 0002), kept by the statement that ships a batch:
 * `withRollups` wraps the shipper's multi-row INSERT into one statement that also adds the batch's sums
 * (per minute/hour/day totals, per hour/day company counts, per name hour/day/total), so the raw rows and
 * their sums commit together or not at all: a batch retried after a failure is never counted twice.
 * Each replica adds only to its own rollup rows (replica_id is in every key), so replicas shipping at the
 * same moment never wait for each other's row locks. `pruneRollups` is retention's part.
 */
import type { PgPool } from './pg-connect.js';
import { ALL_DEVICES, DAY_MS, HOUR_MS, MINUTE_MS, SHORT_ROLLUP_KEEP_MS } from '../rollup-sums.js';

/** The shipped columns the rollups read, by the names the wrapped statement gives them. */
const NEEDED = ['time', 'device_id', 'status', 'company_id', 'category_id', 'app_id', 'kind', 'name'];

/**
 * One statement: the batch's rows (`source`, a SELECT yielding `columns` in order, e.g. an unnest() of
 * array parameters) into query_log with `replica` (a parameter) as their replica_id, and their sums into
 * the rollups.
 */
export function withRollups(columns: readonly string[], source: string, replica: string): string {
  for (const column of NEEDED) {
    if (!columns.includes(column)) throw new Error(`withRollups: the batch has no column ${column}`);
  }
  // Every row twice: for its device and for all devices.
  const both = `(SELECT device_id AS dev, * FROM u UNION ALL SELECT ${ALL_DEVICES} AS dev, * FROM u)`;
  const add = (table: string) => `DO UPDATE SET count = ${table}.count + excluded.count`;
  const keep = (table: string) =>
    `DO UPDATE SET count = ${table}.count + excluded.count,
       company_id = greatest(${table}.company_id, excluded.company_id), kind = greatest(${table}.kind, excluded.kind)`;
  const totals = (level: string, step: number) =>
    `t_${level} AS (INSERT INTO log_totals_${level} (device_id, bucket, category_id, kind, status, replica_id, count)
       SELECT dev, time - time % ${step}, category_id, kind, status, ${replica}, count(*) FROM ${both} b
       GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
       ON CONFLICT (device_id, bucket, category_id, kind, status, replica_id) ${add(`log_totals_${level}`)})`;
  const counts = (level: string, step: number) =>
    `c_${level} AS (INSERT INTO log_counts_${level}
         (device_id, bucket, company_id, category_id, app_id, kind, status, replica_id, count)
       SELECT dev, time - time % ${step}, company_id, category_id, app_id, kind, status, ${replica}, count(*)
       FROM ${both} b GROUP BY 1, 2, 3, 4, 5, 6, 7 ORDER BY 1, 2, 3, 4, 5, 6, 7
       ON CONFLICT (device_id, bucket, company_id, category_id, app_id, kind, status, replica_id) ${add(`log_counts_${level}`)})`;
  return `WITH u AS MATERIALIZED (SELECT * FROM ${source} AS u(${columns.join(', ')})),
  raw AS (INSERT INTO query_log (${columns.join(', ')}, replica_id) SELECT u.*, ${replica} FROM u),
  devices AS (INSERT INTO log_devices (device_id) SELECT DISTINCT device_id FROM u ORDER BY 1 ON CONFLICT DO NOTHING),
  ${totals('minute', MINUTE_MS)},
  ${totals('hour', HOUR_MS)},
  ${totals('day', DAY_MS)},
  ${counts('hour', HOUR_MS)},
  ${counts('day', DAY_MS)},
  n_hour AS (INSERT INTO log_names_hour (name, bucket, status, replica_id, company_id, kind, count)
    SELECT name, time - time % ${HOUR_MS}, status, ${replica}, max(company_id), max(kind), count(*)
    FROM u WHERE name <> '' GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (name, bucket, status, replica_id) ${keep('log_names_hour')}),
  n_day AS (INSERT INTO log_names_day (device_id, name, bucket, status, replica_id, company_id, kind, count)
    SELECT dev, name, time - time % ${DAY_MS}, status, ${replica}, max(company_id), max(kind), count(*)
    FROM ${both} b WHERE name <> '' GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
    ON CONFLICT (device_id, name, bucket, status, replica_id) ${keep('log_names_day')}),
  n_total AS (INSERT INTO log_names_total (device_id, name, status, replica_id, company_id, kind, count)
    SELECT dev, name, status, ${replica}, max(company_id), max(kind), count(*)
    FROM ${both} b WHERE name <> '' GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (device_id, name, status, replica_id) ${keep('log_names_total')})
  SELECT 1`;
}

/**
 * Retention of the rollups, beside the raw log's partitions: buckets before `cutoffMs` (floored to the
 * day) go, their per-name counts subtracted from the totals first; minute totals go after 48 h. One
 * transaction, so a reader never sees the totals without the days they summed.
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
    for (const table of ['log_names_day', 'log_names_hour', 'log_counts_day', 'log_counts_hour']) {
      await client.query(`DELETE FROM ${table} WHERE bucket < $1`, [cutoff]);
    }
    await client.query('DELETE FROM log_totals_day WHERE bucket < $1', [cutoff]);
    await client.query('DELETE FROM log_totals_hour WHERE bucket < $1', [cutoff]);
    await client.query('DELETE FROM log_totals_minute WHERE bucket < $1', [
      Math.max(cutoff, nowMs - SHORT_ROLLUP_KEEP_MS - HOUR_MS),
    ]);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}
