/**
 * Profiles and schedules in the policy engine (what decide() reads) and the schedule timer that swaps
 * them in: a schedule beats allow rules and pauses, a pausing schedule lifts list blocks, profile company
 * policies apply to members only (the strictest wins), and the timer is armed for the next boundary.
 */
import { describe, expect, it, vi } from 'vitest';
import { Reason } from '../../../server/events/query-event.js';
import type { ActiveSchedule, CompanyPolicy } from '../../../server/filter/policy-engine.js';
import { VerdictAction } from '../../../server/filter/verdict.js';
import { ScheduleRunner, type Timers } from '../../../server/schedules/schedule-runner.js';
import type { Schedule } from '../../../server/filter/schedule-types.js';
import type { SchedulesRepo } from '../../../server/store/repos/schedules-repo.js';
import type { Attribution, AttributionResult } from '../../../server/trackers/attribution.js';
import { clearAttributionResult } from '../../../server/trackers/attribution.js';
import { decide, engineWith, listInput } from '../filter/helpers.js';

const BYTEDANCE = 5;
const attribution: Attribution = {
  attribute(name: string, out: AttributionResult): boolean {
    clearAttributionResult(out);
    if (name !== 'tiktok.com' && !name.endsWith('.tiktok.com')) return false;
    out.companyId = BYTEDANCE;
    out.categoryId = 2;
    return true;
  },
};

const kidsSchedule = (over: Partial<ActiveSchedule> = {}): ActiveSchedule => ({
  scheduleId: 7,
  groupId: 1,
  deviceId: null,
  action: 'block',
  companyIds: [],
  categoryIds: [],
  appHosts: ['tiktokv.com'],
  label: 'Kids profile: TikTok blocked 21:00–07:00 (School nights, Sun–Thu)',
  ...over,
});

function engine() {
  const e = engineWith([listInput(1, '0.0.0.0 ads.example.com', 'hosts')], { attribution });
  e.setDeviceGroups(
    new Map([
      [10, [1]],
      [11, [1, 2]],
    ]),
  );
  return e;
}

describe('schedules and profiles in decide()', () => {
  it('a blocking schedule blocks its app hosts for the profile members only, before allow rules', () => {
    const e = engine();
    e.setUserRules([
      {
        id: 1,
        action: 'allow',
        match: 'subdomain',
        pattern: 'tiktokv.com',
        deviceId: null,
        groupId: null,
        expiresAt: null,
      },
    ]);
    expect(decide(e, 'api.tiktokv.com', 1, 10).action).toBe(VerdictAction.none);
    e.setSchedules([kidsSchedule()]);
    expect(decide(e, 'api.tiktokv.com', 1, 10)).toMatchObject({
      action: VerdictAction.block,
      reason: Reason.schedule,
      ruleId: 7,
    });
    expect(decide(e, 'api.tiktokv.com', 1, 12).action).toBe(VerdictAction.none); // not a member
    e.setPauses(Date.now() + 60_000, new Map());
    expect(decide(e, 'api.tiktokv.com', 1, 10).reason).toBe(Reason.schedule); // a pause does not lift it
    e.setSchedules([]);
    expect(decide(e, 'api.tiktokv.com', 1, 10).action).toBe(VerdictAction.none);
  });

  it('blocks by company and category too; explain names the schedule', () => {
    const e = engine();
    e.setSchedules([kidsSchedule({ appHosts: [], companyIds: [BYTEDANCE] })]);
    expect(decide(e, 'www.tiktok.com', 1, 11).reason).toBe(Reason.schedule);
    e.setSchedules([kidsSchedule({ appHosts: [], categoryIds: [2] })]);
    expect(decide(e, 'www.tiktok.com', 1, 11).reason).toBe(Reason.schedule);
    const why = e.explain('www.tiktok.com', 11);
    expect(why.why).toBe('Kids profile: TikTok blocked 21:00–07:00 (School nights, Sun–Thu): blocked now.');
    expect(why.winner?.source).toBe('schedule');
  });

  it('a pausing schedule lifts list blocks for its members', () => {
    const e = engine();
    e.setSchedules([kidsSchedule({ action: 'pause', appHosts: [], label: 'Kids profile: blocking paused' })]);
    expect(decide(e, 'ads.example.com', 1, 10)).toMatchObject({
      action: VerdictAction.none,
      reason: Reason.paused,
    });
    expect(decide(e, 'ads.example.com', 1, 12).action).toBe(VerdictAction.block);
    expect(e.explain('ads.example.com', 10).why).toContain(
      'Kids profile: blocking paused pauses blocking now',
    );
  });

  it('profile company policies replace the household one for members; the strictest profile wins', () => {
    const e = engine();
    e.setCompanyPolicies(new Map([[BYTEDANCE, 'allow']]));
    e.setGroupCompanyPolicies(
      new Map<number, Map<number, CompanyPolicy>>([
        [1, new Map([[BYTEDANCE, 'block-tracking']])],
        [2, new Map([[BYTEDANCE, 'block-everything']])],
      ]),
      new Map([
        [1, 'Kids'],
        [2, 'Teens'],
      ]),
    );
    expect(decide(e, 'www.tiktok.com', 1, 11)).toMatchObject({
      action: VerdictAction.block,
      reason: Reason.companyPolicy,
    });
    expect(e.explain('www.tiktok.com', 11).why).toBe(
      'Teens profile: the company is set to "block everything".',
    );
    expect(decide(e, 'www.tiktok.com', 1, 10).action).toBe(VerdictAction.none);
    expect(e.companyPolicy(BYTEDANCE, 10)).toBe('block-tracking');
    expect(e.companyPolicy(BYTEDANCE, 12)).toBe('allow');
    // A device joining a profile gets its policies at once (the state is rebuilt with the memberships).
    e.setDeviceGroups(new Map([[12, [2]]]));
    expect(decide(e, 'www.tiktok.com', 1, 12).action).toBe(VerdictAction.block);
  });
});

describe('the schedule timer', () => {
  const school: Schedule = {
    id: 3,
    name: 'School nights',
    groupId: 1,
    deviceId: null,
    days: [0, 1, 2, 3, 4],
    start: '21:00',
    end: '07:00',
    action: 'block',
    companies: [],
    apps: ['tiktok'],
    categories: [],
    enabled: true,
  };
  function runnerAt(clock: { now: number }, schedules: Schedule[]) {
    const armed: number[] = [];
    const sets: ActiveSchedule[][] = [];
    const timers: Timers = { set: (_run, ms) => armed.push(ms), clear: () => {} };
    const repo = {
      list: () => schedules,
      timeZone: () => 'Europe/Berlin',
      profilePolicies: () => [],
    } as unknown as SchedulesRepo;
    const runner = new ScheduleRunner({
      repo,
      policy: { setSchedules: (active) => sets.push([...active]), setGroupCompanyPolicies: () => {} },
      targets: {
        company: () => undefined,
        category: () => undefined,
        app: (key) => (key === 'tiktok' ? { name: 'TikTok', hosts: ['tiktokv.com'] } : undefined),
      },
      groups: () => [{ id: 1, name: 'Kids' }],
      deviceName: () => undefined,
      now: () => clock.now,
      timers,
    });
    return { runner, armed, sets, repo };
  }

  it('arms the timer for the next boundary, at most an hour ahead, and hands over what is in force', () => {
    const clock = { now: Date.parse('2026-12-06T19:30:00Z') }; // Sunday 20:30 in Berlin
    const { runner, armed, sets } = runnerAt(clock, [school]);
    const status = runner.refresh();
    expect(armed.at(-1)).toBe(30 * 60_000); // 21:00 Berlin
    expect(sets.at(-1)).toEqual([]);
    expect(status.next).toEqual({ at: Date.parse('2026-12-06T20:00:00Z'), scheduleId: 3, change: 'starts' });

    clock.now = Date.parse('2026-12-06T20:00:00Z');
    runner.refresh();
    expect(sets.at(-1)).toMatchObject([{ scheduleId: 3, appHosts: ['tiktokv.com'] }]);
    expect(armed.at(-1)).toBe(60 * 60_000); // ends Monday 07:00: re-checked within the hour
  });

  it('with no schedule, reads no time zone until asked (the first Intl call is slow, and DNS waits for it)', () => {
    const clock = { now: Date.parse('2026-12-06T20:30:00Z') };
    const { runner, repo } = runnerAt(clock, []);
    const timeZone = vi.spyOn(repo, 'timeZone');
    const status = runner.refresh();
    expect(timeZone).not.toHaveBeenCalled();
    expect(status.next).toBeNull();
    // Asked for (the dashboard's schedules page), the status names the zone in force, as before.
    expect(JSON.parse(JSON.stringify(runner.status()))).toMatchObject({
      timeZone: 'Europe/Berlin',
      timeZoneIsServer: false,
      schedules: [],
    });
    expect(timeZone).toHaveBeenCalled();
  });

  it('a switched-off schedule is never in force', () => {
    const clock = { now: Date.parse('2026-12-06T20:30:00Z') };
    const { runner, sets } = runnerAt(clock, [{ ...school, enabled: false }]);
    expect(runner.refresh().schedules[0]).toMatchObject({ active: false, nextStart: null });
    expect(sets.at(-1)).toEqual([]);
  });
});
