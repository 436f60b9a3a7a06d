/**
 * When to restart a DNS worker thread that stopped (dns-workers.ts). A crash loop (a bad setting, a bug
 * hit by every query) must not spin: the first restart waits 1 s, each crash after it doubles the wait up
 * to a minute, and a thread that ran a minute before it stopped starts the count again (an odd crash a day
 * is restarted after 1 s each time). While a thread is down, the kernel hands its share of the port's
 * clients to the other sockets (its socket left the SO_REUSEPORT group when the thread ended).
 */

export const FIRST_RESTART_DELAY_MS = 1000;
export const MAX_RESTART_DELAY_MS = 60_000;
/** A thread that ran this long before it stopped was not crash-looping: the next wait is the first again. */
export const STABLE_RUN_MS = 60_000;

export class RestartBackoff {
  /** Stops in a row, each within STABLE_RUN_MS of its start. */
  private crashes = 0;

  /** The wait before the next start, given how long the thread that stopped had run. */
  next(ranMs: number): number {
    if (ranMs >= STABLE_RUN_MS) this.crashes = 0;
    const delay = Math.min(FIRST_RESTART_DELAY_MS * 2 ** this.crashes, MAX_RESTART_DELAY_MS);
    this.crashes++;
    return delay;
  }
}
