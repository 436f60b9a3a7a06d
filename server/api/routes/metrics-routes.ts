/** GET /metrics: Prometheus text, read at scrape time from the modules' counters. Open, like most exporters. */
import type { DnsStats } from '../../dns/stats.js';
import type { UpstreamStats } from '../../dns/upstream/upstream-stats.js';
import { createMetrics } from '../../metrics/metrics.js';
import { toList } from '../adapters/lists-adapter.js';
import type { App, RouteContext } from '../context.js';

const ACTIVE_WINDOW_MS = 3_600_000;

export function metricsRoutes(app: App, { deps, now }: RouteContext): void {
  // Every source is read at scrape time: modules may be wired after the app is built.
  const metrics = createMetrics({
    dnsStats: () => deps.dns?.stats as DnsStats | undefined,
    dnsThreads: () => deps.dns?.workerHealth?.(),
    upstreamStats: () => (deps.upstreams?.stats?.() ?? []) as UpstreamStats[],
    lists: () => (deps.lists?.list() ?? []).map((raw) => toList(raw)),
    log: () => deps.queryLog?.stats(),
    ...(deps.replica
      ? {
          replica: deps.replica.name,
          database: () => {
            const ship = deps.queryLog?.stats().pg;
            return {
              reachable: deps.replica?.status().reachable ?? false,
              shipped: ship?.shipped ?? 0,
              buffered: ship?.buffered ?? 0,
              dropped: ship?.dropped ?? 0,
            };
          },
        }
      : {}),
    devicesActive: () => {
      if (!deps.devices) return undefined;
      const since = now() - ACTIVE_WINDOW_MS;
      return deps.devices.list().filter((device) => device.lastSeen >= since).length;
    },
  });
  app.get('/metrics', { config: { public: true }, schema: { hide: true } }, async (_request, reply) => {
    reply.header('content-type', metrics.contentType);
    return metrics.render();
  });
}
