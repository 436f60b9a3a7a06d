/**
 * Prometheus metrics (GET /metrics). Every value is read at scrape time from the modules' own counters
 * (dns/stats.ts, the upstream pool's stats, the list manager, the query log, the device registry).
 *
 * Scrape config:
 *   scrape_configs:
 *     - job_name: tracksink
 *       static_configs: [{ targets: ['tracksink.lan:8080'] }]
 */
import { Registry, collectDefaultMetrics } from 'prom-client';
import { QUERY_STATUS_NAMES, type QueryStatus } from '../events/query-event.js';
import { LATENCY_BUCKETS_US, type DnsStats } from '../dns/stats.js';
import { LATENCY_BUCKETS_MS, type UpstreamStats } from '../dns/upstream/upstream-stats.js';
import { upstreamLabelValues } from './redact.js';
import { qtypeName } from './qtype-names.js';
import { histogramSamples, registerSnapshotMetric, type SampleValue } from './snapshot-metric.js';

export interface ListMetricInfo {
  id: number;
  name: string;
  entries: number;
  enabled: boolean;
  /** ms of the last good download, null never. */
  lastSuccess: number | null;
  lastError: string | null;
}

export interface DatabaseMetrics {
  reachable: boolean;
  shipped: number;
  buffered: number;
  dropped: number;
}

export interface MetricsSources {
  dnsStats?: () => DnsStats | undefined;
  upstreamStats?: () => UpstreamStats[];
  lists?: () => ListMetricInfo[];
  log?: () => { written: number; dropped: number; queued?: number; error: string | null } | undefined;
  /** Devices seen within the last `activeWindowMs` (default 1 h). */
  devicesActive?: () => number | undefined;
  /** With TRACKSINK_DATABASE_URL: every series carries replica="<name>". */
  replica?: string;
  /** PostgreSQL reachable, and the query log's shipping to it. */
  database?: () => { reachable: boolean; shipped: number; buffered: number; dropped: number } | undefined;
  /** With dns.workers > 1: DNS threads planned and running, and restarts of stopped worker threads. */
  dnsThreads?: () => { planned: number; running: number; restarts: number } | null | undefined;
  /** Include Node process metrics (memory, event loop lag …); default true. */
  processMetrics?: boolean;
}

export interface Metrics {
  registry: Registry;
  contentType: string;
  render(): Promise<string>;
}

export function createMetrics(sources: MetricsSources): Metrics {
  const registry = new Registry();
  if (sources.replica !== undefined) registry.setDefaultLabels({ replica: sources.replica });
  registerDatabaseMetrics(registry, sources.database);
  if (sources.processMetrics !== false)
    collectDefaultMetrics({ register: registry, prefix: 'tracksink_process_' });
  const dns = () => sources.dnsStats?.();

  registerSnapshotMetric(registry, {
    name: 'tracksink_dns_queries_total',
    help: 'DNS queries answered, by status (blocked, forwarded, cached …)',
    type: 'counter',
    collect: () => {
      const stats = dns();
      if (!stats) return [];
      return Object.entries(QUERY_STATUS_NAMES).map(([code, status]) => ({
        labels: { status },
        value: stats.byStatus[Number(code) as QueryStatus] ?? 0,
      }));
    },
  });
  registerSnapshotMetric(registry, {
    name: 'tracksink_dns_queries_by_type_total',
    help: 'DNS queries by query type',
    type: 'counter',
    collect: () => {
      const stats = dns();
      if (!stats) return [];
      const out: SampleValue[] = [];
      stats.byQtype.forEach((value, qtype) => {
        if (value > 0) out.push({ labels: { type: qtypeName(qtype) }, value });
      });
      if (stats.otherQtype > 0) out.push({ labels: { type: 'other' }, value: stats.otherQtype });
      return out;
    },
  });
  registerSnapshotMetric(registry, {
    name: 'tracksink_dns_answer_duration_seconds',
    help: 'Time from a query’s arrival to its answer',
    type: 'histogram',
    collect: () => {
      const stats = dns();
      if (!stats) return [];
      return histogramSamples(
        'tracksink_dns_answer_duration_seconds',
        LATENCY_BUCKETS_US,
        stats.latencyBuckets,
        stats.latencySumUs,
        1e6,
      );
    },
  });
  registerSnapshotMetric(registry, {
    name: 'tracksink_dns_cache_entries',
    help: 'Answers held in the DNS cache',
    type: 'gauge',
    collect: () => {
      const stats = dns();
      return stats ? [{ value: stats.cacheSize }] : [];
    },
  });
  registerSnapshotMetric(registry, {
    name: 'tracksink_dns_cache_lookups_total',
    help: 'DNS cache lookups by result (hit, miss)',
    type: 'counter',
    collect: () => {
      const stats = dns();
      if (!stats) return [];
      return [
        { labels: { result: 'hit' }, value: stats.cacheHits },
        { labels: { result: 'miss' }, value: stats.cacheMisses },
      ];
    },
  });
  registerSnapshotMetric(registry, {
    name: 'tracksink_dns_cache_hit_ratio',
    help: 'Share of cache lookups that hit, since start (0 before any lookup)',
    type: 'gauge',
    collect: () => {
      const stats = dns();
      if (!stats) return [];
      const total = stats.cacheHits + stats.cacheMisses;
      return [{ value: total === 0 ? 0 : stats.cacheHits / total }];
    },
  });

  registerSnapshotMetric(registry, {
    name: 'tracksink_dns_threads',
    help: 'DNS threads answering UDP now (dns.workers), the main thread included',
    type: 'gauge',
    collect: () => {
      const threads = sources.dnsThreads?.();
      return threads ? [{ value: threads.running }] : [];
    },
  });
  registerSnapshotMetric(registry, {
    name: 'tracksink_dns_thread_restarts_total',
    help: 'DNS worker threads restarted after they stopped (a crash), since start',
    type: 'counter',
    collect: () => {
      const threads = sources.dnsThreads?.();
      return threads ? [{ value: threads.restarts }] : [];
    },
  });

  // Labels never show a URL's path, query or credentials (redact.ts): /metrics is open.
  const upstreams = () => {
    const stats = sources.upstreamStats?.() ?? [];
    const labels = upstreamLabelValues(stats.map((u) => u.url));
    return stats.map((u, i) => ({ ...u, label: labels[i] as string }));
  };
  const upstreamLabels = (u: { label: string }) => ({ upstream: u.label });
  registerSnapshotMetric(registry, {
    name: 'tracksink_upstream_answers_total',
    help: 'Answers received from each upstream (any rcode)',
    type: 'counter',
    collect: () => upstreams().map((u) => ({ labels: upstreamLabels(u), value: u.answers })),
  });
  registerSnapshotMetric(registry, {
    name: 'tracksink_upstream_errors_total',
    help: 'Failed exchanges per upstream, by kind (error, timeout, servfail_refused, mismatched)',
    type: 'counter',
    collect: () =>
      upstreams().flatMap((u) => [
        { labels: { ...upstreamLabels(u), kind: 'error' }, value: u.errors },
        { labels: { ...upstreamLabels(u), kind: 'timeout' }, value: u.timeouts },
        { labels: { ...upstreamLabels(u), kind: 'servfail_refused' }, value: u.failureRcodes },
        { labels: { ...upstreamLabels(u), kind: 'mismatched' }, value: u.mismatched },
      ]),
  });
  registerSnapshotMetric(registry, {
    name: 'tracksink_upstream_latency_seconds',
    help: 'Round-trip time of each upstream',
    type: 'histogram',
    collect: () =>
      upstreams().flatMap((u) =>
        histogramSamples(
          'tracksink_upstream_latency_seconds',
          LATENCY_BUCKETS_MS,
          u.latencyBuckets,
          u.latencySumMs,
          1e3,
          upstreamLabels(u),
        ),
      ),
  });
  registerSnapshotMetric(registry, {
    name: 'tracksink_upstream_healthy',
    help: '1 while the upstream is used, 0 while in back-off after failures',
    type: 'gauge',
    collect: () => upstreams().map((u) => ({ labels: upstreamLabels(u), value: u.healthy ? 1 : 0 })),
  });

  const lists = () => sources.lists?.() ?? [];
  registerSnapshotMetric(registry, {
    name: 'tracksink_list_entries',
    help: 'Entries of each blocklist (last good copy)',
    type: 'gauge',
    collect: () => lists().map((l) => ({ labels: { list: l.name, id: l.id }, value: l.entries })),
  });
  registerSnapshotMetric(registry, {
    name: 'tracksink_list_last_refresh_timestamp_seconds',
    help: 'When each blocklist was last downloaded successfully (0 = never)',
    type: 'gauge',
    collect: () =>
      lists().map((l) => ({
        labels: { list: l.name, id: l.id },
        value: l.lastSuccess ? l.lastSuccess / 1000 : 0,
      })),
  });
  registerSnapshotMetric(registry, {
    name: 'tracksink_list_error',
    help: '1 when the last refresh of a list failed (it keeps its last good copy)',
    type: 'gauge',
    collect: () => lists().map((l) => ({ labels: { list: l.name, id: l.id }, value: l.lastError ? 1 : 0 })),
  });

  registerSnapshotMetric(registry, {
    name: 'tracksink_log_events_total',
    help: 'Query-log events, by result (written to querylog.db, dropped)',
    type: 'counter',
    collect: () => {
      const log = sources.log?.();
      if (!log) return [];
      return [
        { labels: { result: 'written' }, value: log.written },
        { labels: { result: 'dropped' }, value: log.dropped },
      ];
    },
  });
  registerSnapshotMetric(registry, {
    name: 'tracksink_log_queue_events',
    help: 'Events waiting to be written to the query log',
    type: 'gauge',
    collect: () => {
      const log = sources.log?.();
      return log ? [{ value: log.queued ?? 0 }] : [];
    },
  });
  registerSnapshotMetric(registry, {
    name: 'tracksink_log_writing',
    help: '1 while the query log writes, 0 while storage fails',
    type: 'gauge',
    collect: () => {
      const log = sources.log?.();
      return log ? [{ value: log.error ? 0 : 1 }] : [];
    },
  });
  registerSnapshotMetric(registry, {
    name: 'tracksink_devices_active',
    help: 'Devices that sent a query within the last hour',
    type: 'gauge',
    collect: () => {
      const active = sources.devicesActive?.();
      return active === undefined ? [] : [{ value: active }];
    },
  });

  return { registry, contentType: registry.contentType, render: () => registry.metrics() };
}

function registerDatabaseMetrics(registry: Registry, database: MetricsSources['database']): void {
  if (database === undefined) return;
  const gauges: Array<[string, string, 'gauge' | 'counter', (d: DatabaseMetrics) => number]> = [
    [
      'tracksink_database_up',
      'PostgreSQL answered the last read or write (1) or not (0)',
      'gauge',
      (d) => (d.reachable ? 1 : 0),
    ],
    ['tracksink_log_shipped_total', 'Query log rows committed to PostgreSQL', 'counter', (d) => d.shipped],
    [
      'tracksink_log_ship_buffered',
      'Query log rows held in memory for PostgreSQL',
      'gauge',
      (d) => d.buffered,
    ],
    [
      'tracksink_log_ship_dropped_total',
      'Query log rows lost because the buffer for PostgreSQL was full',
      'counter',
      (d) => d.dropped,
    ],
  ];
  for (const [name, help, type, pick] of gauges) {
    registerSnapshotMetric(registry, {
      name,
      help,
      type,
      collect: () => {
        const value = database();
        return value === undefined ? [] : [{ value: pick(value) }];
      },
    });
  }
}
