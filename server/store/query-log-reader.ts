/**
 * The raw query log as the query log page and the live tail read it: newest first, filtered, keyset-
 * paginated by id. The rowid is the arrival order and time grows with it up to a small lag, so a time
 * window is found by binary search on id (idRange) instead of a time index, and a name filter scans only
 * the hours in which one of the matching names was asked (names_hour).
 */
import { floorTo, clampLimit } from './rollup-periods.js';
import { HOUR_MS } from './rollup-sums.js';
import type { QueryStatus } from '../events/query-event.js';
import type { Db } from './sqlite.js';
import type { DecodedEvent } from './query-queue.js';

export interface QueryFilter {
  deviceId?: number;
  /** Substring of the query name (case-insensitive). */
  name?: string;
  status?: QueryStatus | QueryStatus[];
  companyId?: number;
  from?: number;
  to?: number;
  /** Keyset pagination: only rows with an id below this (the previous page's nextBefore). */
  before?: number;
  /** Page size, 1..1000 (default 100). */
  limit?: number;
}

/**
 * One stored query as the log gives it back: the decoded event under the log's column names (`time`,
 * `client`), with its row id, and null where privacy settings kept the name or client out.
 */
export type QueryRow = Omit<DecodedEvent, 'timeMs' | 'clientAddress' | 'name' | 'cnameTarget'> & {
  id: number;
  time: number;
  client: string | null;
  /** null when the name was hidden by privacy settings. */
  name: string | null;
  cnameTarget: string | null;
};

export interface QueryPage {
  rows: QueryRow[];
  /** Pass as `before` for the next (older) page; null at the end. */
  nextBefore: number | null;
}

/** Events reach the writer in arrival order, but their timestamps may lag by an upstream timeout. */
const TIME_SLACK_MS = 60_000;
const MAX_NAME_IDS = 500;

const ROW_COLUMNS = `q.id, q.time, q.device_id AS deviceId, c.address AS client, n.name AS name, q.qtype, q.protocol,
  q.status, q.reason, q.list_id AS listId, q.rule_id AS ruleId, q.company_id AS companyId,
  q.category_id AS categoryId, q.app_id AS appId, q.kind, q.rcode, q.duration_us AS durationUs,
  q.upstream_id AS upstreamId, cn.name AS cnameTarget`;
const ROW_JOINS = `LEFT JOIN names n ON n.id = q.name_id AND q.name_id <> 0
  LEFT JOIN clients c ON c.id = q.client_id AND q.client_id <> 0
  LEFT JOIN names cn ON cn.id = q.cname_id AND q.cname_id <> 0`;
/** Statuses covered by the partial index queries_by_status (keep in step with the migration). */
const INDEXED_STATUSES = new Set<number>([2, 5, 6, 7, 8, 9, 10]);

export class QueryLogReader {
  constructor(private readonly connection: () => Db) {}

  /** The query log page: newest first, filtered, keyset-paginated by id. */
  queries(filter: QueryFilter = {}): QueryPage {
    const limit = clampLimit(filter.limit, 100, 1000);
    const from = filter.from ?? 0;
    const to = filter.to ?? Number.MAX_SAFE_INTEGER;
    const [lo, rangeHi] = this.idRange(from, to);
    let hi = filter.before === undefined ? rangeHi : Math.min(rangeHi, filter.before - 1);
    if (hi < lo) return { rows: [], nextBefore: null };

    const where: string[] = [];
    const params: Array<number | string> = [];
    if (filter.from !== undefined) where.push(`q.time >= ${Math.trunc(from)}`);
    if (filter.to !== undefined) where.push(`q.time < ${Math.trunc(to)}`);
    if (filter.deviceId !== undefined) {
      where.push('q.device_id = ?');
      params.push(filter.deviceId);
    }
    if (filter.companyId !== undefined) {
      // The literal `company_id <> 0` lets SQLite use the partial index.
      where.push('q.company_id = ? AND q.company_id <> 0');
      params.push(filter.companyId);
    }
    if (filter.status !== undefined) {
      const statuses = (Array.isArray(filter.status) ? filter.status : [filter.status]).map((s) =>
        Math.trunc(s),
      );
      if (statuses.length === 0) return { rows: [], nextBefore: null };
      where.push(`q.status IN (${statuses.join(',')})`);
      if (statuses.every((s) => INDEXED_STATUSES.has(s))) where.push('q.status NOT IN (1, 3, 4)');
    }
    let hours: number[] | null = null;
    if (filter.name !== undefined && filter.name !== '') {
      const nameIds = this.connection()
        .prepare(`SELECT id FROM names WHERE name LIKE ? ESCAPE '\\' LIMIT ${MAX_NAME_IDS + 1}`)
        .pluck()
        .all(`%${escapeLike(filter.name.toLowerCase())}%`) as number[];
      if (nameIds.length === 0) return { rows: [], nextBefore: null };
      where.push(`q.name_id IN (${nameIds.join(',')})`);
      if (nameIds.length <= MAX_NAME_IDS) {
        // Scan only the hours in which one of these names was asked (names_hour keeps them).
        hours = this.connection()
          .prepare(
            `SELECT DISTINCT bucket FROM names_hour WHERE name_id IN (${nameIds.join(',')})
             AND bucket >= ? AND bucket < ? ORDER BY bucket DESC`,
          )
          .pluck()
          .all(floorTo(from, HOUR_MS), to) as number[];
      }
    }

    const sql = `SELECT ${ROW_COLUMNS} FROM (SELECT * FROM queries q WHERE q.id BETWEEN ? AND ?
      ${where.length > 0 ? `AND ${where.join(' AND ')}` : ''} ORDER BY q.id DESC LIMIT ?) q ${ROW_JOINS} ORDER BY q.id DESC`;
    const statement = this.connection().prepare(sql);
    const rows: QueryRow[] = [];
    if (hours === null) {
      rows.push(...(statement.all(lo, hi, ...params, limit + 1) as QueryRow[]));
    } else {
      // Rows newer than the last name-rollup pass (up to a second's worth) are not in names_hour yet.
      const rolledTo = (this.connection()
        .prepare("SELECT last_id FROM rollup_state WHERE name = 'names'")
        .pluck()
        .get() ?? 0) as number;
      if (hi > rolledTo) {
        rows.push(...(statement.all(Math.max(lo, rolledTo + 1), hi, ...params, limit + 1) as QueryRow[]));
        hi = rolledTo;
      }
      for (const hour of hours) {
        if (rows.length > limit) break;
        const [hourLo, hourHi] = this.idRange(hour, hour + HOUR_MS);
        const a = Math.max(lo, hourLo);
        const b = Math.min(hi, hourHi);
        if (b < a) continue;
        rows.push(...(statement.all(a, b, ...params, limit + 1 - rows.length) as QueryRow[]));
        if (rows.length > limit) break;
        hi = a - 1;
      }
      // Hour ranges overlap by the time slack; keep each row once, newest first.
      dedupeById(rows);
    }
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return { rows: page, nextBefore: rows.length > limit && last !== undefined ? last.id : null };
  }

  /** Live tail: rows newer than `afterId`, oldest first (poll with the last id seen). */
  queriesAfter(afterId: number, limit = 500): QueryRow[] {
    return this.connection()
      .prepare(
        `SELECT ${ROW_COLUMNS} FROM (SELECT * FROM queries q WHERE q.id > ? ORDER BY q.id LIMIT ?) q ${ROW_JOINS} ORDER BY q.id`,
      )
      .all(afterId, clampLimit(limit, 500, 5000)) as QueryRow[];
  }

  /** Highest id in the log (start point for the live tail), 0 when empty. */
  lastId(): number {
    return (
      (this.connection().prepare('SELECT coalesce(max(id), 0) FROM queries').pluck().get() as number) ?? 0
    );
  }

  /**
   * [lo, hi] ids that hold every row with from ≤ time < to. The rowid is the arrival order and time
   * grows with it up to a small lag, so a binary search on id (each probe one B-tree lookup) finds the
   * window; callers still filter on time exactly.
   */
  idRange(from: number, to: number): [number, number] {
    const db = this.connection();
    // Two statements: SQLite answers a lone min() or max() from the B-tree edge, but scans for both at once.
    const bounds = {
      lo: (db.prepare('SELECT min(id) FROM queries').pluck().get() as number | null) ?? 0,
      hi: (db.prepare('SELECT max(id) FROM queries').pluck().get() as number | null) ?? -1,
    };
    if (bounds.hi < bounds.lo) return [1, 0];
    // Two point look-ups per probe: `WHERE id >= ? ORDER BY id LIMIT 1` was measured scanning to the end
    // of a 10 M-row log (150 ms a probe), while min(id) and id = ? are single B-tree descents.
    const nextId = db.prepare('SELECT min(id) FROM queries WHERE id >= ?').pluck();
    const timeOf = db.prepare('SELECT time FROM queries WHERE id = ?').pluck();
    const probe = {
      get(id: number): { id: number; time: number } | undefined {
        const found = nextId.get(id) as number | null;
        return found === null ? undefined : { id: found, time: timeOf.get(found) as number };
      },
    };
    const lowest = probe.get(bounds.lo);
    const highest = probe.get(bounds.hi);
    /**
     * First id whose row's time is ≥ t (hi + 1 when none). Interpolation steps (time grows about
     * linearly with id) alternate with bisection steps, so it converges in a few probes on a steady log
     * and in at most twice the bisection's probes on a bursty one.
     */
    const firstAtOrAfter = (t: number): number => {
      let left = bounds.lo;
      let right = bounds.hi + 1;
      let leftTime = lowest?.time ?? 0;
      let rightTime = highest?.time ?? 0;
      let step = 0;
      while (left < right) {
        let mid = Math.floor((left + right) / 2);
        if (step++ % 2 === 0 && rightTime > leftTime && t > leftTime && t <= rightTime) {
          const guess = left + Math.floor(((t - leftTime) / (rightTime - leftTime)) * (right - left));
          mid = Math.min(right - 1, Math.max(left, guess));
        }
        const row = probe.get(mid);
        if (row === undefined || row.time >= t) {
          right = mid;
          if (row !== undefined) rightTime = row.time;
        } else {
          left = row.id + 1;
          leftTime = row.time;
        }
      }
      return left;
    };
    const lo = from <= 0 ? bounds.lo : firstAtOrAfter(from - TIME_SLACK_MS);
    const hi = to >= Number.MAX_SAFE_INTEGER ? bounds.hi : firstAtOrAfter(to + TIME_SLACK_MS) - 1;
    return [lo, hi];
  }
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function dedupeById(rows: QueryRow[]): void {
  const seen = new Set<number>();
  let write = 0;
  for (const row of rows) {
    if (seen.has(row.id)) continue;
    seen.add(row.id);
    rows[write++] = row;
  }
  rows.length = write;
}
