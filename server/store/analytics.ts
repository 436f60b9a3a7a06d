/**
 * The read side of querylog.db: the questions the API asks, answered from the rollups (charts, tops,
 * summaries) or from the raw log through its few indexes and the rowid's time order (the query log page
 * and the live tail). Opens its own read-only connection; the writer thread owns the writable one.
 *
 * Periods are [from, to) in ms. Rollup answers are rounded to the rollup's buckets: a period is widened
 * to whole minutes (≤ 48 h ago), hours (≤ 14 days) or days (longer), so tops and charts read a few
 * thousand rows at most instead of millions.
 *
 * Results carry ids: company/category/app ids are the catalog's stable ids (the API resolves their
 * names); query names and client addresses live only here, so they are returned as text.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { QUERY_STATUS_NAMES, QueryStatus } from '../events/query-event.js';
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
   * Tracking attempts: queries whose name attribution (at query time) put it in a tracking category —
   * every attributed category unless setTrackingCategories() narrowed them to the catalog's tracking
   * ones — whether they were blocked or not. It measures how often devices try to track, independent of
   * how well blocking works.
   */
  trackingAttempts: number;
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
}

export interface TopName {
  nameId: number;
  name: string;
  companyId: number;
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
  devices: Array<{ deviceId: number; count: number; blocked: number }>;
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
}

/** Events reach the writer in arrival order, but their timestamps may lag by an upstream timeout. */
const TIME_SLACK_MS = 60_000;
const MAX_NAME_IDS = 500;

const ROW_COLUMNS = `q.id, q.time, q.device_id AS deviceId, c.address AS client, n.name AS name, q.qtype, q.protocol,
  q.status, q.reason, q.list_id AS listId, q.rule_id AS ruleId, q.company_id AS companyId,
  q.category_id AS categoryId, q.app_id AS appId, q.rcode, q.duration_us AS durationUs,
  q.upstream_id AS upstreamId, cn.name AS cnameTarget`;
const ROW_JOINS = `LEFT JOIN names n ON n.id = q.name_id AND q.name_id <> 0
  LEFT JOIN clients c ON c.id = q.client_id AND q.client_id <> 0
  LEFT JOIN names cn ON cn.id = q.cname_id AND q.cname_id <> 0`;
/** Statuses covered by the partial index queries_by_status (keep in step with the migration). */
const INDEXED_STATUSES = new Set<number>([2, 5, 6, 7, 8, 9, 10]);

export interface AnalyticsOptions {
  /** Clock for "now" (tests). */
  now?: () => number;
  /** Category ids that count as tracking; default: every attributed category. */
  trackingCategoryIds?: Iterable<number>;
}

export class Analytics {
  private db: Db | null = null;
  private openedIno = -1;
  private trackingSql = 'category_id <> 0';
  private readonly now: () => number;

  constructor(
    private readonly dbPath: string,
    options: AnalyticsOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    if (options.trackingCategoryIds) this.setTrackingCategories(options.trackingCategoryIds);
  }

  /** Read-only view of `<dataDir>/querylog.db` (open it after QueryLog.open created the file). */
  static open(options: { dataDir: string } & AnalyticsOptions): Analytics {
    const analytics = new Analytics(join(options.dataDir, QUERY_LOG_FILE), options);
    analytics.connection();
    return analytics;
  }

  setTrackingCategories(ids: Iterable<number>): void {
    const list = [...ids].filter((id) => Number.isInteger(id) && id > 0);
    this.trackingSql = list.length === 0 ? 'category_id <> 0' : `category_id IN (${list.join(',')})`;
  }

  close(): void {
    this.db?.close();
    this.db = null;
  }

  summary(period: Period, deviceId?: number): Summary {
    const { table, from, to } = this.rollupTable('totals', period);
    const row = this.connection()
      .prepare(
        `SELECT coalesce(sum(count), 0) AS total,
                coalesce(sum(CASE WHEN status = ${QueryStatus.blocked} THEN count END), 0) AS blocked,
                coalesce(sum(CASE WHEN ${this.trackingSql} THEN count END), 0) AS tracking
         FROM ${table} WHERE device_id = ? AND bucket >= ? AND bucket < ?`,
      )
      .get(deviceId ?? ALL_DEVICES, from, to) as { total: number; blocked: number; tracking: number };
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

  topApps(period: Period, options: TopOptions = {}): TopEntry[] {
    return this.topBy('app_id', period, options);
  }

  /** Most queried names; `blockedOnly` ranks by blocked queries (the "top blocked" list). */
  topNames(period: Period, options: TopOptions & { blockedOnly?: boolean } = {}): TopName[] {
    const limit = clampLimit(options.limit, 10);
    const blockedFilter = options.blockedOnly ? `AND status = ${QueryStatus.blocked}` : '';
    const shortPeriod = period.to - period.from <= SHORT_ROLLUP_KEEP_MS;
    let rows: Array<{ nameId: number; companyId: number; count: number; blocked: number }>;
    if (options.deviceId !== undefined && shortPeriod) {
      // One device over ≤ 48 h is a few thousand raw rows: exact, via the (device_id, id) index (named,
      // because the planner otherwise prefers the rowid range, which holds every device's rows).
      const [lo, hi] = this.idRange(period.from, period.to);
      rows = this.connection()
        .prepare(
          `SELECT name_id AS nameId, max(company_id) AS companyId, count(*) AS count,
                  sum(status = ${QueryStatus.blocked}) AS blocked
           FROM queries INDEXED BY queries_by_device
           WHERE device_id = ? AND id BETWEEN ? AND ? AND time >= ? AND time < ? AND name_id <> 0 ${blockedFilter}
           GROUP BY name_id ORDER BY count DESC, name_id LIMIT ?`,
        )
        .all(options.deviceId, lo, hi, period.from, period.to, limit) as typeof rows;
    } else if (this.coversWholeLog(period)) {
      // The period holds every row the raw log keeps (the usual 30-day view): names_total is exact.
      rows = this.connection()
        .prepare(
          `SELECT name_id AS nameId, max(company_id) AS companyId, sum(count) AS count,
                  coalesce(sum(CASE WHEN status = ${QueryStatus.blocked} THEN count END), 0) AS blocked
           FROM names_total WHERE device_id = ? ${blockedFilter}
           GROUP BY name_id ORDER BY count DESC, name_id LIMIT ?`,
        )
        .all(options.deviceId ?? ALL_DEVICES, limit) as typeof rows;
    } else {
      const useHours = options.deviceId === undefined && shortPeriod;
      const table = useHours ? 'names_hour' : 'names_day';
      const step = useHours ? HOUR_MS : DAY_MS;
      rows = this.connection()
        .prepare(
          `SELECT name_id AS nameId, max(company_id) AS companyId, sum(count) AS count,
                  coalesce(sum(CASE WHEN status = ${QueryStatus.blocked} THEN count END), 0) AS blocked
           FROM ${table} WHERE device_id = ? AND bucket >= ? AND bucket < ? ${blockedFilter}
           GROUP BY name_id ORDER BY count DESC, name_id LIMIT ?`,
        )
        .all(options.deviceId ?? ALL_DEVICES, floorTo(period.from, step), period.to, limit) as typeof rows;
    }
    return this.withNames(rows);
  }

  topBlockedNames(period: Period, options: TopOptions = {}): TopName[] {
    return this.topNames(period, { ...options, blockedOnly: true });
  }

  /** Devices ranked by tracking attempts (then by total). */
  devicesByTracking(period: Period, limit = 50): DeviceRank[] {
    const { table, from, to } = this.rollupTable('totals', period, false);
    const statement = this.connection().prepare(
      `SELECT coalesce(sum(count), 0) AS total,
              coalesce(sum(CASE WHEN status = ${QueryStatus.blocked} THEN count END), 0) AS blocked,
              coalesce(sum(CASE WHEN ${this.trackingSql} THEN count END), 0) AS tracking
       FROM ${table} WHERE device_id = ? AND bucket >= ? AND bucket < ?`,
    );
    const ranks: DeviceRank[] = [];
    for (const deviceId of this.deviceIds()) {
      const row = statement.get(deviceId, from, to) as { total: number; blocked: number; tracking: number };
      if (row.total > 0)
        ranks.push({ deviceId, trackingAttempts: row.tracking, blocked: row.blocked, total: row.total });
    }
    ranks.sort(
      (a, b) => b.trackingAttempts - a.trackingAttempts || b.total - a.total || a.deviceId - b.deviceId,
    );
    return ranks.slice(0, clampLimit(limit, 50));
  }

  /** For one company: which devices contacted it and which names, how often. */
  companyDetail(companyId: number, period: Period, limit = 50): CompanyDetail {
    const { table, from, to } = this.rollupTable('counts', period, false);
    // One grouped read through the (company_id, bucket) partial index; the literal `company_id <> 0`
    // lets SQLite use it.
    const rows = this.connection()
      .prepare(
        `SELECT device_id AS deviceId, sum(count) AS count,
                coalesce(sum(CASE WHEN status = ${QueryStatus.blocked} THEN count END), 0) AS blocked
         FROM ${table} WHERE company_id = ? AND company_id <> 0 AND bucket >= ? AND bucket < ?
         GROUP BY device_id`,
      )
      .all(companyId, from, to) as Array<{ deviceId: number; count: number; blocked: number }>;
    const overall = rows.find((row) => row.deviceId === ALL_DEVICES) ?? { count: 0, blocked: 0 };
    const devices = rows.filter((row) => row.deviceId !== ALL_DEVICES && row.count > 0);
    devices.sort((a, b) => b.count - a.count || a.deviceId - b.deviceId);
    const names = this.connection()
      .prepare(
        `SELECT name_id AS nameId, company_id AS companyId, sum(count) AS count,
                coalesce(sum(CASE WHEN status = ${QueryStatus.blocked} THEN count END), 0) AS blocked
         FROM names_day WHERE company_id = ? AND company_id <> 0 AND bucket >= ? AND bucket < ? AND device_id = ${ALL_DEVICES}
         GROUP BY name_id ORDER BY count DESC, name_id LIMIT ?`,
      )
      .all(companyId, floorTo(period.from, DAY_MS), period.to, clampLimit(limit, 50)) as Array<{
      nameId: number;
      companyId: number;
      count: number;
      blocked: number;
    }>;
    return {
      companyId,
      total: overall.count,
      blocked: overall.blocked,
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
      // Rows newer than the last name-rollup pass (a few seconds' worth) are not in names_hour yet.
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
    const { table, from, to } = this.rollupTable('counts', period, false);
    return this.connection()
      .prepare(
        `SELECT ${column} AS id, sum(count) AS count,
                coalesce(sum(CASE WHEN status = ${QueryStatus.blocked} THEN count END), 0) AS blocked
         FROM ${table} WHERE device_id = ? AND bucket >= ? AND bucket < ? AND ${column} <> 0
         GROUP BY ${column} ORDER BY count DESC, ${column} LIMIT ?`,
      )
      .all(options.deviceId ?? ALL_DEVICES, from, to, clampLimit(options.limit, 10)) as TopEntry[];
  }

  /** The rollup table (totals_* or counts_*) for a period, and the period widened to its buckets. */
  private rollupTable(
    kind: 'totals' | 'counts',
    period: Period,
    allowMinutes = true,
  ): { table: string; from: number; to: number } {
    const span = period.to - period.from;
    const recent = period.from >= this.now() - SHORT_ROLLUP_KEEP_MS;
    if (allowMinutes && recent && span <= SHORT_ROLLUP_KEEP_MS) {
      return { table: `${kind}_minute`, from: floorTo(period.from, MINUTE_MS), to: period.to };
    }
    if (span <= 14 * DAY_MS)
      return { table: `${kind}_hour`, from: floorTo(period.from, HOUR_MS), to: period.to };
    return { table: `${kind}_day`, from: floorTo(period.from, DAY_MS), to: period.to };
  }

  private withNames(
    rows: Array<{ nameId: number; companyId: number; count: number; blocked: number }>,
  ): TopName[] {
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
