/**
 * The read side of querylog.db: the questions the API asks, answered from the rollups (charts, tops,
 * summaries) or from the raw log through its few indexes and the rowid's time order (the query log page
 * and the live tail). Opens its own read-only connection; the writer thread owns the writable one.
 *
 * Periods are [from, to) in ms. Rollup answers are rounded to the rollup's buckets: a period is widened
 * to whole minutes (≤ 48 h ago) or hours. A period longer than a day reads the whole days inside it from
 * the day rollups and only its edges from the hour rollups (segments()), so tops and charts read a few
 * thousand rows at most instead of millions. Per-name tops over days use the per-name totals as upper
 * bounds and look up exact counts only for the names that can still make the list (topNamesBounded).
 *
 * Results carry ids: company/category/app ids are the catalog's stable ids (the API resolves their
 * names); query names and client addresses live only here, so they are returned as text.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { QUERY_STATUS_NAMES, QueryStatus } from '../events/query-event.js';
import { NameKind } from '../trackers/attribution.js';
import { ALL_DEVICES, DAY_MS, HOUR_MS, MINUTE_MS, SHORT_ROLLUP_KEEP_MS } from './log-writer.js';
import { QUERY_LOG_FILE } from './query-log.js';
import { openDatabase, type Db } from './sqlite.js';

export interface Period {
  from: number;
  to: number;
}

export type SeriesRange = '24h' | '7d' | '30d';

export interface Summary {
  total: number;
  blocked: number;
  /** blocked / total, 0 when there were no queries. */
  blockedShare: number;
  /**
   * Tracking attempts: queries for tracker endpoints (NameKind.tracker at query time), blocked or not.
   * It measures how often devices try to track, independent of how well blocking works. Use of a
   * company's own services (its app, site, CDN) is not tracking: that is `serviceUses`.
   */
  trackingAttempts: number;
  /** Queries for the services of known companies (NameKind.service). */
  serviceUses: number;
  /** Devices with at least one query in the period (hour-rounded). */
  devicesActive: number;
}

export interface SeriesPoint {
  time: number;
  total: number;
  /** Counts by status name (blocked, forwarded, cached …); absent statuses are 0. */
  byStatus: Record<string, number>;
}

export interface Series {
  range: SeriesRange;
  stepMs: number;
  points: SeriesPoint[];
}

export interface TopEntry {
  id: number;
  count: number;
  blocked: number;
  /** Of `count`: queries for tracker endpoints. */
  tracking: number;
  /** Of `count`: queries for services. */
  uses: number;
}

/** Within one tracker category, the companies whose tracker endpoints were asked for. */
export interface CategoryCompany {
  categoryId: number;
  companyId: number;
  count: number;
  blocked: number;
}

export interface TopName {
  nameId: number;
  name: string;
  companyId: number;
  /** NameKind of the name as attribution said at query time. */
  kind: number;
  count: number;
  blocked: number;
}

export interface DeviceRank {
  deviceId: number;
  trackingAttempts: number;
  blocked: number;
  total: number;
}

export interface CompanyDetail {
  companyId: number;
  total: number;
  blocked: number;
  /** Of `total`: queries for the company's tracker endpoints, and for its services. */
  tracking: number;
  uses: number;
  devices: Array<{ deviceId: number; count: number; blocked: number; tracking: number; uses: number }>;
  names: TopName[];
}

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

export interface QueryRow {
  id: number;
  time: number;
  deviceId: number;
  client: string | null;
  /** null when the name was hidden by privacy settings. */
  name: string | null;
  qtype: number;
  protocol: number;
  status: number;
  reason: number;
  listId: number;
  ruleId: number;
  companyId: number;
  categoryId: number;
  appId: number;
  kind: number;
  rcode: number;
  durationUs: number;
  upstreamId: number;
  cnameTarget: string | null;
}

export interface QueryPage {
  rows: QueryRow[];
  /** Pass as `before` for the next (older) page; null at the end. */
  nextBefore: number | null;
}

interface TopOptions {
  deviceId?: number;
  limit?: number;
  /** Only rows of this NameKind (e.g. tracker endpoints for the trackers page). */
  kind?: number;
  /** Rank by tracker queries first (who tracks most), then by all queries. Default: all queries. */
  byTracking?: boolean;
}

interface NameCount {
  nameId: number;
  companyId: number;
  kind: number;
  count: number;
  blocked: number;
}

/** Sums of a rollup's rows by what the names were (trackers/attribution.ts NameKind). */
const TRACKING_SUM = `coalesce(sum(CASE WHEN kind = ${NameKind.tracker} THEN count END), 0)`;
const USES_SUM = `coalesce(sum(CASE WHEN kind = ${NameKind.service} THEN count END), 0)`;

/** Events reach the writer in arrival order, but their timestamps may lag by an upstream timeout. */
const TIME_SLACK_MS = 60_000;
const MAX_NAME_IDS = 500;
/** Names the bounded top-names search looks up before it sums them all instead. */
const MAX_BOUNDED_NAMES = 3000;

const ROW_COLUMNS = `q.id, q.time, q.device_id AS deviceId, c.address AS client, n.name AS name, q.qtype, q.protocol,
  q.status, q.reason, q.list_id AS listId, q.rule_id AS ruleId, q.company_id AS companyId,
  q.category_id AS categoryId, q.app_id AS appId, q.kind, q.rcode, q.duration_us AS durationUs,
  q.upstream_id AS upstreamId, cn.name AS cnameTarget`;
const ROW_JOINS = `LEFT JOIN names n ON n.id = q.name_id AND q.name_id <> 0
  LEFT JOIN clients c ON c.id = q.client_id AND q.client_id <> 0
  LEFT JOIN names cn ON cn.id = q.cname_id AND q.cname_id <> 0`;
/** Statuses covered by the partial index queries_by_status (keep in step with the migration). */
const INDEXED_STATUSES = new Set<number>([2, 5, 6, 7, 8, 9, 10]);

export interface AnalyticsOptions {
  /** Clock for "now" (tests). */
  now?: () => number;
}

export class Analytics {
  private db: Db | null = null;
  private openedIno = -1;
  private readonly now: () => number;

  constructor(
    private readonly dbPath: string,
    options: AnalyticsOptions = {},
  ) {
    this.now = options.now ?? Date.now;
  }

  /** Read-only view of `<dataDir>/querylog.db` (open it after QueryLog.open created the file). */
  static open(options: { dataDir: string } & AnalyticsOptions): Analytics {
    const analytics = new Analytics(join(options.dataDir, QUERY_LOG_FILE), options);
    analytics.connection();
    return analytics;
  }

  close(): void {
    this.db?.close();
    this.db = null;
  }

  summary(period: Period, deviceId?: number): Summary {
    const source = this.byDevice(this.segments('totals', period), deviceId ?? ALL_DEVICES);
    const row = this.connection()
      .prepare(
        `SELECT coalesce(sum(count), 0) AS total,
                coalesce(sum(CASE WHEN status = ${QueryStatus.blocked} THEN count END), 0) AS blocked,
                ${TRACKING_SUM} AS tracking, ${USES_SUM} AS uses
         FROM ${source.sql}`,
      )
      .get(...source.params) as { total: number; blocked: number; tracking: number; uses: number };
    let devicesActive: number;
    if (deviceId !== undefined) {
      devicesActive = row.total > 0 ? 1 : 0;
    } else {
      const hourFrom = floorTo(period.from, HOUR_MS);
      const any = this.connection().prepare(
        'SELECT 1 FROM totals_hour WHERE device_id = ? AND bucket >= ? AND bucket < ? LIMIT 1',
      );
      devicesActive = this.deviceIds().filter((id) => any.get(id, hourFrom, period.to) !== undefined).length;
    }
    return {
      total: row.total,
      blocked: row.blocked,
      blockedShare: row.total === 0 ? 0 : row.blocked / row.total,
      trackingAttempts: row.tracking,
      serviceUses: row.uses,
      devicesActive,
    };
  }

  /** Counts split by status: per 10 min over 24 h, per hour over 7 days, per day over 30 days. */
  timeSeries(range: SeriesRange, options: { deviceId?: number; now?: number } = {}): Series {
    const now = options.now ?? this.now();
    const [table, stepMs, steps] =
      range === '24h'
        ? (['totals_minute', 10 * MINUTE_MS, 144] as const)
        : range === '7d'
          ? (['totals_hour', HOUR_MS, 168] as const)
          : (['totals_day', DAY_MS, 30] as const);
    const end = floorTo(now, stepMs) + stepMs;
    const start = end - steps * stepMs;
    const rows = this.connection()
      .prepare(
        `SELECT bucket - (bucket % ${stepMs}) AS t, status, sum(count) AS n FROM ${table}
         WHERE device_id = ? AND bucket >= ? AND bucket < ? GROUP BY t, status`,
      )
      .all(options.deviceId ?? ALL_DEVICES, start, end) as Array<{ t: number; status: number; n: number }>;
    const points: SeriesPoint[] = [];
    for (let i = 0; i < steps; i++)
      points.push({ time: start + i * stepMs, total: 0, byStatus: emptyStatusCounts() });
    for (const row of rows) {
      const point = points[Math.floor((row.t - start) / stepMs)];
      if (point === undefined) continue;
      point.total += row.n;
      const name = QUERY_STATUS_NAMES[row.status as QueryStatus] ?? `status-${row.status}`;
      point.byStatus[name] = (point.byStatus[name] ?? 0) + row.n;
    }
    return { range, stepMs, points };
  }

  topCompanies(period: Period, options: TopOptions = {}): TopEntry[] {
    return this.topBy('company_id', period, options);
  }

  topCategories(period: Period, options: TopOptions = {}): TopEntry[] {
    return this.topBy('category_id', period, options);
  }

  /**
   * For each category, the companies whose tracker endpoints in that category were asked for, most
   * first (Trackers → Categories): what made the category's queries, not who merely has such names.
   */
  companiesByCategory(
    period: Period,
    options: { deviceId?: number; perCategory?: number } = {},
  ): CategoryCompany[] {
    const source = this.byDevice(
      this.segments('counts', period, false),
      options.deviceId ?? ALL_DEVICES,
      `+category_id <> 0 AND +company_id <> 0 AND kind = ${NameKind.tracker}`,
    );
    const rows = this.connection()
      .prepare(
        `SELECT category_id AS categoryId, company_id AS companyId, sum(count) AS count,
                coalesce(sum(CASE WHEN status = ${QueryStatus.blocked} THEN count END), 0) AS blocked
         FROM ${source.sql} GROUP BY category_id, company_id ORDER BY category_id, count DESC, company_id`,
      )
      .all(...source.params) as CategoryCompany[];
    const limit = clampLimit(options.perCategory, 10);
    const seen = new Map<number, number>();
    return rows.filter((row) => {
      const n = (seen.get(row.categoryId) ?? 0) + 1;
      seen.set(row.categoryId, n);
      return n <= limit;
    });
  }

  topApps(period: Period, options: TopOptions = {}): TopEntry[] {
    return this.topBy('app_id', period, options);
  }

  /** Most queried names; `blockedOnly` ranks by blocked queries (the "top blocked" list). */
  topNames(period: Period, options: TopOptions & { blockedOnly?: boolean } = {}): TopName[] {
    const lists = this.topNameLists(period, options, options.blockedOnly ? 'blocked' : 'all');
    return (options.blockedOnly ? lists.blocked : lists.all) ?? [];
  }

  topBlockedNames(period: Period, options: TopOptions = {}): TopName[] {
    return this.topNames(period, { ...options, blockedOnly: true });
  }

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
    const [lo, hi] = this.idRange(period.from, period.to);
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

  /** Devices ranked by tracking attempts (then by total). */
  devicesByTracking(period: Period, limit = 50): DeviceRank[] {
    const segments = this.segments('totals', period, false);
    const statement = this.connection().prepare(
      `SELECT coalesce(sum(count), 0) AS total,
              coalesce(sum(CASE WHEN status = ${QueryStatus.blocked} THEN count END), 0) AS blocked,
              ${TRACKING_SUM} AS tracking
       FROM ${this.byDevice(segments, 0).sql}`,
    );
    const ranks: DeviceRank[] = [];
    for (const deviceId of this.deviceIds()) {
      const row = statement.get(...this.byDevice(segments, deviceId).params) as {
        total: number;
        blocked: number;
        tracking: number;
      };
      if (row.total > 0)
        ranks.push({ deviceId, trackingAttempts: row.tracking, blocked: row.blocked, total: row.total });
    }
    ranks.sort(
      (a, b) => b.trackingAttempts - a.trackingAttempts || b.total - a.total || a.deviceId - b.deviceId,
    );
    return ranks.slice(0, clampLimit(limit, 50));
  }

  /**
   * Per device, its tracker queries per category over the period (the trackers page lists each
   * category's devices): one grouped read of the small totals rollups per device.
   */
  categoriesByDevice(period: Period): Map<number, TopEntry[]> {
    const segments = this.segments('totals', period, false);
    const statement = this.connection().prepare(
      `SELECT category_id AS id, sum(count) AS count,
              coalesce(sum(CASE WHEN status = ${QueryStatus.blocked} THEN count END), 0) AS blocked,
              sum(count) AS tracking, 0 AS uses
       FROM ${this.byDevice(segments, 0, `category_id <> 0 AND kind = ${NameKind.tracker}`).sql} GROUP BY category_id`,
    );
    const out = new Map<number, TopEntry[]>();
    for (const deviceId of this.deviceIds()) {
      const rows = statement.all(...this.byDevice(segments, deviceId).params) as TopEntry[];
      if (rows.length > 0) out.set(deviceId, rows);
    }
    return out;
  }

  /** For one company: which devices contacted it and which names, how often. */
  companyDetail(companyId: number, period: Period, limit = 50): CompanyDetail {
    // Grouped reads through the (company_id, bucket) partial indexes; the literal `company_id <> 0`
    // lets SQLite use them.
    const segments = this.segments('counts', period, false);
    const rows = this.connection()
      .prepare(
        `SELECT device_id AS deviceId, sum(count) AS count,
                coalesce(sum(CASE WHEN status = ${QueryStatus.blocked} THEN count END), 0) AS blocked,
                ${TRACKING_SUM} AS tracking, ${USES_SUM} AS uses
         FROM (${segments
           .map(
             (s) =>
               `SELECT * FROM ${s.table} WHERE company_id = ? AND company_id <> 0 AND bucket >= ? AND bucket < ?`,
           )
           .join(' UNION ALL ')})
         GROUP BY device_id`,
      )
      .all(...segments.flatMap((s) => [companyId, s.from, s.to])) as Array<{
      deviceId: number;
      count: number;
      blocked: number;
      tracking: number;
      uses: number;
    }>;
    const overall = rows.find((row) => row.deviceId === ALL_DEVICES) ?? {
      count: 0,
      blocked: 0,
      tracking: 0,
      uses: 0,
    };
    const devices = rows.filter((row) => row.deviceId !== ALL_DEVICES && row.count > 0);
    devices.sort((a, b) => b.count - a.count || a.deviceId - b.deviceId);
    const names = this.connection()
      .prepare(
        `SELECT name_id AS nameId, company_id AS companyId, max(kind) AS kind, sum(count) AS count,
                coalesce(sum(CASE WHEN status = ${QueryStatus.blocked} THEN count END), 0) AS blocked
         FROM names_day WHERE company_id = ? AND company_id <> 0 AND bucket >= ? AND bucket < ? AND device_id = ${ALL_DEVICES}
         GROUP BY name_id ORDER BY count DESC, name_id LIMIT ?`,
      )
      .all(companyId, floorTo(period.from, DAY_MS), period.to, clampLimit(limit, 50)) as NameCount[];
    return {
      companyId,
      total: overall.count,
      blocked: overall.blocked,
      tracking: overall.tracking,
      uses: overall.uses,
      devices: devices.slice(0, clampLimit(limit, 50)),
      names: this.withNames(names),
    };
  }

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

  /** Device ids (≥ 0) that appear in the rollups, found by index hops instead of a DISTINCT scan. */
  deviceIds(): number[] {
    const next = this.connection()
      .prepare('SELECT device_id FROM counts_day WHERE device_id > ? ORDER BY device_id LIMIT 1')
      .pluck();
    const ids: number[] = [];
    let current = ALL_DEVICES;
    for (;;) {
      const id = next.get(current) as number | undefined;
      if (id === undefined) break;
      ids.push(id);
      current = id;
    }
    return ids;
  }

  private topBy(
    column: 'company_id' | 'category_id' | 'app_id',
    period: Period,
    options: TopOptions,
  ): TopEntry[] {
    // `+column`: a bare `company_id <> 0` matches the partial index counts_*_by_company, and SQLite then
    // walked every device's rows of every company through it (~170 ms over 24 h of 10 M rows instead of 4).
    const kind = options.kind === undefined ? '' : ` AND kind = ${Math.trunc(options.kind)}`;
    const source = this.byDevice(
      this.segments('counts', period, false),
      options.deviceId ?? ALL_DEVICES,
      `+${column} <> 0${kind}`,
    );
    return this.connection()
      .prepare(
        `SELECT ${column} AS id, sum(count) AS count,
                coalesce(sum(CASE WHEN status = ${QueryStatus.blocked} THEN count END), 0) AS blocked,
                ${TRACKING_SUM} AS tracking, ${USES_SUM} AS uses
         FROM ${source.sql} GROUP BY ${column}
         ORDER BY ${options.byTracking ? 'tracking DESC, ' : ''}count DESC, ${column} LIMIT ?`,
      )
      .all(...source.params, clampLimit(options.limit, 10)) as TopEntry[];
  }

  /**
   * The rollup ranges (totals_* or counts_*) that cover a period widened to its buckets: minutes for a
   * recent period of up to 48 h (when `allowMinutes`); otherwise hours, except that the whole UTC days
   * inside the period come from the day rollup. A week then reads 7 day buckets and at most 24 hour
   * buckets instead of 168, with the same answer.
   */
  private segments(kind: 'totals' | 'counts', period: Period, allowMinutes = true): Segment[] {
    const span = period.to - period.from;
    const recent = period.from >= this.now() - SHORT_ROLLUP_KEEP_MS;
    if (allowMinutes && recent && span <= SHORT_ROLLUP_KEEP_MS) {
      return [{ table: `${kind}_minute`, from: floorTo(period.from, MINUTE_MS), to: period.to }];
    }
    return hourAndDaySegments(`${kind}_hour`, `${kind}_day`, floorTo(period.from, HOUR_MS), period.to);
  }

  /** `(SELECT … UNION ALL …)` of one device's rows of the segments, with its parameters. */
  private byDevice(segments: Segment[], deviceId: number, where = ''): { sql: string; params: number[] } {
    const extra = where === '' ? '' : ` AND ${where}`;
    return {
      sql: `(${segments
        .map((s) => `SELECT * FROM ${s.table} WHERE device_id = ? AND bucket >= ? AND bucket < ?${extra}`)
        .join(' UNION ALL ')})`,
      params: segments.flatMap((s) => [deviceId, s.from, s.to]),
    };
  }

  private withNames(rows: NameCount[]): TopName[] {
    if (rows.length === 0) return [];
    const lookup = this.connection().prepare('SELECT name FROM names WHERE id = ?').pluck();
    return rows.map((row) => ({ ...row, name: (lookup.get(row.nameId) as string | undefined) ?? '' }));
  }

  /** The read connection, reopened when the writer replaced the file (a corrupt log recreated). */
  private connection(): Db {
    let ino = -1;
    try {
      ino = statSync(this.dbPath).ino;
    } catch {
      // Missing right now (being recreated): keep using the open handle if any.
    }
    if (this.db !== null && (ino === -1 || ino === this.openedIno)) return this.db;
    this.db?.close();
    this.db = null;
    try {
      this.db = openDatabase(this.dbPath, { readonly: true });
    } catch (error) {
      throw new Error(`cannot read the query log ${this.dbPath}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    this.openedIno = ino;
    return this.db;
  }
}

function floorTo(time: number, step: number): number {
  return time - (((time % step) + step) % step);
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

interface Segment {
  table: string;
  /** Bucket range [from, to). */
  from: number;
  to: number;
}

/** [from, to) split into hour-table edges and the whole days between them from the day table. */
function hourAndDaySegments(hourTable: string, dayTable: string, from: number, to: number): Segment[] {
  const dayFrom = floorTo(from + DAY_MS - 1, DAY_MS);
  const dayTo = floorTo(to, DAY_MS);
  if (dayTo <= dayFrom) return [{ table: hourTable, from, to }];
  return [
    { table: hourTable, from, to: dayFrom },
    { table: dayTable, from: dayFrom, to: dayTo },
    { table: hourTable, from: dayTo, to },
  ].filter((segment) => segment.to > segment.from);
}

function clampLimit(limit: number | undefined, fallback: number, max = 1000): number {
  if (limit === undefined || !Number.isFinite(limit)) return fallback;
  return Math.min(max, Math.max(1, Math.trunc(limit)));
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function emptyStatusCounts(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const name of Object.values(QUERY_STATUS_NAMES)) counts[name] = 0;
  return counts;
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
