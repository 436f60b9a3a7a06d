/**
 * What the API reads from the query log, in the API's own terms (ids, counts). `analyticsView()` maps the
 * store's Analytics onto it; the routes turn ids into names with the catalog and the device registry.
 */
import type { QueryStatus } from '../../events/query-event.js';
import type { QueryRow as AnalyticsRow, TopName } from '../../store/analytics.js';
import type { LogAnalytics } from '../../store/log-analytics.js';
import { NameKind } from '../../trackers/attribution.js';
import type { RouteContext } from '../context.js';
import { unavailable } from '../http/errors.js';
import type { StatusName } from '../schemas/common.js';

export type PeriodName = '24h' | '7d' | '30d';

export interface SummaryCounts {
  total: number;
  blocked: number;
  trackingAttempts: number;
  serviceUses: number;
  devicesActive: number;
}

export interface SeriesCounts {
  bucketMs: number;
  buckets: number[];
  series: Array<{ status: StatusName; counts: number[] }>;
}

export interface CountRow {
  queries: number;
  blocked: number;
}

/** Of a company's queries: those to its tracker endpoints, and those to its services. */
export interface KindCounts {
  trackingAttempts: number;
  serviceUses: number;
}

export interface TopsCounts {
  companies: Array<CountRow & KindCounts & { companyId: number }>;
  categories: Array<CountRow & { categoryId: number }>;
  apps: Array<CountRow & { appId: number; companyId: number }>;
  names: Array<CountRow & { name: string; companyId: number; kind: number }>;
  blockedNames: Array<CountRow & { name: string; companyId: number; kind: number }>;
  devices: Array<CountRow & { deviceId: number; trackingAttempts: number }>;
}

export interface CompanyDetailCounts extends CountRow, KindCounts {
  devices: Array<CountRow & KindCounts & { deviceId: number }>;
  names: Array<CountRow & { name: string; kind: number }>;
}

/** A query log row as the API serves it: the store's row, with a hidden name as ''. */
export type LogRow = Omit<AnalyticsRow, 'name'> & { name: string };

export interface LogFilter {
  limit: number;
  beforeId?: number;
  deviceId?: number;
  name?: string;
  status?: number;
  companyId?: number;
  from?: number;
  to?: number;
}

/** A device's counts for the device list and the device page. */
export type DeviceCounts = CountRow &
  KindCounts & { topCompanies: Array<KindCounts & { companyId: number; queries: number }> };

/**
 * Every answer is a promise: the log may be this replica's SQLite file or the whole network's log in
 * PostgreSQL (store/log-analytics.ts).
 */
export interface AnalyticsView {
  summary(period: PeriodName, deviceId?: number): Promise<SummaryCounts>;
  trackingSince(since: number, deviceId?: number): Promise<number>;
  timeSeries(period: PeriodName, deviceId?: number): Promise<SeriesCounts>;
  tops(period: PeriodName, deviceId: number | undefined, limit: number): Promise<TopsCounts>;
  /** Only the companies of tops() (the trackers page needs no more). */
  topCompanies(
    period: PeriodName,
    deviceId: number | undefined,
    limit: number,
  ): Promise<TopsCounts['companies']>;
  /** Only the categories of tops(). */
  topCategories(
    period: PeriodName,
    deviceId: number | undefined,
    limit: number,
  ): Promise<TopsCounts['categories']>;
  /** Per tracker category, the companies whose tracker endpoints made its queries, most first. */
  categoryCompanies(
    period: PeriodName,
    deviceId: number | undefined,
  ): Promise<Map<number, Array<CountRow & { companyId: number }>>>;
  company(companyId: number, period: PeriodName, limit: number): Promise<CompanyDetailCounts>;
  /** Devices' counts for the period (for the device list); `onlyId` counts that one device only. */
  devices(period: PeriodName, onlyId?: number): Promise<Map<number, DeviceCounts>>;
  /** Per category: the devices that used it (for the trackers page). */
  categoryDevices(period: PeriodName): Promise<Map<number, Array<CountRow & { deviceId: number }>>>;
  queries(filter: LogFilter): Promise<{ rows: LogRow[]; nextBefore: number | null }>;
  queriesAfter(id: number, limit: number): Promise<LogRow[]>;
  /** Newest id in the log (0 when empty): where a live tail starts. */
  lastId(): Promise<number>;
}

export const PERIOD_MS: Record<PeriodName, number> = {
  '24h': 86_400_000,
  '7d': 7 * 86_400_000,
  '30d': 30 * 86_400_000,
};

/** Statuses always present in a series so charts keep their colours and legend. */
const ALWAYS_SERIES: StatusName[] = ['blocked', 'forwarded', 'cached'];

function toLogRow(row: AnalyticsRow): LogRow {
  return { ...row, name: row.name ?? '' };
}

/** The analytics view of a route's context, or 503 when the query log is not running. */
export function requireAnalytics(context: RouteContext): AnalyticsView {
  const view = analyticsView(context.deps.analytics, context.now);
  if (!view) throw unavailable('the query log (analytics)');
  return view;
}

/** Maps the store's read side (store/log-analytics.ts) onto AnalyticsView; null when it is not there. */
export function analyticsView(
  analytics: LogAnalytics | undefined,
  now: () => number = Date.now,
): AnalyticsView | null {
  if (!analytics) return null;
  const a = analytics;
  const periodOf = (period: PeriodName) => {
    const to = now();
    return { from: to - PERIOD_MS[period], to };
  };
  const companiesOf = async (
    range: { from: number; to: number },
    deviceId: number | undefined,
    limit: number,
  ) =>
    (await a.topCompanies(range, { deviceId, limit, byTracking: true })).map((row) => ({
      companyId: row.id,
      queries: row.count,
      blocked: row.blocked,
      trackingAttempts: row.tracking,
      serviceUses: row.uses,
    }));
  // The trackers page and the overview rank categories of tracking: what tracker endpoints were for.
  const categoriesOf = async (
    range: { from: number; to: number },
    deviceId: number | undefined,
    limit: number,
  ) =>
    (await a.topCategories(range, { deviceId, limit, kind: NameKind.tracker })).map((row) => ({
      categoryId: row.id,
      queries: row.count,
      blocked: row.blocked,
    }));
  return {
    summary: async (period, deviceId) => a.summary(periodOf(period), deviceId),
    trackingSince: async (since, deviceId) =>
      (await a.summary({ from: since, to: now() }, deviceId)).trackingAttempts,
    async timeSeries(period, deviceId) {
      const series = await a.timeSeries(period, { deviceId, now: now() });
      const statuses = new Set<string>(ALWAYS_SERIES);
      for (const point of series.points) {
        for (const [status, count] of Object.entries(point.byStatus)) if (count > 0) statuses.add(status);
      }
      return {
        bucketMs: series.stepMs,
        buckets: series.points.map((point) => point.time),
        series: [...statuses].map((status) => ({
          status: status as StatusName,
          counts: series.points.map((point) => point.byStatus[status] ?? 0),
        })),
      };
    },
    async tops(period, deviceId, limit) {
      const range = periodOf(period);
      const options = { deviceId, limit };
      const names = (rows: TopName[] | null) =>
        (rows ?? []).map((row) => ({
          name: row.name,
          companyId: row.companyId,
          kind: row.kind,
          queries: row.count,
          blocked: row.blocked,
        }));
      // Side by side: over PostgreSQL each is a round trip of its own.
      const [nameLists, companies, categories, apps, devices] = await Promise.all([
        a.topNameLists(range, options),
        companiesOf(range, deviceId, limit),
        categoriesOf(range, deviceId, limit),
        a.topApps(range, options),
        deviceId === undefined ? a.devicesByTracking(range, limit) : [],
      ]);
      return {
        companies,
        categories,
        apps: apps.map((row) => ({ appId: row.id, companyId: 0, queries: row.count, blocked: row.blocked })),
        names: names(nameLists.all),
        blockedNames: names(nameLists.blocked),
        devices: devices.map((row) => ({
          deviceId: row.deviceId,
          queries: row.total,
          blocked: row.blocked,
          trackingAttempts: row.trackingAttempts,
        })),
      };
    },
    topCompanies: (period, deviceId, limit) => companiesOf(periodOf(period), deviceId, limit),
    topCategories: (period, deviceId, limit) => categoriesOf(periodOf(period), deviceId, limit),
    async categoryCompanies(period, deviceId) {
      const out = new Map<number, Array<CountRow & { companyId: number }>>();
      for (const row of await a.companiesByCategory(periodOf(period), { deviceId })) {
        const list = out.get(row.categoryId) ?? [];
        list.push({ companyId: row.companyId, queries: row.count, blocked: row.blocked });
        out.set(row.categoryId, list);
      }
      return out;
    },
    async company(companyId, period, limit) {
      const detail = await a.companyDetail(companyId, periodOf(period), limit);
      return {
        queries: detail.total,
        blocked: detail.blocked,
        trackingAttempts: detail.tracking,
        serviceUses: detail.uses,
        devices: detail.devices.map((row) => ({
          deviceId: row.deviceId,
          queries: row.count,
          blocked: row.blocked,
          trackingAttempts: row.tracking,
          serviceUses: row.uses,
        })),
        names: detail.names.map((row) => ({
          name: row.name,
          kind: row.kind,
          queries: row.count,
          blocked: row.blocked,
        })),
      };
    },
    async devices(period, onlyId) {
      const range = periodOf(period);
      const out = new Map<number, DeviceCounts>();
      // Who tracks each device: companies ranked by their tracker endpoints' queries.
      for (const row of await a.deviceFigures(range, { onlyId, companies: 3 })) {
        out.set(row.deviceId, {
          queries: row.total,
          blocked: row.blocked,
          trackingAttempts: row.trackingAttempts,
          serviceUses: row.serviceUses,
          topCompanies: row.topCompanies.map((top) => ({
            companyId: top.id,
            queries: top.count,
            trackingAttempts: top.tracking,
            serviceUses: top.uses,
          })),
        });
      }
      return out;
    },
    async categoryDevices(period) {
      const out = new Map<number, Array<CountRow & { deviceId: number }>>();
      for (const [deviceId, rows] of await a.categoriesByDevice(periodOf(period))) {
        for (const row of rows) {
          const list = out.get(row.id) ?? [];
          list.push({ deviceId, queries: row.count, blocked: row.blocked });
          out.set(row.id, list);
        }
      }
      for (const list of out.values()) list.sort((x, y) => y.queries - x.queries || x.deviceId - y.deviceId);
      return out;
    },
    async queries(filter) {
      const page = await a.queries({
        limit: filter.limit,
        before: filter.beforeId,
        deviceId: filter.deviceId,
        name: filter.name,
        status: filter.status as QueryStatus | undefined,
        companyId: filter.companyId,
        from: filter.from,
        to: filter.to,
      });
      return { rows: page.rows.map(toLogRow), nextBefore: page.nextBefore };
    },
    queriesAfter: async (id, limit) => (await a.queriesAfter(id, limit)).map(toLogRow),
    lastId: async () => a.lastId(),
  };
}
