import { describe, expect, it } from 'vitest';
import {
  LATENCY_BUCKETS_MS,
  newUpstreamStats,
  recordLatency,
} from '../../../server/dns/upstream/upstream-stats.js';

describe('upstream latency histogram', () => {
  it('puts each latency in the first bucket whose bound it does not exceed', () => {
    const s = newUpstreamStats(1, 'udp://192.0.2.1:53', 'udp');
    for (const ms of [1, 5, 5.1, 99, 2500, 9999]) recordLatency(s, ms);
    expect(s.latencyCount).toBe(6);
    expect(s.latencySumMs).toBeCloseTo(1 + 5 + 5.1 + 99 + 2500 + 9999);
    const at = (bound: number) => s.latencyBuckets[LATENCY_BUCKETS_MS.indexOf(bound as never)];
    expect(at(5)).toBe(2);
    expect(at(10)).toBe(1);
    expect(at(100)).toBe(1);
    expect(at(2500)).toBe(1);
    expect(s.latencyBuckets.at(-1)).toBe(1);
    expect(s.latencyBuckets).toHaveLength(LATENCY_BUCKETS_MS.length + 1);
  });
});
