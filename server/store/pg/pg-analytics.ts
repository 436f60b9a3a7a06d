/**
 * The dashboard's read side over PostgreSQL (TRACKSINK_DATABASE_URL): the whole network's query log,
 * every replica's rows, answered in the same shapes as the SQLite `Analytics` (store/log-analytics.ts).
 * Charts, tops and summaries read the rollups the shipping statement keeps (pg-rollups.ts, migrations
 * 0002, 0011), summed over replicas; the log page and the live tail read the raw log (pg-log-page.ts); top
 * names use the same bounded search as SQLite (pg-top-names.ts).
 *
 * Devices are grouped by the device id stored in the rows: the shared configuration's id (replicas share
 * their devices through the replicated configuration), so a device that asks two replicas is one device.
 */
import { QueryStatus } from '../../events/query-event.js';
import { NameKind } from '../../trackers/attribution.js';
import type {
  CategoryCompany,
  CompanyDetail,
  DeviceFigures,
  DeviceRank,
  Series,
  SeriesRange,
  Summary,
  TopEntry,
} from '../analytics-types.js';
import type { LogAnalytics } from '../log-analytics.js';
import type { QueryFilter, QueryPage, QueryRow } from '../query-log-reader.js';
import { clampLimit, floorTo, type Period } from '../rollup-periods.js';
import { ALL_DEVICES, HOUR_MS } from '../rollup-sums.js';
import type { TopName, TopOptions } from '../top-names.js';
import { createPool, type PgPool } from './pg-connect.js';
import { PgApps } from './pg-apps.js';
import { PgLogPage } from './pg-log-page.js';
import { one, Params, pgSegments, rows, segmentRows, warmPool } from './pg-read.js';
import { SERIES_STEP_MS } from './pg-rollups.js';
import { PgTopNames } from './pg-top-names.js';
import { seriesBuckets, seriesFromCounts } from '../series-buckets.js';
import type { PgTarget } from './pg-url.js';

const BLOCKED_SUM = `coalesce(sum(count) FILTER (WHERE status = ${QueryStatus.blocked}), 0)`;
const TRACKING_SUM = `coalesce(sum(count) FILTER (WHERE kind = ${NameKind.tracker}), 0)`;
const USES_SUM = `coalesce(sum(count) FILTER (WHERE kind = ${NameKind.service}), 0)`;

export interface PgAnalyticsOptions {
  target: PgTarget;
  replica: string;
  /** Clock for "now" (tests, the bench). */
  now?: () => number;
  /** Connections for the dashboard's reads (default 6: a page's requests and their reads run side by side). */
  max?: number;
}

export class PgAnalytics implements LogAnalytics {
  private readonly now: () => number;
  private readonly page: PgLogPage;
  private readonly names: PgTopNames;
  /** The Apps page's sums of every replica (pg-apps.ts). */
  readonly apps: PgApps;

  constructor(
    private readonly pool: PgPool,
    now: () => number = Date.now,
  ) {
    this.now = now;
    this.page = new PgLogPage(pool);
    this.names = new PgTopNames(pool, this.page, this.now);
    this.apps = new PgApps(pool);
  }

  static open(options: PgAnalyticsOptions): PgAnalytics {
    const max = options.max ?? 6;
    const pool = createPool(options.target, {
      applicationName: `tracksink ${options.replica} dashboard`,
      max,
      // Kept open between page loads: a new connection (fork + SCRAM) costs more than most reads.
      idleTimeoutMs: 10 * 60_000,
    });
    const analytics = new PgAnalytics(pool, options.now);
    // Opened and readied now rather than on the first page load (see `ready`), with the overview's
    // top-names candidates taken if they are missing (a new installation, retention since).
    analytics.ready = warmPool(pool, max).then(() =>
      analytics.names.bounds.prepare(ALL_DEVICES).catch(() => {}),
    );
    return analytics;
  }

  /** Settles when the pool's connections are open and readied (pg-read.ts warmPool); never rejects. */
  ready: Promise<void> = Promise.resolve();

  async close(): Promise<void> {
    await this.pool.end().catch(() => {});
  }

  async summary(period: Period, deviceId?: number): Promise<Summary> {
    const params = new Params();
    const source = segmentRows(pgSegments('totals', period, this.now()), deviceId ?? ALL_DEVICES, params);
    const counting = one<{ total: number; blocked: number; tracking: number; uses: number }>(
      this.pool,
      `SELECT coalesce(sum(count), 0) AS total, ${BLOCKED_SUM} AS blocked, ${TRACKING_SUM} AS tracking,
              ${USES_SUM} AS uses FROM ${source}`,
      params.values,
    );
    const active =
      deviceId === undefined
        ? one<{ n: number }>(
            this.pool,
            `SELECT count(*) AS n FROM log_devices d WHERE d.device_id > 0 AND EXISTS (
               SELECT 1 FROM log_totals_hour t WHERE t.device_id = d.device_id AND t.bucket >= $1 AND t.bucket < $2)`,
            [floorTo(period.from, HOUR_MS), period.to],
          )
        : null;
    const [row, activeRow] = await Promise.all([counting, active]);
    const devicesActive = activeRow === null ? (row.total > 0 ? 1 : 0) : activeRow.n;
    return {
      total: row.total,
      blocked: row.blocked,
      blockedShare: row.total === 0 ? 0 : row.blocked / row.total,
      trackingAttempts: row.tracking,
      serviceUses: row.uses,
      devicesActive,
    };
  }

  async timeSeries(range: SeriesRange, options: { deviceId?: number; now?: number } = {}): Promise<Series> {
    const buckets = seriesBuckets(range, options.now ?? this.now());
    // The 24-hour series reads its own 10-minute sums (PG migration 0011), not 10 times as many minute
    // totals split by category and kind: the busiest device's series 208 → ~3 ms cold on 10 M rows.
    const table =
      buckets.grain === 'minute' && buckets.stepMs === SERIES_STEP_MS
        ? 'log_series_10min'
        : `log_totals_${buckets.grain}`;
    const counts = await rows<{ t: number; status: number; n: number }>(
      this.pool,
      `SELECT bucket - bucket % ${buckets.stepMs} AS t, status, sum(count) AS n FROM ${table}
       WHERE device_id = $1 AND bucket >= $2 AND bucket < $3 GROUP BY 1, 2`,
      [options.deviceId ?? ALL_DEVICES, buckets.start, buckets.end],
    );
    return seriesFromCounts(range, buckets, counts);
  }

  topCompanies(period: Period, options: TopOptions = {}): Promise<TopEntry[]> {
    return this.topBy('company_id', period, options);
  }

  topCategories(period: Period, options: TopOptions = {}): Promise<TopEntry[]> {
    return this.topBy('category_id', period, options);
  }

  topApps(period: Period, options: TopOptions = {}): Promise<TopEntry[]> {
    return this.topBy('app_id', period, options);
  }

  async companiesByCategory(
    period: Period,
    options: { deviceId?: number; perCategory?: number } = {},
  ): Promise<CategoryCompany[]> {
    const params = new Params();
    const source = segmentRows(
      pgSegments('counts', period, this.now(), false),
      options.deviceId ?? ALL_DEVICES,
      params,
      `category_id <> 0 AND company_id <> 0 AND kind = ${NameKind.tracker}`,
    );
    const found = await rows<CategoryCompany>(
      this.pool,
      `SELECT category_id AS "categoryId", company_id AS "companyId", sum(count) AS count, ${BLOCKED_SUM} AS blocked
       FROM ${source} GROUP BY category_id, company_id ORDER BY category_id, count DESC, company_id`,
      params.values,
    );
    const limit = clampLimit(options.perCategory, 10);
    const seen = new Map<number, number>();
    return found.filter((row) => {
      const n = (seen.get(row.categoryId) ?? 0) + 1;
      seen.set(row.categoryId, n);
      return n <= limit;
    });
  }

  async topNames(period: Period, options: TopOptions & { blockedOnly?: boolean } = {}): Promise<TopName[]> {
    const lists = await this.topNameLists(period, options, options.blockedOnly ? 'blocked' : 'all');
    return (options.blockedOnly ? lists.blocked : lists.all) ?? [];
  }

  topNameLists(
    period: Period,
    options: TopOptions = {},
    which: 'all' | 'blocked' | 'both' = 'both',
  ): Promise<{ all: TopName[] | null; blocked: TopName[] | null }> {
    return this.names.topNameLists(period, options, which);
  }

  async devicesByTracking(period: Period, limit = 50): Promise<DeviceRank[]> {
    const ids = await this.deviceIds();
    if (ids.length === 0) return [];
    const params = new Params();
    const source = segmentRows(pgSegments('totals', period, this.now(), false), ids, params);
    const ranks = await rows<DeviceRank>(
      this.pool,
      `SELECT device_id AS "deviceId", ${TRACKING_SUM} AS "trackingAttempts", ${BLOCKED_SUM} AS blocked,
              sum(count) AS total
       FROM ${source} GROUP BY device_id HAVING sum(count) > 0
       ORDER BY "trackingAttempts" DESC, total DESC, device_id LIMIT ${clampLimit(limit, 50)}`,
      params.values,
    );
    return ranks;
  }

  /** Two grouped reads for every device at once (the device list would otherwise ask 2 per device). */
  async deviceFigures(
    period: Period,
    options: { onlyId?: number; companies: number },
  ): Promise<DeviceFigures[]> {
    const ids = options.onlyId === undefined ? await this.deviceIds() : [options.onlyId];
    if (ids.length === 0) return [];
    const now = this.now();
    const totalsParams = new Params();
    const totals = rows<DeviceRank>(
      this.pool,
      `SELECT device_id AS "deviceId", ${TRACKING_SUM} AS "trackingAttempts", ${BLOCKED_SUM} AS blocked,
              sum(count) AS total
       FROM ${segmentRows(pgSegments('totals', period, now, false), ids, totalsParams)}
       GROUP BY device_id HAVING sum(count) > 0
       ORDER BY "trackingAttempts" DESC, total DESC, device_id`,
      totalsParams.values,
    );
    // Service uses as a device's summary counts them (to the minute over a recent day).
    const usesParams = new Params();
    const uses = rows<{ deviceId: number; uses: number }>(
      this.pool,
      `SELECT device_id AS "deviceId", ${USES_SUM} AS uses
       FROM ${segmentRows(pgSegments('totals', period, now), ids, usesParams)} GROUP BY device_id`,
      usesParams.values,
    );
    const topParams = new Params();
    const tops = rows<TopEntry & { deviceId: number }>(
      this.pool,
      `SELECT "deviceId", id, count, blocked, tracking, uses FROM (
         SELECT device_id AS "deviceId", company_id AS id, sum(count) AS count, ${BLOCKED_SUM} AS blocked,
                ${TRACKING_SUM} AS tracking, ${USES_SUM} AS uses,
                row_number() OVER (PARTITION BY device_id ORDER BY sum(count) DESC, company_id) AS place
         FROM ${segmentRows(
           pgSegments('counts', period, now, false),
           ids,
           topParams,
           `company_id <> 0 AND kind = ${NameKind.tracker}`,
         )}
         GROUP BY device_id, company_id) ranked
       WHERE place <= ${clampLimit(options.companies, 3)} ORDER BY "deviceId", place`,
      topParams.values,
    );
    const [totalRows, useRows, topRows] = await Promise.all([totals, uses, tops]);
    const byDevice = new Map<number, TopEntry[]>();
    for (const { deviceId, ...entry } of topRows) {
      byDevice.set(deviceId, [...(byDevice.get(deviceId) ?? []), entry]);
    }
    const usesOf = new Map(useRows.map((row) => [row.deviceId, row.uses]));
    return totalRows.map((row) => ({
      ...row,
      serviceUses: usesOf.get(row.deviceId) ?? 0,
      topCompanies: byDevice.get(row.deviceId) ?? [],
    }));
  }

  async categoriesByDevice(period: Period): Promise<Map<number, TopEntry[]>> {
    const ids = await this.deviceIds();
    const out = new Map<number, TopEntry[]>();
    if (ids.length === 0) return out;
    const params = new Params();
    const source = segmentRows(
      pgSegments('totals', period, this.now(), false),
      ids,
      params,
      `category_id <> 0 AND kind = ${NameKind.tracker}`,
    );
    const found = await rows<TopEntry & { deviceId: number }>(
      this.pool,
      `SELECT device_id AS "deviceId", category_id AS id, sum(count) AS count, ${BLOCKED_SUM} AS blocked,
              sum(count) AS tracking, 0 AS uses
       FROM ${source} GROUP BY device_id, category_id ORDER BY device_id, category_id`,
      params.values,
    );
    for (const { deviceId, ...entry } of found) {
      const list = out.get(deviceId) ?? [];
      list.push(entry);
      out.set(deviceId, list);
    }
    return out;
  }

  async companyDetail(companyId: number, period: Period, limit = 50): Promise<CompanyDetail> {
    const params = new Params();
    const company = params.add(companyId);
    const segments = pgSegments('counts', period, this.now(), false);
    const arms = segments.map(
      (s) =>
        `SELECT * FROM ${s.table} WHERE company_id = ${company} AND company_id <> 0
           AND bucket >= ${params.add(s.from)} AND bucket < ${params.add(s.to)}`,
    );
    const byDevice = rows<{
      deviceId: number;
      count: number;
      blocked: number;
      tracking: number;
      uses: number;
    }>(
      this.pool,
      `SELECT device_id AS "deviceId", sum(count) AS count, ${BLOCKED_SUM} AS blocked,
              ${TRACKING_SUM} AS tracking, ${USES_SUM} AS uses
       FROM (${arms.join(' UNION ALL ')}) s GROUP BY device_id`,
      params.values,
    );
    const [found, names] = await Promise.all([
      byDevice,
      this.names.companyNames(companyId, period, clampLimit(limit, 50)),
    ]);
    const overall = found.find((row) => row.deviceId === ALL_DEVICES) ?? {
      count: 0,
      blocked: 0,
      tracking: 0,
      uses: 0,
    };
    const devices = found.filter((row) => row.deviceId !== ALL_DEVICES && row.count > 0);
    devices.sort((a, b) => b.count - a.count || a.deviceId - b.deviceId);
    return {
      companyId,
      total: overall.count,
      blocked: overall.blocked,
      tracking: overall.tracking,
      uses: overall.uses,
      devices: devices.slice(0, clampLimit(limit, 50)),
      names,
    };
  }

  queries(filter: QueryFilter = {}): Promise<QueryPage> {
    return this.page.queries(filter);
  }

  queriesAfter(afterId: number, limit = 500): Promise<QueryRow[]> {
    return this.page.queriesAfter(afterId, limit);
  }

  lastId(): Promise<number> {
    return this.page.lastId();
  }

  /** Device ids (≥ 1) with rows in the log; 0 holds queries of no device, nothing to rank. */
  async deviceIds(): Promise<number[]> {
    const found = await rows<{ id: number }>(
      this.pool,
      'SELECT device_id AS id FROM log_devices WHERE device_id > 0 ORDER BY 1',
    );
    return found.map((row) => row.id);
  }

  private async topBy(
    column: 'company_id' | 'category_id' | 'app_id',
    period: Period,
    options: TopOptions,
  ): Promise<TopEntry[]> {
    const params = new Params();
    const kind = options.kind === undefined ? '' : ` AND kind = ${Math.trunc(options.kind)}`;
    const source = segmentRows(
      pgSegments('counts', period, this.now(), false),
      options.deviceId ?? ALL_DEVICES,
      params,
      `${column} <> 0${kind}`,
    );
    return rows<TopEntry>(
      this.pool,
      `SELECT ${column} AS id, sum(count) AS count, ${BLOCKED_SUM} AS blocked, ${TRACKING_SUM} AS tracking,
              ${USES_SUM} AS uses
       FROM ${source} GROUP BY ${column}
       ORDER BY ${options.byTracking ? 'tracking DESC, ' : ''}count DESC, ${column}
       LIMIT ${clampLimit(options.limit, 10)}`,
      params.values,
    );
  }
}
