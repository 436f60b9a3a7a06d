import { describe, expect, it } from 'vitest';
import { UpstreamHealth } from '../../../server/dns/upstream/health.js';

describe('UpstreamHealth', () => {
  it('backs off exponentially up to the cap and recovers on success', () => {
    const h = new UpstreamHealth({ baseBackoffMs: 100, maxBackoffMs: 350 });
    expect(h.isAvailable(0)).toBe(true);
    h.recordFailure(1000);
    expect(h.healthy).toBe(false);
    expect(h.isAvailable(1099)).toBe(false);
    expect(h.isAvailable(1100)).toBe(true);
    h.recordFailure(2000); // 200 ms
    expect(h.isAvailable(2199)).toBe(false);
    expect(h.isAvailable(2200)).toBe(true);
    h.recordFailure(3000); // 400 ms capped to 350
    expect(h.isAvailable(3349)).toBe(false);
    expect(h.isAvailable(3350)).toBe(true);
    h.recordSuccess();
    expect(h.healthy).toBe(true);
    expect(h.consecutiveFailures).toBe(0);
    expect(h.isAvailable(3000)).toBe(true);
  });

  it('tolerates failures below the threshold', () => {
    const h = new UpstreamHealth({ failuresBeforeBackoff: 3 });
    h.recordFailure(0);
    h.recordFailure(0);
    expect(h.healthy).toBe(true);
    expect(h.isAvailable(0)).toBe(true);
    h.recordFailure(0);
    expect(h.healthy).toBe(false);
    expect(h.isAvailable(0)).toBe(false);
  });
});
