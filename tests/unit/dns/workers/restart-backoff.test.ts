/** The wait before a stopped DNS worker thread is started again (dns/workers/restart-backoff.ts). */
import { describe, expect, it } from 'vitest';
import {
  MAX_RESTART_DELAY_MS,
  RestartBackoff,
  STABLE_RUN_MS,
} from '../../../../server/dns/workers/restart-backoff.js';

describe('DNS worker restart back-off', () => {
  it('waits 1 s, then doubles for each stop in a row, up to a minute', () => {
    const backoff = new RestartBackoff();
    const waits = Array.from({ length: 9 }, () => backoff.next(0));
    expect(waits).toEqual([1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000, 60_000]);
    expect(Math.max(...waits)).toBe(MAX_RESTART_DELAY_MS);
  });

  it('starts again from 1 s after a thread that ran a minute before it stopped', () => {
    const backoff = new RestartBackoff();
    backoff.next(10);
    backoff.next(10);
    expect(backoff.next(STABLE_RUN_MS - 1)).toBe(4000);
    expect(backoff.next(STABLE_RUN_MS)).toBe(1000);
    expect(backoff.next(5)).toBe(2000);
  });

  it('never spins, however long the crash loop', () => {
    const backoff = new RestartBackoff();
    for (let i = 0; i < 2000; i++) expect(backoff.next(0)).toBeGreaterThanOrEqual(1000);
    expect(backoff.next(0)).toBe(MAX_RESTART_DELAY_MS);
  });
});
