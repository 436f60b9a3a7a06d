/**
 * Schedules, profile (group) company policies and the household's time zone, in tracksink.db
 * (migration 0008). Checks every field before writing and names the one that is wrong.
 */
import { COMPANY_POLICIES, type CompanyPolicy } from '../../filter/profile-state.js';
import {
  type Schedule,
  type ScheduleInput,
  scheduleProblems,
  parseClock,
} from '../../filter/schedule-types.js';
import type { Db } from '../sqlite.js';

export class ScheduleError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join('; '));
    this.name = 'ScheduleError';
  }
}

export class ScheduleNotFoundError extends Error {
  constructor(id: number) {
    super(`schedule ${id} does not exist`);
    this.name = 'ScheduleNotFoundError';
  }
}

interface ScheduleRow {
  id: number;
  name: string;
  group_id: number | null;
  device_id: number | null;
  days: number;
  start_minute: number;
  end_minute: number;
  action: string;
  targets: string;
  enabled: number;
}

export interface ProfilePolicyRow {
  groupId: number;
  companyKey: string;
  policy: CompanyPolicy;
}

const clock = (minute: number) =>
  `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function fromRow(row: ScheduleRow): Schedule {
  let targets: Record<string, unknown> = {};
  try {
    targets = JSON.parse(row.targets) as Record<string, unknown>;
  } catch {
    // A damaged targets column blocks nothing rather than stopping every schedule.
  }
  const days: number[] = [];
  for (let d = 0; d < 7; d++) if ((row.days & (1 << d)) !== 0) days.push(d);
  return {
    id: row.id,
    name: row.name,
    groupId: row.group_id,
    deviceId: row.device_id,
    days,
    start: clock(row.start_minute),
    end: clock(row.end_minute),
    action: row.action === 'pause' ? 'pause' : 'block',
    companies: strings(targets.companies),
    apps: strings(targets.apps),
    categories: strings(targets.categories),
    enabled: row.enabled !== 0,
  };
}

export class SchedulesRepo {
  constructor(private readonly db: Db) {}

  list(): Schedule[] {
    return (this.db.prepare('SELECT * FROM schedules ORDER BY id').all() as ScheduleRow[]).map(fromRow);
  }

  get(id: number): Schedule | null {
    const row = this.db.prepare('SELECT * FROM schedules WHERE id = ?').get(id) as ScheduleRow | undefined;
    return row === undefined ? null : fromRow(row);
  }

  create(input: ScheduleInput, now = Date.now()): Schedule {
    const values = this.check(input);
    const id = Number(
      this.db
        .prepare(
          `INSERT INTO schedules (name, group_id, device_id, days, start_minute, end_minute, action, targets, enabled, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(...values, now).lastInsertRowid,
    );
    return this.get(id)!;
  }

  update(id: number, patch: Partial<ScheduleInput>): Schedule {
    const current = this.get(id);
    if (current === null) throw new ScheduleNotFoundError(id);
    const { id: _id, ...rest } = current;
    const values = this.check({ ...rest, ...patch });
    this.db
      .prepare(
        `UPDATE schedules SET name = ?, group_id = ?, device_id = ?, days = ?, start_minute = ?, end_minute = ?,
           action = ?, targets = ?, enabled = ? WHERE id = ?`,
      )
      .run(...values, id);
    return this.get(id)!;
  }

  delete(id: number): void {
    if (this.db.prepare('DELETE FROM schedules WHERE id = ?').run(id).changes === 0)
      throw new ScheduleNotFoundError(id);
  }

  private check(input: ScheduleInput) {
    const problems = scheduleProblems(input);
    if (
      input.groupId !== null &&
      this.db.prepare('SELECT 1 FROM groups WHERE id = ?').get(input.groupId) === undefined
    )
      problems.push(`groupId: there is no profile ${input.groupId}`);
    if (
      input.deviceId !== null &&
      this.db.prepare('SELECT 1 FROM devices WHERE id = ?').get(input.deviceId) === undefined
    )
      problems.push(`deviceId: there is no device ${input.deviceId}`);
    if (problems.length > 0) throw new ScheduleError(problems);
    let days = 0;
    for (const d of input.days) days |= 1 << d;
    return [
      input.name.trim(),
      input.groupId,
      input.deviceId,
      days,
      parseClock(input.start)!,
      parseClock(input.end)!,
      input.action,
      JSON.stringify({ companies: input.companies, apps: input.apps, categories: input.categories }),
      input.enabled ? 1 : 0,
    ] as const;
  }

  /** The household's time zone as saved (null: the server's). */
  timeZone(): string | null {
    const row = this.db.prepare('SELECT time_zone FROM household_settings WHERE id = 1').get() as
      { time_zone: string | null } | undefined;
    return row?.time_zone ?? null;
  }

  setTimeZone(timeZone: string | null): void {
    this.db
      .prepare(
        'INSERT INTO household_settings (id, time_zone) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET time_zone = excluded.time_zone',
      )
      .run(timeZone);
  }

  profilePolicies(groupId?: number): ProfilePolicyRow[] {
    const sql =
      'SELECT group_id AS groupId, company_key AS companyKey, policy FROM group_company_policies' +
      (groupId === undefined ? '' : ' WHERE group_id = ?') +
      ' ORDER BY group_id, company_key';
    const statement = this.db.prepare(sql);
    return (groupId === undefined ? statement.all() : statement.all(groupId)) as ProfilePolicyRow[];
  }

  /** Sets a profile's policy for a company; null removes it (the household's policy applies again). */
  setProfilePolicy(
    groupId: number,
    companyKey: string,
    policy: CompanyPolicy | null,
    now = Date.now(),
  ): void {
    if (policy === null) {
      this.db
        .prepare('DELETE FROM group_company_policies WHERE group_id = ? AND company_key = ?')
        .run(groupId, companyKey);
      return;
    }
    if (!(COMPANY_POLICIES as readonly unknown[]).includes(policy))
      throw new TypeError(
        `policy must be one of ${COMPANY_POLICIES.join(', ')}, got ${JSON.stringify(policy)}`,
      );
    if (this.db.prepare('SELECT 1 FROM groups WHERE id = ?').get(groupId) === undefined)
      throw new Error(`there is no profile ${groupId}`);
    this.db
      .prepare(
        `INSERT INTO group_company_policies (group_id, company_key, policy, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (group_id, company_key) DO UPDATE SET policy = excluded.policy, updated_at = excluded.updated_at`,
      )
      .run(groupId, companyKey, policy, now);
  }
}
