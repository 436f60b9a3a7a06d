/**
 * What the API reads from the query log, in the API's own terms (ids, counts). `analyticsView()` maps the
 * store's Analytics onto it; the routes turn ids into names with the catalog and the device registry.
 */
import type { QueryStatus } from '../../events/query-event.js';
import type { Analytics, QueryRow as AnalyticsRow } from '../../store/analytics.js';
import type { StatusName } from '../schemas/common.js';

export type PeriodName = '24h' | '7d' | '30d';

export interface SummaryCounts {
  total: number;
  blocked: number;
  trackingAttempts: number;
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

export interface TopsCounts {
  companies: Array<CountRow & { companyId: number; trackingAttempts?: number }>;
  categories: Array<CountRow & { categoryId: number }>;
  apps: Array<CountRow & { appId: number; companyId: number }>;
  names: Array<CountRow & { name: string; companyId: number }>;
  blockedNames: Array<CountRow & { name: string; companyId: number }>;
  devices: Array<CountRow & { deviceId: number; trackingAttempts: number }>;
}

export interface CompanyDetailCounts {
  devices: Array<CountRow & { deviceId: number }>;
  names: Array<CountRow & { name: string }>;
}

export interface LogRow {
  id: number;
  time: number;
  deviceId: number;
  client: string | null;
  name: string;
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
  company(companyId: number, period: PeriodName, limit: number): CompanyDetailCounts;
  /** Devices' counts for the period (for the device list). */
  devices(
    period: PeriodName,
  ): Map<
    number,
    CountRow & { trackingAttempts: number; topCompanies: Array<{ companyId: number; queries: number }> }
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
      const names = (rows: ReturnType<Analytics['topNames']>) =>
        rows.map((row) => ({
          name: row.name,
          companyId: row.companyId,
          queries: row.count,
          blocked: row.blocked,
        }));
      return {
        companies: a.topCompanies(range, options).map((row) => ({
          companyId: row.id,
          queries: row.count,
          blocked: row.blocked,
          trackingAttempts: row.count,
        })),
        categories: a
          .topCategories(range, options)
          .map((row) => ({ categoryId: row.id, queries: row.count, blocked: row.blocked })),
        apps: a
          .topApps(range, options)
          .map((row) => ({ appId: row.id, companyId: 0, queries: row.count, blocked: row.blocked })),
        names: names(a.topNames(range, options)),
        blockedNames: names(a.topBlockedNames(range, options)),
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
    company(companyId, period, limit) {
      const detail = a.companyDetail(companyId, periodOf(period), limit);
      return {
        devices: detail.devices.map((row) => ({
          deviceId: row.deviceId,
          queries: row.count,
          blocked: row.blocked,
        })),
        names: detail.names.map((row) => ({ name: row.name, queries: row.count, blocked: row.blocked })),
      };
    },
    devices(period) {
      const range = periodOf(period);
      const out = new Map<
        number,
        CountRow & { trackingAttempts: number; topCompanies: Array<{ companyId: number; queries: number }> }
      >();
      for (const row of a.devicesByTracking(range, 10_000)) {
        out.set(row.deviceId, {
          queries: row.total,
          blocked: row.blocked,
          trackingAttempts: row.trackingAttempts,
          topCompanies: a
            .topCompanies(range, { deviceId: row.deviceId, limit: 3 })
            .map((top) => ({ companyId: top.id, queries: top.count })),
        });
      }
      return out;
    },
    categoryDevices(period) {
      const range = periodOf(period);
      const out = new Map<number, Array<CountRow & { deviceId: number }>>();
      for (const device of a.devicesByTracking(range, 10_000)) {
        for (const top of a.topCategories(range, { deviceId: device.deviceId, limit: 100 })) {
          const list = out.get(top.id) ?? [];
          list.push({ deviceId: device.deviceId, queries: top.count, blocked: top.blocked });
          out.set(top.id, list);
        }
      }
      for (const list of out.values()) list.sort((x, y) => y.queries - x.queries);
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
