/**
 * The schedule timer: keeps the policy engine's "schedules in force" and profile company policies in step
 * with tracksink.db and the clock, so that decide() only reads a precomputed set. It recomputes at start,
 * after every change (refresh()), and at each schedule boundary (a timer set for the next start or end,
 * and at most an hour ahead so a clock that jumps is caught up with).
 */
import type { ActiveSchedule, CompanyPolicy } from '../filter/profile-state.js';
import type { Logger } from '../logger.js';
import type { SchedulesRepo } from '../store/repos/schedules-repo.js';
import type { Schedule } from '../filter/schedule-types.js';
import { describeDays } from '../filter/schedule-types.js';
import { nextBoundary, windowState } from './schedule-window.js';
import { isValidTimeZone, serverTimeZone } from './wall-clock.js';

export interface SchedulePolicyPort {
  setSchedules(active: readonly ActiveSchedule[]): void;
  setGroupCompanyPolicies(
    policies: Map<number, Map<number, CompanyPolicy>>,
    groupNames: Map<number, string>,
  ): void;
}

/** Names and ids of what a schedule can block (the tracker catalog and the app catalog). */
export interface ScheduleTargets {
  company(key: string): { id: number; name: string } | undefined;
  category(key: string): { id: number; name: string } | undefined;
  app(key: string): { name: string; hosts: readonly string[] } | undefined;
}

export interface Timers {
  set(run: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export interface ScheduleRunnerOptions {
  repo: SchedulesRepo;
  policy: SchedulePolicyPort;
  targets: ScheduleTargets;
  groups: () => ReadonlyArray<{ id: number; name: string }>;
  deviceName: (deviceId: number) => string | undefined;
  now?: () => number;
  timers?: Timers;
  logger?: Pick<Logger, 'warn' | 'info'>;
}

export interface ScheduleStatus {
  schedule: Schedule;
  /** "Kids profile: TikTok, YouTube blocked 21:00–07:00 (School nights, Sun–Thu)" */
  label: string;
  /** Whose it is, in words: "the Kids profile's schedule “School nights”" (the query log says "blocked by …"). */
  title: string;
  /** What it blocks, in words ("TikTok, YouTube"); '' for a pausing schedule. */
  blocks: string;
  active: boolean;
  until: number | null;
  nextStart: number | null;
  /** Names of things it blocks that no catalog knows (they block nothing). */
  unknown: string[];
}

export interface SchedulesStatus {
  timeZone: string;
  /** True when the household set none and the server's zone is used. */
  timeZoneIsServer: boolean;
  now: number;
  schedules: ScheduleStatus[];
  /** The next change of any enabled schedule. */
  next: { at: number; scheduleId: number; change: 'starts' | 'ends' } | null;
}

const HOUR = 3_600_000;
const realTimers: Timers = {
  set: (run, ms) => {
    const handle = setTimeout(run, ms);
    handle.unref();
    return handle;
  },
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export class ScheduleRunner {
  private readonly now: () => number;
  private readonly timers: Timers;
  private timer: unknown = null;
  private stopped = false;
  private lastStatus: SchedulesStatus | null = null;

  constructor(private readonly options: ScheduleRunnerOptions) {
    this.now = options.now ?? Date.now;
    this.timers = options.timers ?? realTimers;
  }

  /** The household's time zone in force (a saved zone this Node no longer knows falls back to the server's). */
  timeZone(): { timeZone: string; isServer: boolean } {
    const saved = this.options.repo.timeZone();
    if (saved !== null && isValidTimeZone(saved)) return { timeZone: saved, isServer: false };
    if (saved !== null)
      this.options.logger?.warn({ timeZone: saved }, 'saved time zone unknown; using the server zone');
    return { timeZone: serverTimeZone(), isServer: true };
  }

  /** Recompute now and re-arm the timer: at start, after every change, at each boundary. */
  refresh(): SchedulesStatus {
    if (this.timer !== null) this.timers.clear(this.timer);
    this.timer = null;
    const now = this.now();
    const schedules = this.options.repo.list();
    // The zone is read when a schedule needs it or someone asks: the first Intl call loads ICU's time-zone
    // data (60–300 ms on the start path, before DNS answers), and most households have no schedule.
    let zone = schedules.length > 0 ? this.timeZone() : null;
    const inForce = (): { timeZone: string; isServer: boolean } => (zone ??= this.timeZone());
    const timeZone = zone?.timeZone ?? 'UTC'; // with no schedule, nothing below reads it
    const groupNames = new Map(this.options.groups().map((g) => [g.id, g.name]));
    const statuses: ScheduleStatus[] = [];
    const active: ActiveSchedule[] = [];
    let next: SchedulesStatus['next'] = null;
    for (const schedule of schedules) {
      const resolved = this.resolve(schedule, groupNames);
      const state = schedule.enabled
        ? windowState(schedule, now, timeZone)
        : { active: false, until: null, nextStart: null };
      const { label, title, blocks, unknown } = resolved;
      statuses.push({ schedule, label, title, blocks, unknown, ...state });
      if (state.active) active.push(resolved.active);
      if (state.until !== null && (next === null || state.until < next.at))
        next = { at: state.until, scheduleId: schedule.id, change: 'ends' };
      if (state.nextStart !== null && (next === null || state.nextStart < next.at))
        next = { at: state.nextStart, scheduleId: schedule.id, change: 'starts' };
    }
    this.options.policy.setSchedules(active);
    this.syncProfilePolicies(groupNames);

    const enabled = statuses.filter((s) => s.schedule.enabled).map((s) => s.schedule);
    const boundary = nextBoundary(enabled, now, timeZone);
    if (!this.stopped) {
      const delay = Math.min(boundary === null ? HOUR : Math.max(boundary - now, 1_000), HOUR);
      this.timer = this.timers.set(() => this.tick(), delay);
    }
    this.lastStatus = {
      get timeZone() {
        return inForce().timeZone;
      },
      get timeZoneIsServer() {
        return inForce().isServer;
      },
      now,
      schedules: statuses,
      next,
    };
    return this.lastStatus;
  }

  /** What is in force and what changes next (recomputed when older than a minute). */
  status(): SchedulesStatus {
    if (this.lastStatus === null || this.now() - this.lastStatus.now > 60_000) return this.refresh();
    return this.lastStatus;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) this.timers.clear(this.timer);
    this.timer = null;
  }

  private tick(): void {
    this.timer = null;
    try {
      this.refresh();
    } catch (error) {
      // Keep the last set in force and try again in a minute: DNS never waits on this.
      this.options.logger?.warn({ err: error }, 'schedules not recomputed; trying again in a minute');
      if (!this.stopped) this.timer = this.timers.set(() => this.tick(), 60_000);
    }
  }

  private syncProfilePolicies(groupNames: Map<number, string>): void {
    const policies = new Map<number, Map<number, CompanyPolicy>>();
    for (const row of this.options.repo.profilePolicies()) {
      const company = this.options.targets.company(row.companyKey);
      if (company === undefined) continue;
      let map = policies.get(row.groupId);
      if (map === undefined) policies.set(row.groupId, (map = new Map()));
      map.set(company.id, row.policy);
    }
    this.options.policy.setGroupCompanyPolicies(policies, groupNames);
  }

  private resolve(schedule: Schedule, groupNames: Map<number, string>) {
    const { targets } = this.options;
    const unknown: string[] = [];
    const names: string[] = [];
    const companyIds: number[] = [];
    const categoryIds: number[] = [];
    const appHosts: string[] = [];
    for (const key of schedule.apps) {
      const app = targets.app(key);
      if (app === undefined) unknown.push(key);
      else {
        names.push(app.name);
        appHosts.push(...app.hosts);
      }
    }
    for (const key of schedule.companies) {
      const company = targets.company(key);
      if (company === undefined) unknown.push(key);
      else {
        names.push(company.name);
        companyIds.push(company.id);
      }
    }
    for (const key of schedule.categories) {
      const category = targets.category(key);
      if (category === undefined) unknown.push(key);
      else {
        names.push(category.name);
        categoryIds.push(category.id);
      }
    }
    const owner =
      schedule.groupId !== null
        ? `${groupNames.get(schedule.groupId) ?? `Profile ${schedule.groupId}`} profile`
        : (this.options.deviceName(schedule.deviceId ?? 0) ?? `Device ${schedule.deviceId}`);
    const hours = schedule.start === schedule.end ? 'all day' : `${schedule.start}–${schedule.end}`;
    const when = `${hours} (${schedule.name}, ${describeDays(schedule.days)})`;
    const blocks = schedule.action === 'pause' ? '' : names.join(', ') || 'nothing known';
    const label =
      schedule.action === 'pause'
        ? `${owner}: blocking paused ${when}`
        : `${owner}: ${blocks} blocked ${when}`;
    const active: ActiveSchedule = {
      scheduleId: schedule.id,
      groupId: schedule.groupId,
      deviceId: schedule.deviceId,
      action: schedule.action,
      companyIds,
      categoryIds,
      appHosts,
      label,
    };
    const title =
      schedule.groupId !== null
        ? `the ${owner}'s schedule “${schedule.name}”`
        : `the schedule “${schedule.name}” of ${owner}`;
    return { label, title, blocks, unknown, active };
  }
}
