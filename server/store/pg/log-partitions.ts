/**
 * The day partitions of PostgreSQL's query_log: one per UTC day, named query_log_pYYYYMMDD, made as
 * rows for a new day arrive (under an advisory lock, so replicas meeting a new day at the same moment
 * do not collide in the catalog), and dropped whole by retention.
 */
import type { PgPool } from './pg-connect.js';

const DAY_MS = 86_400_000;
const PARTITION_LOCK = 7_261_533_002;

/** The day number (days since 1970-01-01 UTC) of a time in ms. */
export function dayPartition(timeMs: number): number {
  return Math.floor(timeMs / DAY_MS);
}

export function partitionName(day: number): string {
  return `query_log_p${new Date(day * DAY_MS).toISOString().slice(0, 10).replace(/-/g, '')}`;
}

export async function ensureDayPartitions(pool: PgPool, days: number[]): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [PARTITION_LOCK]);
    for (const day of days) {
      const from = day * DAY_MS;
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${partitionName(day)} PARTITION OF query_log FOR VALUES FROM (${from}) TO (${from + DAY_MS})`,
      );
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

/** The partitions that exist, oldest first, with their day. */
export async function listDayPartitions(pool: PgPool): Promise<Array<{ name: string; day: number }>> {
  const result = await pool.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
       WHERE i.inhparent = 'query_log'::regclass ORDER BY 1`,
  );
  const out: Array<{ name: string; day: number }> = [];
  for (const { name } of result.rows) {
    const match = /^query_log_p(\d{4})(\d{2})(\d{2})$/.exec(name);
    if (match === null) continue;
    out.push({ name, day: dayPartition(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]))) });
  }
  return out;
}

/** Drops the partitions whose whole day is before `cutoffMs`; returns their names. */
export async function dropExpiredPartitions(pool: PgPool, cutoffMs: number): Promise<string[]> {
  const dropped: string[] = [];
  for (const { name, day } of await listDayPartitions(pool)) {
    if ((day + 1) * DAY_MS > cutoffMs) continue;
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [PARTITION_LOCK]);
      await client.query(`DROP TABLE IF EXISTS ${name}`);
      await client.query('COMMIT');
      dropped.push(name);
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  }
  return dropped;
}

/** This replica's id in `replicas` (made on first use); notes that it was seen now. */
export async function registerReplica(pool: PgPool, name: string): Promise<number> {
  const result = await pool.query<{ id: number }>(
    `INSERT INTO replicas (name) VALUES ($1)
       ON CONFLICT (name) DO UPDATE SET last_seen = now() RETURNING id`,
    [name],
  );
  return (result.rows[0] as { id: number }).id;
}
