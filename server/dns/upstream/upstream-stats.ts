/**
 * Per-upstream counters for /metrics and /api/health: plain numbers, updated in place.
 */

/** Upper bounds (ms) of the latency histogram buckets; the last bucket is +Inf. */
export const LATENCY_BUCKETS_MS = [5, 10, 25, 50, 100, 250, 500, 1000, 2500] as const;

export interface UpstreamStats {
  /** 1-based, as configured. */
  id: number;
  url: string;
  protocol: string;
  /** Exchanges started. */
  queries: number;
  /** Answers received (any rcode). */
  answers: number;
  /** Of those, SERVFAIL or REFUSED. */
  failureRcodes: number;
  /** Failed exchanges other than timeouts (refused connection, TLS error, HTTP error...). */
  errors: number;
  timeouts: number;
  /** Answers ignored because ID, source or question did not match (spoofs, garbage, late). */
  mismatched: number;
  latencySumMs: number;
  latencyCount: number;
  /**
   * Non-cumulative counts per bucket: index i counts latencies ≤ LATENCY_BUCKETS_MS[i] (and above the
   * previous bound); the extra last entry counts the rest.
   */
  latencyBuckets: number[];
  /** False while the upstream is in back-off after failures. */
  healthy: boolean;
  consecutiveFailures: number;
  lastError: string | null;
}

export function newUpstreamStats(id: number, url: string, protocol: string): UpstreamStats {
  return {
    id,
    url,
    protocol,
    queries: 0,
    answers: 0,
    failureRcodes: 0,
    errors: 0,
    timeouts: 0,
    mismatched: 0,
    latencySumMs: 0,
    latencyCount: 0,
    latencyBuckets: new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0),
    healthy: true,
    consecutiveFailures: 0,
    lastError: null,
  };
}

export function recordLatency(stats: UpstreamStats, ms: number): void {
  stats.latencySumMs += ms;
  stats.latencyCount++;
  let i = 0;
  while (i < LATENCY_BUCKETS_MS.length && ms > LATENCY_BUCKETS_MS[i]!) i++;
  stats.latencyBuckets[i]!++;
}
