import { describe, expect, it } from 'vitest';
import { QueryStatus } from '../../../server/events/query-event.js';
import { DnsStats } from '../../../server/dns/stats.js';
import { newUpstreamStats, recordLatency } from '../../../server/dns/upstream/upstream-stats.js';
import { createMetrics } from '../../../server/metrics/metrics.js';

describe('metrics from the modules’ stats objects', () => {
  it('renders counters, a cumulative latency histogram and per-upstream series read at scrape time', async () => {
    const dns = new DnsStats();
    dns.count(QueryStatus.blocked, 1, 40);
    dns.count(QueryStatus.forwarded, 28, 3000);
    dns.count(QueryStatus.cached, 1, 80);
    dns.cacheHits = 1;
    dns.cacheMisses = 3;
    dns.cacheSize = 7;
    const upstream = newUpstreamStats(1, 'udp://127.0.0.1:5353', 'UDP');
    upstream.answers = 2;
    upstream.timeouts = 1;
    recordLatency(upstream, 12);
    const metrics = createMetrics({
      dnsStats: () => dns,
      upstreamStats: () => [upstream],
      lists: () => [
        {
          id: 3,
          name: 'ads "list"',
          entries: 1234,
          enabled: true,
          lastSuccess: 1_700_000_000_000,
          lastError: null,
        },
      ],
      log: () => ({ written: 10, dropped: 2, queued: 1, error: null }),
      devicesActive: () => 4,
      processMetrics: false,
    });
    let text = await metrics.render();
    expect(metrics.contentType).toMatch(/^text\/plain/);
    expect(text).toContain('# TYPE tracksink_dns_queries_total counter');
    expect(text).toContain('tracksink_dns_queries_total{status="blocked"} 1');
    expect(text).toContain('tracksink_dns_queries_by_type_total{type="AAAA"} 1');
    expect(text).toContain('tracksink_dns_answer_duration_seconds_bucket{le="0.00005"} 1');
    expect(text).toContain('tracksink_dns_answer_duration_seconds_bucket{le="0.0001"} 2');
    expect(text).toContain('tracksink_dns_answer_duration_seconds_bucket{le="+Inf"} 3');
    expect(text).toContain('tracksink_dns_answer_duration_seconds_count 3');
    expect(text).toContain('tracksink_dns_cache_hit_ratio 0.25');
    expect(text).toContain('tracksink_dns_cache_entries 7');
    expect(text).toContain(
      'tracksink_upstream_errors_total{upstream="udp://127.0.0.1:5353",kind="timeout"} 1',
    );
    expect(text).toContain(
      'tracksink_upstream_latency_seconds_bucket{upstream="udp://127.0.0.1:5353",le="0.025"} 1',
    );
    expect(text).toContain('tracksink_list_entries{list="ads \\"list\\"",id="3"} 1234');
    expect(text).toContain(
      'tracksink_list_last_refresh_timestamp_seconds{list="ads \\"list\\"",id="3"} 1700000000',
    );
    expect(text).toContain('tracksink_log_events_total{result="dropped"} 2');
    expect(text).toContain('tracksink_devices_active 4');
    // Read at scrape time: new traffic shows in the next scrape.
    dns.count(QueryStatus.blocked, 1, 40);
    text = await metrics.render();
    expect(text).toContain('tracksink_dns_queries_total{status="blocked"} 2');
  });

  it('renders nothing for modules that are not running', async () => {
    const text = await createMetrics({ processMetrics: false }).render();
    expect(text).not.toMatch(/^tracksink_dns_queries_total/m);
    expect(text).toContain('# HELP tracksink_dns_queries_total');
  });
});
