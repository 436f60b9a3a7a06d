/**
 * Login rate limiting, per source (one IPv4 address or one IPv6 /64: client-source.ts).
 *
 * - An attempt is admitted *before* the password hash is computed and counted as in flight until it
 *   ends, so parallel guesses cannot all pass the check while the first ones are still hashing: a
 *   source has at most `maxInFlight` attempts at once, and never more in flight than it has failures
 *   left before its lock.
 * - After `maxFailures` failures the source is locked for `baseLockMs`; each failure after a lock has
 *   expired doubles the next lock, up to `maxLockMs`. A success clears the source.
 * - Only sources that have failed are ever locked: guesses from elsewhere never lock the owner out.
 *   When many failures arrive from many sources (`attackFailures` within `attackWindowMs`), sources
 *   that have already failed get a lock after `attackMaxFailures` failures instead, which slows a
 *   spread-out guess without touching sources that have not failed.
 *
 * In memory: a restart forgets it, which is fine (the scrypt cost still limits guessing speed).
 */
import { sourceOf } from './client-source.js';

export interface LockoutOptions {
  maxFailures?: number;
  baseLockMs?: number;
  maxLockMs?: number;
  maxInFlight?: number;
  attackFailures?: number;
  attackWindowMs?: number;
  attackMaxFailures?: number;
  now?: () => number;
}

/** One admitted attempt: end it exactly once with `succeed()` or `fail()`. */
export interface Attempt {
  succeed(): void;
  fail(): void;
}

export type Admission =
  | { ok: true; attempt: Attempt }
  /** `locked`: too many failures; `busy`: this source's earlier attempts are still being checked. */
  | { ok: false; reason: 'locked' | 'busy'; retryAfterMs: number };

interface Entry {
  failures: number;
  inFlight: number;
  lockedUntil: number;
  locks: number;
  lastFailure: number;
}

const FORGET_AFTER_MS = 86_400_000;
const BUSY_RETRY_MS = 1000;
const MAX_ENTRIES = 20_000;

export class LoginLockout {
  private readonly entries = new Map<string, Entry>();
  /** Times of the most recent failures from all sources (at most `attackFailures` of them). */
  private readonly recentFailures: number[] = [];
  private readonly maxFailures: number;
  private readonly baseLockMs: number;
  private readonly maxLockMs: number;
  private readonly maxInFlight: number;
  private readonly attackFailures: number;
  private readonly attackWindowMs: number;
  private readonly attackMaxFailures: number;
  private readonly now: () => number;

  constructor(options: LockoutOptions = {}) {
    this.maxFailures = options.maxFailures ?? 5;
    this.baseLockMs = options.baseLockMs ?? 60_000;
    this.maxLockMs = options.maxLockMs ?? 15 * 60_000;
    this.maxInFlight = options.maxInFlight ?? 2;
    this.attackFailures = options.attackFailures ?? 50;
    this.attackWindowMs = options.attackWindowMs ?? 10 * 60_000;
    this.attackMaxFailures = Math.min(options.attackMaxFailures ?? 2, this.maxFailures);
    this.now = options.now ?? Date.now;
  }

  /** Admits an attempt from `address` (and reserves it) or says how long to wait. Synchronous. */
  begin(address: string): Admission {
    const key = sourceOf(address);
    const now = this.now();
    const entry = this.entry(key, now);
    if (entry.lockedUntil > now)
      return { ok: false, reason: 'locked', retryAfterMs: entry.lockedUntil - now };
    const limit = this.limit(now);
    if (entry.inFlight >= this.maxInFlight || entry.failures + entry.inFlight >= limit) {
      return { ok: false, reason: 'busy', retryAfterMs: BUSY_RETRY_MS };
    }
    entry.inFlight++;
    this.entries.set(key, entry);
    let ended = false;
    const end = (failed: boolean): void => {
      if (ended) return;
      ended = true;
      const current = this.entries.get(key) ?? entry;
      current.inFlight = Math.max(0, current.inFlight - 1);
      if (failed) this.recordFailure(key, current);
      else Object.assign(current, { failures: 0, lockedUntil: 0, locks: 0 });
      if (!failed && current.inFlight === 0) this.entries.delete(key);
    };
    return { ok: true, attempt: { succeed: () => end(false), fail: () => end(true) } };
  }

  /** ms until `address` may try again because of failures (0 when it is not locked). */
  lockedForMs(address: string): number {
    const entry = this.entries.get(sourceOf(address));
    return Math.max(0, (entry?.lockedUntil ?? 0) - this.now());
  }

  private entry(key: string, now: number): Entry {
    const entry = this.entries.get(key) ?? {
      failures: 0,
      inFlight: 0,
      lockedUntil: 0,
      locks: 0,
      lastFailure: 0,
    };
    // A quiet day forgets old failures and old locks.
    if (entry.lastFailure > 0 && now - entry.lastFailure > FORGET_AFTER_MS && entry.lockedUntil <= now) {
      entry.failures = 0;
      entry.locks = 0;
    }
    return entry;
  }

  private underAttack(now: number): boolean {
    const oldest = this.recentFailures[0];
    return (
      this.recentFailures.length >= this.attackFailures &&
      oldest !== undefined &&
      now - oldest <= this.attackWindowMs
    );
  }

  private limit(now: number): number {
    return this.underAttack(now) ? this.attackMaxFailures : this.maxFailures;
  }

  private recordFailure(key: string, entry: Entry): void {
    const now = this.now();
    this.recentFailures.push(now);
    if (this.recentFailures.length > this.attackFailures) this.recentFailures.shift();
    const limit = this.limit(now);
    entry.failures++;
    entry.lastFailure = now;
    if (entry.failures >= limit) {
      entry.lockedUntil = now + Math.min(this.baseLockMs * 2 ** entry.locks, this.maxLockMs);
      entry.locks++;
      // The next lock comes after one more failure, not another full round of attempts.
      entry.failures = limit - 1;
    }
    this.entries.set(key, entry);
    if (this.entries.size > MAX_ENTRIES) this.prune(now);
  }

  /** Bounded memory: forget quiet sources first, then the oldest ones that are not locked. */
  private prune(now: number): void {
    for (const [key, entry] of this.entries) {
      if (entry.inFlight === 0 && entry.lockedUntil < now && now - entry.lastFailure > 3_600_000) {
        this.entries.delete(key);
      }
    }
    for (const [key, entry] of this.entries) {
      if (this.entries.size <= MAX_ENTRIES * 0.9) break;
      if (entry.inFlight === 0 && entry.lockedUntil < now) this.entries.delete(key);
    }
  }
}
