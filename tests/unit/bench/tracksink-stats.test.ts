import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { logCountsFromHealth, logCountsFromMetrics } from '../../../bench/lib/tracksink-stats.js';

// Captured from a running tracksink (GET /metrics excerpt and GET /api/health).
const fixture = (name: string): string => readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8');

describe('log event counters', () => {
  it('reads written and dropped from the labelled /metrics counter, not the DNS "dropped" status', () => {
    const text = fixture('tracksink-metrics-excerpt.txt').replace(
      '{status="dropped"} 0',
      '{status="dropped"} 77',
    );
    expect(logCountsFromMetrics(text)).toEqual({ written: 2, dropped: 0, source: '/metrics' });
  });

  it('sums per-result counters named after the result', () => {
    const text =
      'x_log_events_written_total 10\nx_log_events_dropped_total{reason="full"} 3\nx_log_events_dropped_total{reason="error"} 2\n';
    expect(logCountsFromMetrics(text)).toEqual({ written: 10, dropped: 5, source: '/metrics' });
  });

  it('reports nothing when no log metric is present', () => {
    expect(logCountsFromMetrics('tracksink_dns_queries_total{status="blocked"} 5\n')).toBeNull();
  });

  it('reads the log counts from /api/health', () => {
    expect(logCountsFromHealth(JSON.parse(fixture('tracksink-health.json')))).toEqual({
      written: 2902,
      dropped: 0,
      source: '/api/health',
    });
    expect(logCountsFromHealth({ status: 'ok' })).toBeNull();
  });
});
