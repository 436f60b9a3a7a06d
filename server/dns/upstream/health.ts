/**
 * Simple health tracking with exponential back-off: an upstream that keeps failing is skipped for a
 * while (1 s, 2 s, 4 s ... up to 60 s) and then given one more chance; any good answer makes it
 * healthy again at once.
 */

export interface HealthOptions {
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  /** Failures in a row before the upstream is skipped at all. */
  failuresBeforeBackoff?: number;
}

export class UpstreamHealth {
  consecutiveFailures = 0;
  private skipUntil = 0;
  private readonly base: number;
  private readonly max: number;
  private readonly threshold: number;

  constructor(options: HealthOptions = {}) {
    this.base = options.baseBackoffMs ?? 1000;
    this.max = options.maxBackoffMs ?? 60_000;
    this.threshold = options.failuresBeforeBackoff ?? 1;
  }

  /** False while in back-off: the pool asks it only when nothing healthier is left. */
  isAvailable(now: number): boolean {
    return now >= this.skipUntil;
  }

  get healthy(): boolean {
    return this.consecutiveFailures < this.threshold;
  }

  recordSuccess(): void {
    this.consecutiveFailures = 0;
    this.skipUntil = 0;
  }

  recordFailure(now: number): void {
    this.consecutiveFailures++;
    const over = this.consecutiveFailures - this.threshold;
    if (over < 0) return;
    this.skipUntil = now + Math.min(this.max, this.base * 2 ** Math.min(over, 16));
  }
}
