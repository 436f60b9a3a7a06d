/** The queries-over-time chart on a new install: it starts at the first busy bucket, not 24 h back. */
import { describe, expect, it } from 'vitest';
import { fromFirstActivity } from '../../../web/src/lib/series.js';
import type { TimeSeries } from '../../../web/src/lib/api-types.js';

const series = (blocked: number[], forwarded: number[]): TimeSeries => ({
  period: '24h',
  bucketMs: 300_000,
  buckets: blocked.map((_, i) => i * 300_000),
  series: [
    { status: 'blocked', counts: blocked },
    { status: 'forwarded', counts: forwarded },
  ],
});

describe('fromFirstActivity', () => {
  it('drops the empty buckets before the first query, keeping at least the minimum', () => {
    const zeros = new Array<number>(288).fill(0);
    const blocked = [...zeros.slice(0, 286), 3, 1];
    const trimmed = fromFirstActivity(series(blocked, zeros), 12);
    expect(trimmed.buckets).toHaveLength(12);
    expect(trimmed.buckets[0]).toBe(276 * 300_000);
    expect(trimmed.series[0]!.counts.slice(-2)).toEqual([3, 1]);
    expect(trimmed.series[1]!.counts).toHaveLength(12);
  });

  it('starts at the first busy bucket of any status, and leaves a full series alone', () => {
    const forwarded = new Array<number>(100).fill(0);
    forwarded[40] = 5;
    const trimmed = fromFirstActivity(series(new Array<number>(100).fill(0), forwarded), 12);
    expect(trimmed.buckets[0]).toBe(40 * 300_000);
    expect(trimmed.series[1]!.counts[0]).toBe(5);
    const busy = series([1, 2, 3], [0, 0, 0]);
    expect(fromFirstActivity(busy)).toBe(busy);
  });
});
