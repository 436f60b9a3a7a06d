/**
 * Top names and top blocked names over a period: from the raw log for one device's short periods, from
 * the per-name totals when the period holds the whole log, and otherwise by a bounded search over the
 * name rollups (names_total bounds any period's count, so only names that can still make the list are
 * counted exactly).
 */
import { QueryStatus } from '../events/query-event.js';
import { SHORT_ROLLUP_KEEP_MS } from './rollup-sums.js';
import type { QueryLogReader } from './query-log-reader.js';
import { clampLimit, floorTo, hourAndDaySegments, type Period, type Segment } from './rollup-periods.js';
import { ALL_DEVICES, DAY_MS, HOUR_MS } from './rollup-sums.js';
import type { Db } from './sqlite.js';

export interface TopName {
  nameId: number;
  name: string;
  companyId: number;
  /** NameKind of the name as attribution said at query time. */
  kind: number;
  count: number;
  blocked: number;
}

export interface TopOptions {
  deviceId?: number;
  limit?: number;
  /** Only rows of this NameKind (e.g. tracker endpoints for the trackers page). */
  kind?: number;
  /** Rank by tracker queries first (who tracks most), then by all queries. Default: all queries. */
  byTracking?: boolean;
}

export interface NameCount {
  nameId: number;
  companyId: number;
  kind: number;
  count: number;
  blocked: number;
}

/** Names the bounded top-names search looks up before it sums them all instead. */
const MAX_BOUNDED_NAMES = 3000;

export class TopNames {
  constructor(
    private readonly connection: () => Db,
    private readonly reader: QueryLogReader,
  ) {}

  /**
   * The top names and the top blocked names together (the overview and a device page show both): where
   * they come from the raw log, one pass serves both lists. `which` skips the list not needed.
   */
  topNameLists(
    period: Period,
    options: TopOptions = {},
    which: 'all' | 'blocked' | 'both' = 'both',
  ): { all: TopName[] | null; blocked: TopName[] | null } {
    const limit = clampLimit(options.limit, 10);
    const deviceId = options.deviceId ?? ALL_DEVICES;
    const wantAll = which !== 'blocked';
    const wantBlocked = which !== 'all';
    const shortPeriod = period.to - period.from <= SHORT_ROLLUP_KEEP_MS;
    // One consistent snapshot: the bounds and the exact counts below must see the same rollups.
    return this.connection()
      .transaction(() => {
        if (options.deviceId !== undefined && shortPeriod) {
          const rows = this.rawNameCounts(options.deviceId, period);
          return {
            all: wantAll ? this.withNames(rankNames(rows, limit, false)) : null,
            blocked: wantBlocked ? this.withNames(rankNames(rows, limit, true)) : null,
          };
        }
        if (this.coversWholeLog(period)) {
          // The period holds every row the raw log keeps (the usual 30-day view): names_total is exact.
          const totals = (blockedOnly: boolean) =>
            this.withNames(
              this.connection()
                .prepare(
                  `SELECT name_id AS nameId, max(company_id) AS companyId, max(kind) AS kind, sum(count) AS count,
                          coalesce(sum(CASE WHEN status = ${QueryStatus.blocked} THEN count END), 0) AS blocked
                   FROM names_total WHERE device_id = ? AND name_id <> 0 ${blockedOnly ? `AND status = ${QueryStatus.blocked}` : ''}
                   GROUP BY name_id ORDER BY count DESC, name_id LIMIT ?`,
                )
                .all(deviceId, limit) as NameCount[],
            );
          return { all: wantAll ? totals(false) : null, blocked: wantBlocked ? totals(true) : null };
        }
        return {
          all: wantAll ? this.withNames(this.topNamesBounded(period, deviceId, limit, false)) : null,
          blocked: wantBlocked ? this.withNames(this.topNamesBounded(period, deviceId, limit, true)) : null,
        };
      })
      .deferred();
  }

  /**
   * Per-name counts of one device over a short period from the raw log: exact, via the (device_id, id)
   * index (named, because the planner otherwise prefers the rowid range, which holds every device's rows).
   */
  private rawNameCounts(deviceId: number, period: Period): NameCount[] {
    const [lo, hi] = this.reader.idRange(period.from, period.to);
    return this.connection()
      .prepare(
        `SELECT name_id AS nameId, max(company_id) AS companyId, max(kind) AS kind, count(*) AS count,
                sum(status = ${QueryStatus.blocked}) AS blocked
         FROM queries INDEXED BY queries_by_device
         WHERE device_id = ? AND id BETWEEN ? AND ? AND time >= ? AND time < ? AND name_id <> 0
         GROUP BY name_id`,
      )
      .all(deviceId, lo, hi, period.from, period.to) as NameCount[];
  }

  /**
   * Top names over a period from the name rollups without summing every name's buckets (a week of a
   * 10 M-row log is ~1 M name-day rows, ~200 ms): names_total is an upper bound of any period's count,
   * so names are taken in falling order of their total and counted exactly (a few index look-ups each)
   * until the next total is below the last place of the list: no later name can enter it. Same answer
   * as the full sum; on a log where this period's names are not the usual ones it looks up more names
   * and, past MAX_BOUNDED_NAMES, sums them all after all.
   *
   * Overall counts come from names_hour for the edges and names_day for the whole days (exact to the
   * hour); a device's from its names_day rows (whole days: names_hour is kept for all devices only).
   */
  private topNamesBounded(
    period: Period,
    deviceId: number,
    limit: number,
    blockedOnly: boolean,
  ): NameCount[] {
    const db = this.connection();
    const statusFilter = blockedOnly ? `AND status = ${QueryStatus.blocked}` : '';
    const segments =
      deviceId === ALL_DEVICES
        ? hourAndDaySegments('names_hour', 'names_day', floorTo(period.from, HOUR_MS), period.to)
        : [{ table: 'names_day', from: floorTo(period.from, DAY_MS), to: period.to }];
    // names_hour holds the all-devices rows only; its (name_id, bucket) index finds one name's hours.
    const arm = (s: Segment) =>
      `SELECT status, company_id, kind, count FROM ${s.table} WHERE ${
        s.table === 'names_hour' ? '' : 'device_id = ? AND '
      }name_id = ? AND bucket >= ? AND bucket < ? ${statusFilter}`;
    const armParams = (s: Segment, nameId: number) =>
      s.table === 'names_hour' ? [nameId, s.from, s.to] : [deviceId, nameId, s.from, s.to];
    const exact = db.prepare(
      `SELECT coalesce(sum(count), 0) AS count, max(company_id) AS companyId, max(kind) AS kind,
              coalesce(sum(CASE WHEN status = ${QueryStatus.blocked} THEN count END), 0) AS blocked
       FROM (${segments.map(arm).join(' UNION ALL ')})`,
    );
    const bounds = db.prepare(
      `SELECT name_id AS nameId, sum(count) AS bound FROM names_total
       WHERE device_id = ? AND name_id <> 0 ${statusFilter} GROUP BY name_id ORDER BY bound DESC, name_id`,
    );
    const best: NameCount[] = [];
    let looked = 0;
    for (const { nameId, bound } of bounds.iterate(deviceId) as Iterable<{ nameId: number; bound: number }>) {
      const last = best[limit - 1];
      // Strictly below: a name with an equal total could still tie and win on its smaller id.
      if (last !== undefined && bound < last.count) return best;
      if (++looked > MAX_BOUNDED_NAMES) return this.topNamesSummed(segments, deviceId, limit, statusFilter);
      const row = exact.get(...segments.flatMap((s) => armParams(s, nameId))) as {
        count: number;
        companyId: number | null;
        kind: number | null;
        blocked: number;
      };
      if (row.count === 0) continue;
      insertRanked(
        best,
        {
          nameId,
          companyId: row.companyId ?? 0,
          kind: row.kind ?? 0,
          count: row.count,
          blocked: row.blocked,
        },
        limit,
      );
    }
    return best;
  }

  /** The plain sum of every name's rollup rows over the segments (the bounded search's fallback). */
  private topNamesSummed(
    segments: Segment[],
    deviceId: number,
    limit: number,
    statusFilter: string,
  ): NameCount[] {
    const arms = segments.map(
      (s) =>
        `SELECT name_id, status, company_id, kind, count FROM ${s.table}
         WHERE device_id = ? AND bucket >= ? AND bucket < ? AND name_id <> 0 ${statusFilter}`,
    );
    return this.connection()
      .prepare(
        `SELECT name_id AS nameId, max(company_id) AS companyId, max(kind) AS kind, sum(count) AS count,
                coalesce(sum(CASE WHEN status = ${QueryStatus.blocked} THEN count END), 0) AS blocked
         FROM (${arms.join(' UNION ALL ')}) GROUP BY name_id ORDER BY count DESC, name_id LIMIT ?`,
      )
      .all(...segments.flatMap((s) => [deviceId, s.from, s.to]), limit) as NameCount[];
  }

  /** True when [from, to) contains the oldest and the newest row of the raw log (or the log is empty). */
  private coversWholeLog(period: Period): boolean {
    const db = this.connection();
    const oldest = db
      .prepare('SELECT time FROM queries WHERE id = (SELECT min(id) FROM queries)')
      .pluck()
      .get() as number | undefined;
    if (oldest === undefined) return true;
    // Timestamps may lag arrival order a little: take the latest of the last thousand rows.
    const newest = db
      .prepare('SELECT max(time) FROM queries WHERE id > (SELECT max(id) FROM queries) - 1000')
      .pluck()
      .get() as number;
    return period.from <= oldest && period.to > newest;
  }

  withNames(rows: NameCount[]): TopName[] {
    if (rows.length === 0) return [];
    const lookup = this.connection().prepare('SELECT name FROM names WHERE id = ?').pluck();
    return rows.map((row) => ({ ...row, name: (lookup.get(row.nameId) as string | undefined) ?? '' }));
  }
}

/** Inserts `entry` into `list` (count desc, then name id), keeping at most `limit` entries. */
function insertRanked(list: NameCount[], entry: NameCount, limit: number): void {
  let at = list.length;
  while (at > 0) {
    const before = list[at - 1] as NameCount;
    if (before.count > entry.count || (before.count === entry.count && before.nameId < entry.nameId)) break;
    at--;
  }
  if (at >= limit) return;
  list.splice(at, 0, entry);
  if (list.length > limit) list.length = limit;
}

/** The top `limit` of grouped per-name counts, by count or (blockedOnly) by blocked count. */
function rankNames(rows: NameCount[], limit: number, blockedOnly: boolean): NameCount[] {
  const entries = blockedOnly
    ? rows.filter((row) => row.blocked > 0).map((row) => ({ ...row, count: row.blocked }))
    : rows;
  return [...entries].sort((a, b) => b.count - a.count || a.nameId - b.nameId).slice(0, limit);
}
