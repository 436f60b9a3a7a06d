/**
 * The query log page and the live tail over PostgreSQL's query_log (every replica's rows): newest first
 * by row id (the order rows reached PostgreSQL), filtered, keyset-paginated by id, in the SQLite
 * reader's row shape (query-log-reader.ts). The filters use migration 0002's indexes: (device_id, id),
 * (company_id, id), (status, id) for the rare statuses; a name filter looks up the matching names in the
 * per-name totals and reads their rows through the name index (migration 0004), only in the newest hours
 * in which one of them was asked (log_names_hour) that hold a page of them.
 */
import type { QueryFilter, QueryPage, QueryRow } from '../query-log-reader.js';
import { clampLimit, floorTo } from '../rollup-periods.js';
import { ALL_DEVICES, HOUR_MS } from '../rollup-sums.js';
import type { PgPool } from './pg-connect.js';
import { one, Params, rows } from './pg-read.js';

const ROW_COLUMNS = `id, time, device_id AS "deviceId", nullif(client, '') AS client, nullif(name, '') AS name,
  qtype, protocol, status, reason, list_id AS "listId", rule_id AS "ruleId", company_id AS "companyId",
  category_id AS "categoryId", app_id AS "appId", kind, rcode, duration_us AS "durationUs",
  upstream_id AS "upstreamId", nullif(cname, '') AS "cnameTarget"`;
/** Statuses covered by the partial index query_log_by_status (keep in step with migration 0002). */
const INDEXED_STATUSES = new Set<number>([2, 5, 6, 7, 8, 9, 10]);
const MAX_NAMES = 500;

export class PgLogPage {
  constructor(private readonly pool: PgPool) {}

  async queries(filter: QueryFilter = {}): Promise<QueryPage> {
    const limit = clampLimit(filter.limit, 100, 1000);
    const params = new Params();
    const where: string[] = [];
    if (filter.before !== undefined) where.push(`id < ${params.add(filter.before)}`);
    if (filter.from !== undefined) where.push(`time >= ${params.add(Math.trunc(filter.from))}`);
    if (filter.to !== undefined) where.push(`time < ${params.add(Math.trunc(filter.to))}`);
    if (filter.deviceId !== undefined) where.push(`device_id = ${params.add(filter.deviceId)}`);
    if (filter.companyId !== undefined) {
      where.push(`company_id = ${params.add(filter.companyId)} AND company_id <> 0`);
    }
    if (filter.status !== undefined) {
      const statuses = (Array.isArray(filter.status) ? filter.status : [filter.status]).map((s) =>
        Math.trunc(s),
      );
      if (statuses.length === 0) return { rows: [], nextBefore: null };
      where.push(`status IN (${statuses.join(',')})`);
      if (statuses.every((s) => INDEXED_STATUSES.has(s))) where.push('status NOT IN (1, 3, 4)');
    }
    const select = (extra: string[], take: number, scanHours = false) => {
      const all = [...where, ...extra];
      const filtered = `SELECT ${ROW_COLUMNS} FROM query_log ${all.length > 0 ? `WHERE ${all.join(' AND ')}` : ''}`;
      // A few hours of a rare name: find the rows through the time index first (MATERIALIZED keeps the
      // planner from walking the id index of every partition backwards instead, filtering all the way).
      return rows<QueryRow>(
        this.pool,
        scanHours
          ? `WITH hits AS MATERIALIZED (${filtered}) SELECT * FROM hits ORDER BY id DESC LIMIT ${take}`
          : `${filtered} ORDER BY id DESC LIMIT ${take}`,
        params.values,
      );
    };
    let found: QueryRow[];
    if (filter.name !== undefined && filter.name !== '') {
      const pattern = `%${filter.name.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      const names = await this.matchingNames(pattern);
      if (names.length === 0) return { rows: [], nextBefore: null };
      if (names.length > MAX_NAMES) {
        // A common part of names: the newest rows hold a page of them soon enough.
        found = await select([`name LIKE ${params.add(pattern)} ESCAPE '\\'`], limit + 1);
      } else {
        // Through query_log_by_name (migration 0004), a few hours at a time, newest first.
        const nameTest = `(name COLLATE "C") = ANY(${params.add(names)}::text[])`;
        found = await this.byHours(names, filter, limit, (from, to) =>
          select([nameTest, `time >= ${from} AND time < ${to}`], limit + 1, true),
        );
      }
    } else {
      found = await select([], limit + 1);
    }
    const page = found.slice(0, limit);
    const last = page[page.length - 1];
    return { rows: page, nextBefore: found.length > limit && last !== undefined ? last.id : null };
  }

  queriesAfter(afterId: number, limit = 500): Promise<QueryRow[]> {
    return rows<QueryRow>(
      this.pool,
      `SELECT ${ROW_COLUMNS} FROM query_log WHERE id > $1 ORDER BY id LIMIT $2`,
      [afterId, clampLimit(limit, 500, 5000)],
    );
  }

  async lastId(): Promise<number> {
    return (await one<{ id: number }>(this.pool, 'SELECT coalesce(max(id), 0) AS id FROM query_log')).id;
  }

  /** Time of the oldest row and the newest time among the last thousand rows; null when empty. */
  async bounds(): Promise<{ oldest: number; newest: number } | null> {
    const row = await one<{ oldest: number | null; newest: number | null }>(
      this.pool,
      `SELECT (SELECT time FROM query_log ORDER BY id LIMIT 1) AS oldest,
              (SELECT max(time) FROM (SELECT time FROM query_log ORDER BY id DESC LIMIT 1000) t) AS newest`,
    );
    return row.oldest === null || row.newest === null ? null : { oldest: row.oldest, newest: row.newest };
  }

  /** Names asked (by any device) LIKE `pattern`; more than MAX_NAMES means "many". */
  private async matchingNames(pattern: string): Promise<string[]> {
    const found = await rows<{ name: string }>(
      this.pool,
      `SELECT DISTINCT name FROM log_names_total WHERE device_id = $1 AND name LIKE $2 ESCAPE '\\' LIMIT ${MAX_NAMES + 1}`,
      [ALL_DEVICES, pattern],
    );
    return found.map((row) => row.name);
  }

  /**
   * Rows of the hours in which one of `names` was asked, newest hours first: each read spans the next
   * hours whose counts (log_names_hour) add up to the rows still wanted, doubled at every read (other
   * filters may keep only some of them), until more than `limit` rows are found; newest first by id.
   */
  private async byHours(
    names: string[],
    filter: QueryFilter,
    limit: number,
    read: (from: number, to: number) => Promise<QueryRow[]>,
  ): Promise<QueryRow[]> {
    const from = filter.from ?? 0;
    const to = filter.to ?? Number.MAX_SAFE_INTEGER;
    const hours = await rows<{ bucket: number; n: number }>(
      this.pool,
      `SELECT bucket, sum(count) AS n FROM log_names_hour
       WHERE name = ANY($1::text[]) AND bucket >= $2 AND bucket < $3 GROUP BY bucket ORDER BY bucket DESC`,
      [names, floorTo(from, HOUR_MS), to],
    );
    const found: QueryRow[] = [];
    let wanted = limit + 1;
    for (let at = 0; at < hours.length && found.length <= limit;) {
      const newest = (hours[at] as { bucket: number }).bucket;
      let oldest = newest;
      for (let expected = 0; at < hours.length && expected < wanted; at++) {
        const hour = hours[at] as { bucket: number; n: number };
        oldest = hour.bucket;
        expected += hour.n;
      }
      found.push(
        ...(await read(Math.trunc(Math.max(oldest, from)), Math.trunc(Math.min(newest + HOUR_MS, to)))),
      );
      wanted *= 2;
    }
    return found.sort((a, b) => b.id - a.id);
  }
}
