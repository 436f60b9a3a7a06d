/**
 * Plain integer counters of the DNS engine, updated on the hot path with no allocation and read by the
 * metrics module (/metrics) and /api/health at scrape time. No prom-client here on purpose.
 */
import { QueryStatus } from '../events/query-event.js';

/** Upper bounds (microseconds) of the latency histogram buckets; the last bucket is +Inf. */
export const LATENCY_BUCKETS_US = [
  50, 100, 250, 500, 1000, 2500, 5000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000,
  2_500_000,
] as const;

/** Query types counted individually; everything else lands in `otherQtype`. */
const QTYPE_SLOTS = 256;

export class DnsStats {
  queries = 0;
  /** Indexed by QueryStatus (1..10). */
  readonly byStatus = new Float64Array(16);
  /** Indexed by qtype for qtype < 256. */
  readonly byQtype = new Float64Array(QTYPE_SLOTS);
  otherQtype = 0;
  /** Non-cumulative counts per LATENCY_BUCKETS_US bucket, plus one for +Inf. */
  readonly latencyBuckets = new Float64Array(LATENCY_BUCKETS_US.length + 1);
  latencySumUs = 0;
  /** Malformed packets by DecodeStatus. */
  readonly malformed = new Float64Array(16);
  tcpConnections = 0;
  tcpConnectionsRejected = 0;
  prefetches = 0;
  /** Filled by the cache on read (see DnsServer.stats getter). */
  cacheSize = 0;
  cacheHits = 0;
  cacheMisses = 0;
  cacheEvictions = 0;

  count(status: QueryStatus, qtype: number, durationUs: number): void {
    this.queries++;
    this.byStatus[status]!++;
    if (qtype < QTYPE_SLOTS) this.byQtype[qtype]!++;
    else this.otherQtype++;
    this.latencySumUs += durationUs;
    let i = 0;
    while (i < LATENCY_BUCKETS_US.length && durationUs > LATENCY_BUCKETS_US[i]!) i++;
    this.latencyBuckets[i]!++;
  }

  /** Counts by status name, for /api/health and logs. */
  statusCounts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [name, value] of Object.entries(QueryStatus)) out[name] = this.byStatus[value]!;
    return out;
  }
}
