/**
 * An upstream pool that can be replaced while DNS runs: the pipeline holds this one object, and new
 * upstream settings (addresses, strategy, timeout) swap in a pool built from them. The old pool keeps
 * answering the queries it already has until its timeout has passed, then closes: closing it at once
 * would fail them.
 */
import type { ManagedUpstreamPool, UpstreamPoolStats } from './pool.js';
import type { UpstreamStats } from './upstream-stats.js';
import type { UpstreamAnswer } from './types.js';

export class LiveUpstreamPool implements ManagedUpstreamPool {
  private readonly retiring = new Set<ManagedUpstreamPool>();
  private closed = false;

  constructor(private current: ManagedUpstreamPool) {}

  resolve(query: Buffer, name: string, qtype: number, dnssecOk: boolean): Promise<UpstreamAnswer> {
    return this.current.resolve(query, name, qtype, dnssecOk);
  }

  describe(): string[] {
    return this.current.describe();
  }

  /** The serving pool's counters (a replaced pool's end with it: they describe other upstreams). */
  stats(): UpstreamStats[] {
    return this.current.stats();
  }

  poolStats(): UpstreamPoolStats {
    return this.current.poolStats();
  }

  /** Serves new queries from `next`; the previous pool closes after `drainMs`. */
  replace(next: ManagedUpstreamPool, drainMs: number): void {
    if (this.closed) {
      closeQuietly(next);
      return;
    }
    const previous = this.current;
    this.current = next;
    this.retiring.add(previous);
    const timer = setTimeout(() => {
      this.retiring.delete(previous);
      closeQuietly(previous);
    }, drainMs);
    timer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    const pools = [this.current, ...this.retiring];
    this.retiring.clear();
    await Promise.all(pools.map((pool) => pool.close()));
  }
}

/**
 * Closing a pool only ends its sockets; nobody waits for a replaced pool, so a failure there has no
 * one to tell and must not become an unhandled rejection (which would end the process).
 */
function closeQuietly(pool: ManagedUpstreamPool): void {
  pool.close().catch(() => undefined);
}
