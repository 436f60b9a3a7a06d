/**
 * What the API reads from the query log, in the API's own terms (ids, counts). `analyticsView()` maps the
 * store's Analytics onto it; the routes turn ids into names with the catalog and the device registry.
 */
import type { QueryStatus } from '../../events/query-event.js';
import type { Analytics, QueryRow as AnalyticsRow } from '../../store/analytics.js';
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

export interface AnalyticsView {
  summary(period: PeriodName, deviceId?: number): SummaryCounts;
  trackingSince(since: number, deviceId?: number): number;
  timeSeries(period: PeriodName, deviceId?: number): SeriesCounts;
  tops(period: PeriodName, deviceId: number | undefined, limit: number): TopsCounts;
  /** Only the companies of tops() (the trackers page needs no more). */
  topCompanies(period: PeriodName, deviceId: number | undefined, limit: number): TopsCounts['companies'];
  /** Only the categories of tops(). */
  topCategories(period: PeriodName, deviceId: number | undefined, limit: number): TopsCounts['categories'];
  /** Per tracker category, the companies whose tracker endpoints made its queries, most first. */
  categoryCompanies(
    period: PeriodName,
    deviceId: number | undefined,
  ): Map<number, Array<CountRow & { companyId: number }>>;
  company(companyId: number, period: PeriodName, limit: number): CompanyDetailCounts;
  /** Devices' counts for the period (for the device list); `onlyId` counts that one device only. */
  devices(
    period: PeriodName,
    onlyId?: number,
  ): Map<
    number,
    CountRow & KindCounts & { topCompanies: Array<KindCounts & { companyId: number; queries: number }> }
  >;
  /** Per category: the devices that used it (for the trackers page). */
  categoryDevices(period: PeriodName): Map<number, Array<CountRow & { deviceId: number }>>;
  queries(filter: LogFilter): { rows: LogRow[]; nextBefore: number | null };
  queriesAfter(id: number, limit: number): LogRow[];
  /** Newest id in the log (0 when empty): where a live tail starts. */
  lastId(): number;
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

/** Maps the store's Analytics (store/analytics.ts) onto AnalyticsView; null when it is not there. */
export function analyticsView(
  analytics: Analytics | undefined,
  now: () => number = Date.now,
): AnalyticsView | null {
  if (!analytics) return null;
  const a = analytics;
  const periodOf = (period: PeriodName) => {
    const to = now();
    return { from: to - PERIOD_MS[period], to };
  };
  const companiesOf = (range: { from: number; to: number }, deviceId: number | undefined, limit: number) =>
    a.topCompanies(range, { deviceId, limit, byTracking: true }).map((row) => ({
      companyId: row.id,
      queries: row.count,
      blocked: row.blocked,
      trackingAttempts: row.tracking,
      serviceUses: row.uses,
    }));
  // The trackers page and the overview rank categories of tracking: what tracker endpoints were for.
  const categoriesOf = (range: { from: number; to: number }, deviceId: number | undefined, limit: number) =>
    a
      .topCategories(range, { deviceId, limit, kind: NameKind.tracker })
      .map((row) => ({ categoryId: row.id, queries: row.count, blocked: row.blocked }));
  return {
    summary: (period, deviceId) => a.summary(periodOf(period), deviceId),
    trackingSince: (since, deviceId) => a.summary({ from: since, to: now() }, deviceId).trackingAttempts,
    timeSeries(period, deviceId) {
      const series = a.timeSeries(period, { deviceId, now: now() });
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
    tops(period, deviceId, limit) {
      const range = periodOf(period);
      const options = { deviceId, limit };
      const names = (rows: ReturnType<Analytics['topNames']> | null) =>
        (rows ?? []).map((row) => ({
          name: row.name,
          companyId: row.companyId,
          kind: row.kind,
          queries: row.count,
          blocked: row.blocked,
        }));
      const nameLists = a.topNameLists(range, options);
      return {
        companies: companiesOf(range, deviceId, limit),
        categories: categoriesOf(range, deviceId, limit),
        apps: a
          .topApps(range, options)
          .map((row) => ({ appId: row.id, companyId: 0, queries: row.count, blocked: row.blocked })),
        names: names(nameLists.all),
        blockedNames: names(nameLists.blocked),
        devices:
          deviceId === undefined
            ? a.devicesByTracking(range, limit).map((row) => ({
                deviceId: row.deviceId,
                queries: row.total,
                blocked: row.blocked,
                trackingAttempts: row.trackingAttempts,
              }))
            : [],
      };
    },
    topCompanies: (period, deviceId, limit) => companiesOf(periodOf(period), deviceId, limit),
    topCategories: (period, deviceId, limit) => categoriesOf(periodOf(period), deviceId, limit),
    categoryCompanies(period, deviceId) {
      const out = new Map<number, Array<CountRow & { companyId: number }>>();
      for (const row of a.companiesByCategory(periodOf(period), { deviceId })) {
        const list = out.get(row.categoryId) ?? [];
        list.push({ companyId: row.companyId, queries: row.count, blocked: row.blocked });
        out.set(row.categoryId, list);
      }
      return out;
    },
    company(companyId, period, limit) {
      const detail = a.companyDetail(companyId, periodOf(period), limit);
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
    devices(period, onlyId) {
      const range = periodOf(period);
      const out = new Map<
        number,
        CountRow & KindCounts & { topCompanies: Array<KindCounts & { companyId: number; queries: number }> }
      >();
      for (const row of a.devicesByTracking(range, 10_000)) {
        if (onlyId !== undefined && row.deviceId !== onlyId) continue;
        const summary = a.summary(range, row.deviceId);
        out.set(row.deviceId, {
          queries: row.total,
          blocked: row.blocked,
          trackingAttempts: row.trackingAttempts,
          serviceUses: summary.serviceUses,
          // Who tracks this device: companies ranked by their tracker endpoints' queries.
          topCompanies: a
            .topCompanies(range, { deviceId: row.deviceId, limit: 3, kind: NameKind.tracker })
            .map((top) => ({
              companyId: top.id,
              queries: top.count,
              trackingAttempts: top.tracking,
              serviceUses: top.uses,
            })),
        });
      }
      return out;
    },
    categoryDevices(period) {
      const out = new Map<number, Array<CountRow & { deviceId: number }>>();
      for (const [deviceId, rows] of a.categoriesByDevice(periodOf(period))) {
        for (const row of rows) {
          const list = out.get(row.id) ?? [];
          list.push({ deviceId, queries: row.count, blocked: row.blocked });
          out.set(row.id, list);
        }
      }
      for (const list of out.values()) list.sort((x, y) => y.queries - x.queries || x.deviceId - y.deviceId);
      return out;
    },
    queries(filter) {
      const page = a.queries({
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
    queriesAfter: (id, limit) => a.queriesAfter(id, limit).map(toLogRow),
    lastId: () => a.lastId(),
  };
}
