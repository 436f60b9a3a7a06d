/** Overview numbers, the stacked time series and the rankings, for a period, overall or per device. */
import { PERIOD_MS, requireAnalytics } from '../adapters/analytics-view.js';
import { NameResolver } from '../adapters/names.js';
import type { App, RouteContext } from '../context.js';
import { ErrorResponse, nameKindName } from '../schemas/common.js';
import { StatsQuery, Summary, TimeSeries, Tops } from '../schemas/stats.js';

function startOfToday(now: number): number {
  const date = new Date(now);
  date.setHours(0, 0, 0, 0);
  return date.getTime();
}

export function statsRoutes(app: App, context: RouteContext): void {
  const errors = { 400: ErrorResponse, 503: ErrorResponse };

  app.get(
    '/api/stats/summary',
    { schema: { tags: ['stats'], querystring: StatsQuery, response: { 200: Summary, ...errors } } },
    async (request) => {
      const analytics = requireAnalytics(context);
      const period = request.query.period ?? '24h';
      const device = request.query.device;
      const now = context.now();
      const [counts, trackingAttemptsToday] = await Promise.all([
        analytics.summary(period, device),
        analytics.trackingSince(startOfToday(now), device),
      ]);
      return {
        period,
        from: now - PERIOD_MS[period],
        to: now,
        total: counts.total,
        blocked: counts.blocked,
        blockedShare: counts.total === 0 ? 0 : counts.blocked / counts.total,
        trackingAttempts: counts.trackingAttempts,
        serviceUses: counts.serviceUses,
        trackingAttemptsToday,
        devicesActive: counts.devicesActive,
      };
    },
  );

  app.get(
    '/api/stats/timeseries',
    { schema: { tags: ['stats'], querystring: StatsQuery, response: { 200: TimeSeries, ...errors } } },
    async (request) => {
      const period = request.query.period ?? '24h';
      return { period, ...(await requireAnalytics(context).timeSeries(period, request.query.device)) };
    },
  );

  app.get(
    '/api/stats/tops',
    { schema: { tags: ['stats'], querystring: StatsQuery, response: { 200: Tops, ...errors } } },
    async (request) => {
      const period = request.query.period ?? '24h';
      const device = request.query.device;
      const tops = await requireAnalytics(context).tops(period, device, 10);
      const names = new NameResolver(context);
      const companyOf = (id: number) => names.company(id);
      return {
        period,
        companies: tops.companies.flatMap((row) => {
          const company = companyOf(row.companyId);
          return company
            ? [
                {
                  ...company,
                  queries: row.queries,
                  blocked: row.blocked,
                  trackingAttempts: row.trackingAttempts,
                  serviceUses: row.serviceUses,
                },
              ]
            : [];
        }),
        categories: tops.categories.flatMap((row) => {
          const category = names.category(row.categoryId);
          return category ? [{ ...category, queries: row.queries, blocked: row.blocked }] : [];
        }),
        apps: tops.apps.flatMap((row) => {
          const appRef = names.app(row.appId);
          const companyId =
            row.companyId || (appRef?.companyKey ? (names.companyIdOfKey(appRef.companyKey) ?? 0) : 0);
          return appRef
            ? [
                {
                  id: appRef.id,
                  key: appRef.key,
                  name: appRef.name,
                  company: companyOf(companyId),
                  queries: row.queries,
                  blocked: row.blocked,
                },
              ]
            : [];
        }),
        names: tops.names.map((row) => ({
          ...row,
          kind: nameKindName(row.kind),
          company: companyOf(row.companyId),
        })),
        blockedNames: tops.blockedNames.map((row) => ({
          ...row,
          kind: nameKindName(row.kind),
          company: companyOf(row.companyId),
        })),
        devices: device
          ? []
          : names.deviceRows(tops.devices).map((row) => ({
              id: row.id,
              name: row.name,
              queries: row.queries,
              blocked: row.blocked,
              trackingAttempts: row.trackingAttempts,
            })),
      };
    },
  );
}
