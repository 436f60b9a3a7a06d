/**
 * The repositories over tracksink.db that the API works with, made once from the open database: the API
 * reaches the configuration through these, never through the database handle (only store/ holds SQL).
 */
import { AuthRepo } from './repos/auth-repo.js';
import { BackupRepo } from './repos/backup-repo.js';
import { DevicesRepo } from './repos/devices-repo.js';
import { GroupsRepo } from './repos/groups-repo.js';
import { PrivacyReportRepo } from './repos/privacy-report-repo.js';
import { RulesRepo } from './repos/rules-repo.js';
import { SchedulesRepo } from './repos/schedules-repo.js';
import { SettingsRepo } from './repos/settings-repo.js';
import type { Db } from './sqlite.js';

export function configRepos(db: Db) {
  return {
    auth: new AuthRepo(db),
    backup: new BackupRepo(db),
    devices: new DevicesRepo(db),
    groups: new GroupsRepo(db),
    privacyReports: new PrivacyReportRepo(db),
    rules: new RulesRepo(db),
    schedules: new SchedulesRepo(db),
    settings: new SettingsRepo(db),
  };
}

export type ConfigRepos = ReturnType<typeof configRepos>;
