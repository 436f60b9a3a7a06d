/**
 * The read side of querylog.db: the questions the API asks, answered from the rollups (charts, tops,
 * summaries) or from the raw log through its few indexes and the rowid's time order (the query log page
 * and the live tail: query-log-reader.ts; top names: top-names.ts). Opens its own read-only connection;
 * the writer thread owns the writable one.
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
import { QueryStatus } from '../events/query-event.js';
import { NameKind } from '../trackers/attribution.js';
import { SHORT_ROLLUP_KEEP_MS } from './rollup-sums.js';
import { QueryLogReader, type QueryFilter, type QueryPage, type QueryRow } from './query-log-reader.js';
import { clampLimit, floorTo, hourAndDaySegments, type Period, type Segment } from './rollup-periods.js';
import { ALL_DEVICES, DAY_MS, HOUR_MS, MINUTE_MS } from './rollup-sums.js';
import { openDatabase, QUERY_LOG_FILE, type Db } from './sqlite.js';
import type { LogAnalytics } from './log-analytics.js';
import { seriesBuckets, seriesFromCounts } from './series-buckets.js';
import { TopNames, type NameCount, type TopName, type TopOptions } from './top-names.js';

export type { Period } from './rollup-periods.js';
export type * from './analytics-types.js';
import type {
  SeriesRange,
  Summary,
  Series,
  TopEntry,
  CategoryCompany,
  DeviceRank,
  DeviceFigures,
  CompanyDetail,
} from './analytics-types.js';
export type { QueryFilter, QueryPage, QueryRow } from './query-log-reader.js';
export type { TopName } from './top-names.js';

/** Sums of a rollup's rows by what the names were (trackers/attribution.ts NameKind). */
const TRACKING_SUM = `coalesce(sum(CASE WHEN kind = ${NameKind.tracker} THEN count END), 0)`;
const USES_SUM = `coalesce(sum(CASE WHEN kind = ${NameKind.service} THEN count END), 0)`;

export interface AnalyticsOptions {
  /** Clock for "now" (tests). */
  now?: () => number;
}

export class Analytics implements LogAnalytics {
  private db: Db | null = null;
  private openedIno = -1;
  private readonly now: () => number;
  private readonly reader = new QueryLogReader(() => this.connection());
  private readonly names = new TopNames(() => this.connection(), this.reader);

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
    const buckets = seriesBuckets(range, options.now ?? this.now());
    const counts = this.connection()
      .prepare(
        `SELECT bucket - (bucket % ${buckets.stepMs}) AS t, status, sum(count) AS n FROM totals_${buckets.grain}
         WHERE device_id = ? AND bucket >= ? AND bucket < ? GROUP BY t, status`,
      )
      .all(options.deviceId ?? ALL_DEVICES, buckets.start, buckets.end) as Array<{
      t: number;
      status: number;
      n: number;
    }>;
    return seriesFromCounts(range, buckets, counts);
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
   * The top names and the top blocked names together (the overview and a device page show both); `which`
   * skips the list not needed.
   */
  topNameLists(
    period: Period,
    options: TopOptions = {},
    which: 'all' | 'blocked' | 'both' = 'both',
  ): { all: TopName[] | null; blocked: TopName[] | null } {
    return this.names.topNameLists(period, options, which);
  }

  /** The query log page: newest first, filtered, keyset-paginated by id. */
  queries(filter: QueryFilter = {}): QueryPage {
    return this.reader.queries(filter);
  }

  /** Live tail: rows newer than `afterId`, oldest first (poll with the last id seen). */
  queriesAfter(afterId: number, limit = 500): QueryRow[] {
    return this.reader.queriesAfter(afterId, limit);
  }

  /** Highest id in the log (start point for the live tail), 0 when empty. */
  lastId(): number {
    return this.reader.lastId();
  }

  /** [lo, hi] ids that hold every row with from ≤ time < to (see QueryLogReader.idRange). */
  idRange(from: number, to: number): [number, number] {
    return this.reader.idRange(from, to);
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

  /** Devices' counts and their top tracking companies (the device list): per device, as the API asked. */
  deviceFigures(period: Period, options: { onlyId?: number; companies: number }): DeviceFigures[] {
    return this.devicesByTracking(period, 10_000)
      .filter((row) => options.onlyId === undefined || row.deviceId === options.onlyId)
      .map((row) => ({
        ...row,
        serviceUses: this.summary(period, row.deviceId).serviceUses,
        topCompanies: this.topCompanies(period, {
          deviceId: row.deviceId,
          limit: options.companies,
          kind: NameKind.tracker,
        }),
      }));
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
      names: this.names.withNames(names),
    };
  }

  /** Device ids (≥ 1) that appear in the rollups, found by index hops instead of a DISTINCT scan. */
  deviceIds(): number[] {
    const next = this.connection()
      .prepare('SELECT device_id FROM counts_day WHERE device_id > ? ORDER BY device_id LIMIT 1')
      .pluck();
    const ids: number[] = [];
    // From 1: device 0 holds queries of no device (refused clients, queries before a device was known);
    // it is no device to rank or count as active.
    let current = 0;
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
