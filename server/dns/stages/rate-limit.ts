/**
 * Rate-limit stage: a token bucket per client address (capacity one second's worth). Over the limit the
 * query is dropped, not answered REFUSED, so a spoofed flood cannot use us to reflect traffic. Local
 * clients use rateLimit.privatePerSecond (0 = unlimited, the default), others publicPerSecond.
 */
import type { Config } from '../../config/schema.js';
import { QueryStatus, Reason } from '../../events/query-event.js';
import { isLocalAddress } from './address-ranges.js';
import { NEXT, type QueryContext, type Stage, type StageResult } from './stage.js';

interface Bucket {
  tokens: number;
  lastMs: number;
  /** Tokens per second for this client; 0 = unlimited. */
  rate: number;
}

/** Past this many tracked clients the table starts over rather than grow without bound. */
const TABLE_LIMIT = 65_536;

export class RateLimiter implements Stage {
  private readonly buckets = new Map<string, Bucket>();
  private readonly enabled: boolean;

  constructor(private readonly limits: Config['dns']['rateLimit']) {
    this.enabled = limits.publicPerSecond > 0 || limits.privatePerSecond > 0;
  }

  run(t: QueryContext): StageResult {
    if (this.allow(t.ev.clientAddress, t.nowMs)) return NEXT;
    return t.finish(null, QueryStatus.dropped, Reason.rateLimited, -1);
  }

  /** Takes one token for `address`; false means drop this query. */
  allow(address: string, nowMs: number): boolean {
    if (!this.enabled) return true;
    let bucket = this.buckets.get(address);
    if (bucket === undefined) {
      const rate = isLocalAddress(address) ? this.limits.privatePerSecond : this.limits.publicPerSecond;
      if (this.buckets.size >= TABLE_LIMIT) this.buckets.clear();
      bucket = { tokens: rate, lastMs: nowMs, rate };
      this.buckets.set(address, bucket);
    }
    const rate = bucket.rate;
    if (rate === 0) return true;
    const elapsed = nowMs - bucket.lastMs;
    if (elapsed > 0) {
      bucket.tokens = Math.min(rate, bucket.tokens + (elapsed * rate) / 1000);
      bucket.lastMs = nowMs;
    }
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}
