/**
 * What profiles (device groups) and schedules add to the policy, flattened per device so that decide()
 * reads one map entry and allocates nothing: per-group company policies, and the schedules in force now.
 * Rebuilt whole, off the hot path, when memberships, profile policies or the schedules in force change
 * (the schedule timer swaps in a new set at each boundary: server/schedules/schedule-runner.ts).
 */
import type { ScheduleAction } from './schedule-types.js';
import type { AttributionResult } from '../trackers/attribution.js';
import { SuffixIndex } from '../trackers/suffix-index.js';

/** How a company's names are treated, per household or profile: the one list the store and the API use. */
export const COMPANY_POLICIES = ['block-tracking', 'block-everything', 'allow'] as const;
export type CompanyPolicy = (typeof COMPANY_POLICIES)[number];

/** A schedule in force right now, as the schedule timer hands it over. */
export interface ActiveSchedule {
  scheduleId: number;
  groupId: number | null;
  deviceId: number | null;
  action: ScheduleAction;
  companyIds: readonly number[];
  categoryIds: readonly number[];
  /** The app catalog's host names of the scheduled apps (each covers its subdomains). */
  appHosts: readonly string[];
  /** For people: "Kids profile: TikTok blocked 21:00–07:00 (school nights)". */
  label: string;
}

/** One blocking schedule in force, compiled for look-ups. */
export class ScheduledBlock {
  private readonly companies: ReadonlySet<number>;
  private readonly categories: ReadonlySet<number>;
  private readonly apps: SuffixIndex | null;
  readonly scheduleId: number;
  readonly label: string;

  constructor(active: ActiveSchedule) {
    this.scheduleId = active.scheduleId;
    this.label = active.label;
    this.companies = new Set(active.companyIds);
    this.categories = new Set(active.categoryIds);
    this.apps =
      active.appHosts.length > 0 ? new SuffixIndex(active.appHosts.map((host) => [host, 1] as const)) : null;
  }

  /** Does it block `name` (attributed as `attr`)? Never allocates. */
  blocks(name: string, attr: AttributionResult): boolean {
    return (
      (attr.companyId !== 0 && this.companies.has(attr.companyId)) ||
      (attr.categoryId !== 0 && this.categories.has(attr.categoryId)) ||
      (this.apps !== null && this.apps.lookup(name) >= 0)
    );
  }
}

interface DeviceSchedules {
  blocks: ScheduledBlock[];
  /** A pausing schedule in force for the device (its id), else 0. */
  pauseScheduleId: number;
  pauseLabel: string;
}

const STRICTNESS: Record<CompanyPolicy, number> = { allow: 0, 'block-tracking': 1, 'block-everything': 2 };

export class ProfileState {
  /** device → company → the policy of its profiles (the strictest when two profiles disagree). */
  readonly companyPolicies = new Map<number, Map<number, CompanyPolicy>>();
  /** device → company → the group whose policy that is. */
  private readonly policyGroups = new Map<number, Map<number, number>>();
  private readonly schedules = new Map<number, DeviceSchedules>();

  constructor(
    deviceGroups: ReadonlyMap<number, readonly number[]>,
    groupPolicies: ReadonlyMap<number, ReadonlyMap<number, CompanyPolicy>>,
    active: readonly ActiveSchedule[],
  ) {
    const membersOf = new Map<number, number[]>();
    for (const [deviceId, groups] of deviceGroups)
      for (const groupId of groups) membersOf.set(groupId, [...(membersOf.get(groupId) ?? []), deviceId]);

    for (const [deviceId, groups] of deviceGroups) {
      for (const groupId of groups) {
        for (const [companyId, policy] of groupPolicies.get(groupId) ?? []) {
          let map = this.companyPolicies.get(deviceId);
          if (map === undefined) this.companyPolicies.set(deviceId, (map = new Map()));
          const current = map.get(companyId);
          if (current === undefined || STRICTNESS[policy] > STRICTNESS[current]) {
            map.set(companyId, policy);
            let sources = this.policyGroups.get(deviceId);
            if (sources === undefined) this.policyGroups.set(deviceId, (sources = new Map()));
            sources.set(companyId, groupId);
          }
        }
      }
    }

    for (const schedule of active) {
      const devices =
        schedule.deviceId !== null ? [schedule.deviceId] : (membersOf.get(schedule.groupId ?? -1) ?? []);
      const block = schedule.action === 'block' ? new ScheduledBlock(schedule) : null;
      for (const deviceId of devices) {
        let entry = this.schedules.get(deviceId);
        if (entry === undefined)
          this.schedules.set(deviceId, (entry = { blocks: [], pauseScheduleId: 0, pauseLabel: '' }));
        if (block !== null) entry.blocks.push(block);
        else if (entry.pauseScheduleId === 0) {
          entry.pauseScheduleId = schedule.scheduleId;
          entry.pauseLabel = schedule.label;
        }
      }
    }
  }

  get empty(): boolean {
    return this.companyPolicies.size === 0 && this.schedules.size === 0;
  }

  /** The profile policy for a device and company, if one of its profiles sets one. */
  companyPolicy(deviceId: number, companyId: number): CompanyPolicy | undefined {
    return this.companyPolicies.size > 0 ? this.companyPolicies.get(deviceId)?.get(companyId) : undefined;
  }

  /** Which profile (group id) sets the company policy in force for this device, or null. */
  policyGroup(deviceId: number, companyId: number): number | null {
    return this.policyGroups.get(deviceId)?.get(companyId) ?? null;
  }

  /** The schedule blocking `name` for the device right now, or null. Never allocates. */
  scheduledBlock(deviceId: number, name: string, attr: AttributionResult): ScheduledBlock | null {
    if (this.schedules.size === 0) return null;
    const entry = this.schedules.get(deviceId);
    if (entry === undefined) return null;
    const blocks = entry.blocks;
    for (let i = 0; i < blocks.length; i++) if (blocks[i]!.blocks(name, attr)) return blocks[i]!;
    return null;
  }

  /** The id of a schedule pausing blocking for the device now, else 0. */
  pausedBy(deviceId: number): number {
    if (this.schedules.size === 0) return 0;
    return this.schedules.get(deviceId)?.pauseScheduleId ?? 0;
  }

  pauseLabel(deviceId: number): string {
    return this.schedules.get(deviceId)?.pauseLabel ?? '';
  }
}
