/**
 * The profile and schedule part of a backup (migration 0008): schedules, profile company policies and
 * the household's time zone. Kept beside backup-repo.ts, which calls these inside its one import
 * transaction, so a restore replaces them with the rest (groups and devices cascade to them anyway).
 * Absent from an older backup file: the import then leaves none (its groups are replaced too).
 */
import type { Db } from '../sqlite.js';
import type { BackupData } from './backup-file.js';
import { SchedulesRepo } from './schedules-repo.js';

/** Schedules, profile policies and the time zone (IANA name; null = the server's zone). */
export type ProfilesBackup = Pick<BackupData, 'schedules' | 'profilePolicies' | 'timeZone'>;

export function readProfilesBackup(db: Db): Required<ProfilesBackup> {
  const repo = new SchedulesRepo(db);
  return { schedules: repo.list(), profilePolicies: repo.profilePolicies(), timeZone: repo.timeZone() };
}

/**
 * Inside the caller's transaction, after groups and devices: throws naming the entry that is wrong. The
 * values were checked before the transaction (backup/check-backup.ts: schedules, time zone); what is left
 * to fail here is a reference to a profile or device the file does not have.
 */
export function writeProfilesBackup(db: Db, data: ProfilesBackup, now = Date.now()): void {
  db.prepare('DELETE FROM schedules').run();
  db.prepare('DELETE FROM group_company_policies').run();
  const repo = new SchedulesRepo(db);
  repo.setTimeZone(data.timeZone ?? null);
  const insert = db.prepare(
    `INSERT INTO schedules (id, name, group_id, device_id, days, start_minute, end_minute, action, targets, enabled, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  (data.schedules ?? []).forEach((schedule, index) => {
    let days = 0;
    for (const d of schedule.days) days |= 1 << d;
    const minute = (clock: string) => Number(clock.slice(0, 2)) * 60 + Number(clock.slice(3, 5));
    try {
      insert.run(
        schedule.id,
        schedule.name.trim(),
        schedule.groupId,
        schedule.deviceId,
        days,
        minute(schedule.start),
        minute(schedule.end),
        schedule.action,
        JSON.stringify({
          companies: schedule.companies,
          apps: schedule.apps,
          categories: schedule.categories,
        }),
        schedule.enabled ? 1 : 0,
        now,
      );
    } catch (error) {
      throw new Error(
        `schedules[${index}]: ${(error as Error).message} (its profile or device is not in the backup?)`,
        {
          cause: error,
        },
      );
    }
  });
  (data.profilePolicies ?? []).forEach((row, index) => {
    try {
      repo.setProfilePolicy(row.groupId, row.companyKey, row.policy, now);
    } catch (error) {
      throw new Error(`profilePolicies[${index}]: ${(error as Error).message}`, { cause: error });
    }
  });
}
