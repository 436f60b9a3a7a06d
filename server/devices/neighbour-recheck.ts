/**
 * Reads the neighbour table again shortly after a new address was answered. At first sight the kernel
 * often has no MAC for the sender yet; sending the answer makes it resolve one (ARP / neighbour
 * discovery), so a read a moment later finds it and the IP-only device is merged into its MAC's device
 * within seconds instead of at the next periodic refresh (up to a minute, during which the household saw
 * a ghost device).
 *
 * Timers only, never on DNS's path: `watch()` is a Map insert. Addresses waiting share one timer (a
 * burst of new addresses costs one read per step), and each is tried at a few delays after it was first
 * seen (its answer may wait on an upstream) and then dropped: a routed client has no MAC here.
 */
import { isIP } from 'node:net';

/** After first sight: the answer is usually out within the first step; later steps cover slow upstreams. */
export const RECHECK_DELAYS_MS: readonly number[] = [300, 1_500, 5_000, 15_000];
/** At most this many addresses wait at once (a flood of spoofed sources must not grow memory). */
const MAX_WAITING = 512;

export interface NeighbourRecheckOptions {
  /** Reads the table and re-identifies devices (the registry's shared refresh pass). */
  reread: () => Promise<void>;
  /** True once the address's device has a MAC (nothing more to wait for). */
  resolved: (address: string) => boolean;
  delaysMs?: readonly number[];
  now?: () => number;
}

export class NeighbourRecheck {
  /** address → when it was first seen and how many steps are behind it. */
  private readonly waiting = new Map<string, { since: number; step: number }>();
  private timer: NodeJS.Timeout | null = null;
  private timerDue = 0;
  private closed = false;
  private readonly delays: readonly number[];
  private readonly now: () => number;

  constructor(private readonly options: NeighbourRecheckOptions) {
    this.delays = options.delaysMs ?? RECHECK_DELAYS_MS;
    this.now = options.now ?? Date.now;
  }

  /** Addresses waiting for their MAC (for tests and diagnostics). */
  get size(): number {
    return this.waiting.size;
  }

  /** A new address without a MAC was answered: look again soon. */
  watch(address: string): void {
    if (this.closed || this.waiting.has(address) || this.waiting.size >= MAX_WAITING) return;
    if (!mayHaveNeighbour(address)) return;
    const now = this.now();
    this.waiting.set(address, { since: now, step: 0 });
    this.schedule(now + (this.delays[0] ?? 0));
  }

  close(): void {
    this.closed = true;
    this.waiting.clear();
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(due: number): void {
    if (this.closed) return;
    if (this.timer !== null && this.timerDue <= due) return; // an earlier read covers this one
    if (this.timer !== null) clearTimeout(this.timer);
    this.timerDue = due;
    this.timer = setTimeout(() => void this.fire(), Math.max(0, due - this.now()));
    this.timer.unref();
  }

  private async fire(): Promise<void> {
    this.timer = null;
    await this.options.reread();
    if (this.closed) return;
    const now = this.now();
    let next = Infinity;
    for (const [address, entry] of this.waiting) {
      if (this.options.resolved(address)) {
        this.waiting.delete(address);
        continue;
      }
      // Every step whose time has come counts as tried by this read.
      while (entry.step < this.delays.length && entry.since + (this.delays[entry.step] ?? 0) <= now) {
        entry.step += 1;
      }
      if (entry.step >= this.delays.length) {
        this.waiting.delete(address);
        continue;
      }
      next = Math.min(next, entry.since + (this.delays[entry.step] ?? 0));
    }
    if (next !== Infinity) this.schedule(next);
  }
}

/** Loopback and unspecified senders never appear in a neighbour table. */
function mayHaveNeighbour(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  if (family === 4) return !address.startsWith('127.') && address !== '0.0.0.0';
  return address !== '::1' && address !== '::';
}
