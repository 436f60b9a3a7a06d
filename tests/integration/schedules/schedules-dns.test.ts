/**
 * Profiles and schedules through real DNS: a device in the Kids profile with a "school nights" schedule
 * gets TikTok blocked inside the window and not outside, with the clock injected (Berlin, the night
 * clocks spring forward); the query log, explain and the profile page say why. A profile's company
 * policy applies to its devices only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../server/logger.js';
import type { ScheduleRunner, Timers } from '../../../server/schedules/schedule-runner.js';
import { startSchedules } from '../../../server/schedules/start-schedules.js';
import { loadCatalog } from '../../../server/trackers/catalog.js';
import { dig } from '../../helpers/dns-clients.js';
import type { Session } from '../api/harness.js';
import { startStack, type Stack } from '../api/stack.js';

const utc = (text: string) => Date.parse(`${text}Z`);

describe('schedules and profiles through real DNS', () => {
  let s: Stack;
  let session: Session;
  let runner: ScheduleRunner;
  let clock = utc('2026-03-29T12:00:00'); // Sunday 14:00 in Berlin (summer time since 03:00)
  let pending: { run: () => void; ms: number } | null = null;
  const timers: Timers = {
    set: (run, ms) => (pending = { run, ms }),
    clear: () => {
      pending = null;
    },
  };
  let kid = 0;
  let profileId = 0;
  let scheduleId = 0;

  /** Moves the clock and lets the timer fire as it would at a boundary. */
  const advanceTo = (instant: number) => {
    clock = instant;
    const timer = pending;
    expect(timer).not.toBeNull();
    timer!.run();
  };
  const answer = async (name: string, from: string) =>
    (await dig(s.dnsPort, name, 'A', ['-b', from])).answers[0]?.data;

  beforeAll(async () => {
    s = await startStack();
    session = await s.login();
    await dig(s.dnsPort, 'example.org', 'A', ['-b', '127.0.0.2']);
    await dig(s.dnsPort, 'example.org', 'A', ['-b', '127.0.0.3']);
    const devices = (await session.request({ method: 'GET', url: '/api/devices' })).json().items as Array<{
      id: number;
      addresses: string[];
    }>;
    kid = devices.find((d) => d.addresses.includes('127.0.0.2'))!.id;
    const catalog = s.deps.catalog ?? loadCatalog();
    runner = startSchedules({
      configDb: s.db,
      policy: s.policy,
      catalog: () => catalog,
      devices: s.devices,
      now: () => clock,
      timers,
      logger: silentLogger,
    });
    s.deps.schedules = runner;
    const group = await session.request({
      method: 'POST',
      url: '/api/groups',
      payload: { name: 'Kids', deviceIds: [kid] },
    });
    expect(group.statusCode).toBe(201);
    profileId = group.json().id;
  }, 60_000);
  afterAll(async () => {
    runner?.stop();
    await s?.close();
  });

  it('takes the household time zone, refusing a name that is not one', async () => {
    const bad = await session.request({
      method: 'PUT',
      url: '/api/schedules/time-zone',
      payload: { timeZone: 'Europe/Atlantis' },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toMatch(/body\.timeZone: "Europe\/Atlantis" is not a time zone/);
    const ok = await session.request({
      method: 'PUT',
      url: '/api/schedules/time-zone',
      payload: { timeZone: 'Europe/Berlin' },
    });
    expect(ok.json()).toEqual({ timeZone: 'Europe/Berlin', timeZoneIsServer: false });
  });

  it('refuses a schedule with bad fields, naming each', async () => {
    const response = await session.request({
      method: 'POST',
      url: '/api/schedules',
      payload: {
        name: 'x',
        groupId: profileId,
        deviceId: kid,
        days: [1],
        start: '21:00',
        end: '07:00',
        action: 'block',
      },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().message).toContain(
      'body.groupId/deviceId: a schedule is for exactly one profile or one device',
    );
    expect(response.json().message).toContain('body.companies/apps/categories');
  });

  it('blocks TikTok for the Kids profile inside the window only', async () => {
    const created = await session.request({
      method: 'POST',
      url: '/api/schedules',
      payload: {
        name: 'School nights',
        groupId: profileId,
        days: [0, 1, 2, 3, 4],
        start: '21:00',
        end: '07:00',
        action: 'block',
        apps: ['tiktok'],
      },
    });
    expect(created.statusCode).toBe(201);
    scheduleId = created.json().id;
    expect(created.json()).toMatchObject({
      active: false,
      nextStart: utc('2026-03-29T19:00:00'),
      unknown: [],
    });
    expect(created.json().label).toBe('Kids profile: TikTok blocked 21:00–07:00 (School nights, Sun–Thu)');
    expect(await answer('www.tiktok.com', '127.0.0.2')).toBe('192.0.2.1');

    advanceTo(utc('2026-03-29T19:00:00')); // 21:00 in Berlin
    expect(await answer('www.tiktok.com', '127.0.0.2')).toBe('0.0.0.0');
    expect(await answer('api16-normal-c-useast1a.tiktokv.com', '127.0.0.2')).toBe('0.0.0.0');
    expect(await answer('www.tiktok.com', '127.0.0.3')).toBe('192.0.2.1'); // not in the profile
    expect(await answer('example.org', '127.0.0.2')).toBe('192.0.2.1'); // only what the schedule names

    await s.queryLog.flush();
    const log = (await session.request({ method: 'GET', url: '/api/queries?limit=10' })).json()
      .items as Array<{
      name: string;
      status: string;
      reason: string;
      schedule?: string;
    }>;
    expect(log.find((q) => q.name === 'www.tiktok.com' && q.status === 'blocked')).toMatchObject({
      reason: 'schedule',
      schedule: "the Kids profile's schedule “School nights”",
    });

    const explain = await session.request({
      method: 'GET',
      url: `/api/explain?name=www.tiktok.com&device=${kid}`,
    });
    expect(explain.json().verdict).toBe('blocked');
    expect(explain.json().summary).toContain('Kids profile: TikTok blocked 21:00–07:00');

    const profile = (await session.request({ method: 'GET', url: `/api/profiles/${profileId}` })).json();
    expect(profile.inForce).toEqual(['Kids profile: TikTok blocked 21:00–07:00 (School nights, Sun–Thu)']);
    expect(profile.next).toMatchObject({ change: 'ends', at: utc('2026-03-30T05:00:00'), scheduleId });
    expect(profile.devices.map((d: { id: number }) => d.id)).toEqual([kid]);

    advanceTo(utc('2026-03-30T05:00:00')); // Monday 07:00 in Berlin
    expect(await answer('www.tiktok.com', '127.0.0.2')).toBe('192.0.2.1');
  });

  it('a pausing schedule lifts list blocks for the profile in its window', async () => {
    const created = await session.request({
      method: 'POST',
      url: '/api/schedules',
      payload: {
        name: 'Homework break',
        groupId: profileId,
        days: [1],
        start: '07:00',
        end: '08:00',
        action: 'pause',
      },
    });
    expect(created.json().active).toBe(true); // Monday 07:00 in Berlin
    expect(await answer('ads.example.com', '127.0.0.2')).toBe('192.0.2.1');
    expect(await answer('ads.example.com', '127.0.0.3')).toBe('0.0.0.0');
    await session.request({ method: 'DELETE', url: `/api/schedules/${created.json().id}` });
    expect(await answer('ads.example.com', '127.0.0.2')).toBe('0.0.0.0');
  });

  it('a profile company policy applies to the profile devices only', async () => {
    const set = await session.request({
      method: 'PUT',
      url: `/api/profiles/${profileId}/company-policies/bytedance`,
      payload: { policy: 'block-everything' },
    });
    expect(set.statusCode).toBe(200);
    expect(set.json().companyPolicies).toEqual([
      {
        companyKey: 'bytedance',
        companyName: expect.any(String),
        policy: 'block-everything',
        household: 'block-tracking',
      },
    ]);
    expect(await answer('www.tiktok.com', '127.0.0.2')).toBe('0.0.0.0');
    expect(await answer('www.tiktok.com', '127.0.0.3')).toBe('192.0.2.1');
    const explain = await session.request({
      method: 'GET',
      url: `/api/explain?name=www.tiktok.com&device=${kid}`,
    });
    expect(explain.json().summary).toBe('Kids profile: the company is set to "block everything".');
    const unknown = await session.request({
      method: 'PUT',
      url: `/api/profiles/${profileId}/company-policies/no-such-company`,
      payload: { policy: 'allow' },
    });
    expect(unknown.statusCode).toBe(400);
    await session.request({
      method: 'PUT',
      url: `/api/profiles/${profileId}/company-policies/bytedance`,
      payload: { policy: null },
    });
    expect(await answer('www.tiktok.com', '127.0.0.2')).toBe('192.0.2.1');
  });
});
