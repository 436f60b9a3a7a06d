/**
 * Login rate limiting: after 5 failed attempts from one client address, that address is locked out for
 * 60 s, and each further failure while counting doubles the lock (up to one hour). A success clears it.
 * A global counter adds the same protection against guesses spread over many addresses. In memory: a
 * restart forgets it, which is fine (the scrypt cost still limits guessing speed).
 */
export interface LockoutOptions {
  maxFailures?: number;
  baseLockMs?: number;
  maxLockMs?: number;
  /** Failures from all addresses together before everyone is locked for baseLockMs. */
  globalMaxFailures?: number;
  now?: () => number;
}

interface Entry {
  failures: number;
  lockedUntil: number;
  locks: number;
  lastFailure: number;
}

const GLOBAL = '*';

export class LoginLockout {
  private readonly entries = new Map<string, Entry>();
  private readonly maxFailures: number;
  private readonly baseLockMs: number;
  private readonly maxLockMs: number;
  private readonly globalMaxFailures: number;
  private readonly now: () => number;

  constructor(options: LockoutOptions = {}) {
    this.maxFailures = options.maxFailures ?? 5;
    this.baseLockMs = options.baseLockMs ?? 60_000;
    this.maxLockMs = options.maxLockMs ?? 3_600_000;
    this.globalMaxFailures = options.globalMaxFailures ?? 50;
    this.now = options.now ?? Date.now;
  }

  /** ms until `client` may try again; 0 when it may try now. */
  retryAfterMs(client: string): number {
    const now = this.now();
    const own = this.entries.get(client)?.lockedUntil ?? 0;
    const all = this.entries.get(GLOBAL)?.lockedUntil ?? 0;
    return Math.max(0, own - now, all - now);
  }

  fail(client: string): void {
    this.count(client, this.maxFailures);
    this.count(GLOBAL, this.globalMaxFailures);
    if (this.entries.size > 10_000) this.prune();
  }

  succeed(client: string): void {
    this.entries.delete(client);
  }

  private count(key: string, limit: number): void {
    const now = this.now();
    const entry = this.entries.get(key) ?? { failures: 0, lockedUntil: 0, locks: 0, lastFailure: 0 };
    // A quiet day forgets old failures and old locks.
    if (now - entry.lastFailure > 86_400_000) {
      entry.failures = 0;
      entry.locks = 0;
    }
    entry.failures++;
    entry.lastFailure = now;
    if (entry.failures >= limit) {
      entry.lockedUntil = now + Math.min(this.baseLockMs * 2 ** entry.locks, this.maxLockMs);
      entry.locks++;
      // The next lock comes after one more failure, not another full round of attempts.
      entry.failures = limit - 1;
    }
    this.entries.set(key, entry);
  }

  private prune(): void {
    const now = this.now();
    for (const [key, entry] of this.entries) {
      if (entry.lockedUntil < now && now - entry.lastFailure > 3_600_000) this.entries.delete(key);
    }
  }
}
