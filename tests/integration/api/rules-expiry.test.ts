import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness.js';

describe('timed rules', () => {
  let h: Harness;
  let now = Date.UTC(2026, 0, 1);
  const given: unknown[][] = [];

  beforeAll(async () => {
    h = await startHarness({
      now: () => now,
      // A recording policy: what the engine would be told.
      policy: {
        setUserRules: (rules) => given.push(rules),
        setPauses: () => {},
        explain: () => {
          throw new Error('not used');
        },
        lists: { localRecords: () => [] },
      },
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('expire after their duration: the policy gets only live rules and the list prunes expired ones', async () => {
    const session = await h.login();
    const timed = await session.request({
      method: 'POST',
      url: '/api/rules',
      payload: { action: 'allow', pattern: 'a.example', duration: '1h' },
    });
    expect(timed.json().expiresAt).toBe(now + 3_600_000);
    await session.request({
      method: 'POST',
      url: '/api/rules',
      payload: { action: 'deny', pattern: 'b.example' },
    });
    expect(given.at(-1)).toHaveLength(2);
    now += 3_600_001;
    expect(
      (await session.request({ method: 'GET', url: '/api/rules' }))
        .json()
        .items.map((r: { pattern: string }) => r.pattern),
    ).toEqual(['b.example']);
    await session.request({
      method: 'POST',
      url: '/api/rules',
      payload: { action: 'deny', pattern: 'c.example' },
    });
    expect((given.at(-1) as Array<{ pattern: string }>).map((r) => r.pattern)).toEqual([
      'b.example',
      'c.example',
    ]);
  });

  it('a global pause is stored with its end and told to the policy', async () => {
    const session = await h.login();
    const paused = await session.request({ method: 'POST', url: '/api/pause', payload: { duration: '30m' } });
    expect(paused.json()).toEqual({ globalUntil: now + 1_800_000, devices: [] });
    now += 1_800_001;
    expect((await session.request({ method: 'GET', url: '/api/pause' })).json().globalUntil).toBeNull();
    const device = await session.request({
      method: 'POST',
      url: '/api/pause',
      payload: { duration: '5m', deviceId: 3 },
    });
    expect(device.statusCode).toBe(503);
    expect(device.json().message).toMatch(/device registry/);
  });
});
