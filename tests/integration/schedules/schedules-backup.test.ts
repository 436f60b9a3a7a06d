/**
 * Schedules, profile company policies and the household time zone travel in the backup: exported from one
 * tracksink.db, imported into an empty one, the same; a bad entry is refused by name and changes nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BackupImportError,
  exportConfiguration,
  importConfiguration,
} from '../../../server/backup/backup-service.js';
import { BackupRepo } from '../../../server/store/repos/backup-repo.js';
import { SchedulesRepo } from '../../../server/store/repos/schedules-repo.js';
import { type Db, openConfigDb } from '../../../server/store/sqlite.js';

const dirs: string[] = [];
const dbs: Db[] = [];
function freshDb(): Db {
  const dir = mkdtempSync(join(tmpdir(), 'tracksink-sched-backup-'));
  dirs.push(dir);
  const db = openConfigDb(join(dir, 'tracksink.db'));
  dbs.push(db);
  return db;
}
afterEach(() => {
  for (const db of dbs.splice(0)) db.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('profiles and schedules in the backup', () => {
  it('round-trips into an empty database', () => {
    const source = freshDb();
    source.prepare("INSERT INTO groups (id, name, description) VALUES (4, 'Kids', '')").run();
    const repo = new SchedulesRepo(source);
    repo.setTimeZone('America/New_York');
    repo.setProfilePolicy(4, 'bytedance', 'block-everything', 1);
    const created = repo.create({
      name: 'School nights',
      groupId: 4,
      deviceId: null,
      days: [0, 1, 2, 3, 4],
      start: '21:00',
      end: '07:00',
      action: 'block',
      companies: [],
      apps: ['tiktok', 'youtube'],
      categories: [],
      enabled: true,
    });
    const file = exportConfiguration(new BackupRepo(source));
    expect(file.schedules).toHaveLength(1);
    expect(file.timeZone).toBe('America/New_York');

    const target = freshDb();
    importConfiguration(new BackupRepo(target), JSON.parse(JSON.stringify(file)));
    const restored = new SchedulesRepo(target);
    expect(restored.list()).toEqual([created]);
    expect(restored.profilePolicies()).toEqual([
      { groupId: 4, companyKey: 'bytedance', policy: 'block-everything' },
    ]);
    expect(restored.timeZone()).toBe('America/New_York');
  });

  it('refuses a schedule for a profile the backup does not have, or a bad time zone, and keeps what was there', () => {
    const target = freshDb();
    const repo = new SchedulesRepo(target);
    repo.setTimeZone('Europe/Berlin');
    const base = exportConfiguration(new BackupRepo(freshDb()));
    const orphan = {
      ...base,
      schedules: [
        {
          id: 1,
          name: 'Orphan',
          groupId: 9,
          deviceId: null,
          days: [1],
          start: '21:00',
          end: '07:00',
          action: 'pause',
          companies: [],
          apps: [],
          categories: [],
          enabled: true,
        },
      ],
    };
    expect(() => importConfiguration(new BackupRepo(target), orphan)).toThrow(/schedules\[0\]/);
    expect(() => importConfiguration(new BackupRepo(target), { ...base, timeZone: 'Mars/Olympus' })).toThrow(
      /timeZone: "Mars\/Olympus" is not a time zone/,
    );
    // A schedule's own fields and the time zone are checked before the transaction, as import problems
    // (the API answers 400 naming them), together in one message.
    const badSchedule = {
      ...orphan,
      schedules: [{ ...orphan.schedules[0]!, groupId: null, deviceId: null, action: 'block' }],
    };
    const refused = (() => {
      try {
        importConfiguration(new BackupRepo(target), { ...badSchedule, timeZone: 'Mars/Olympus' });
      } catch (error) {
        return error;
      }
      return null;
    })();
    expect(refused).toBeInstanceOf(BackupImportError);
    expect((refused as Error).message).toMatch(
      /schedules\[0\]\.groupId\/deviceId: .*schedules\[0\]\.companies\/apps\/categories: a blocking schedule needs.*timeZone: "Mars\/Olympus"/,
    );
    expect(repo.timeZone()).toBe('Europe/Berlin');
  });
});
