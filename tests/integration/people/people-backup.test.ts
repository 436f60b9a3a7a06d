/**
 * People travel with a configuration backup (real SQLite files): exported with their profile and devices,
 * imported into an empty data directory as they were; a file whose person names a device or profile the
 * backup does not have is refused whole, naming the entry, and nothing changes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exportConfiguration, importConfiguration } from '../../../server/backup/backup-service.js';
import { BackupRepo } from '../../../server/store/repos/backup-repo.js';
import { DevicesRepo } from '../../../server/store/repos/devices-repo.js';
import { GroupsRepo } from '../../../server/store/repos/groups-repo.js';
import { PeopleRepo } from '../../../server/store/repos/people-repo.js';
import { openConfigDb } from '../../../server/store/sqlite.js';

const dir = mkdtempSync(join(tmpdir(), 'tracksink-people-backup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('people in a backup', () => {
  const source = openConfigDb(join(dir, 'source.db'));
  const devices = new DevicesRepo(source);
  const phone = devices.create({ mac: 'da:a1:19:00:00:01', macRandom: true, vendor: null, now: 1 });
  const laptop = devices.create({ mac: '00:1b:21:aa:bb:cc', macRandom: false, vendor: null, now: 2 });
  const kids = new GroupsRepo(source).create({ name: 'Kids' });
  const people = new PeopleRepo(source);
  const sam = people.create({ name: 'Sam', groupId: kids.id, now: 3 });
  people.setDevices(sam, [phone, laptop]);
  people.create({ name: 'Grandpa', groupId: null, now: 4 });

  it('round-trips into an empty database, and the profile applies there as it did', () => {
    const file = exportConfiguration(new BackupRepo(source));
    expect(file.people).toEqual([
      { id: 2, name: 'Grandpa', groupId: null, createdAt: 4, deviceIds: [] },
      { id: sam, name: 'Sam', groupId: kids.id, createdAt: 3, deviceIds: [phone, laptop] },
    ]);
    const target = openConfigDb(join(dir, 'target.db'));
    importConfiguration(new BackupRepo(target), JSON.parse(JSON.stringify(file)));
    expect(new PeopleRepo(target).list()).toEqual(people.list());
    expect(new GroupsRepo(target).memberships(true).get(phone)).toEqual([kids.id]);
    target.close();
  });

  it('refuses a person naming a device or profile the backup lacks, keeping what was there', () => {
    const target = openConfigDb(join(dir, 'refuse.db'));
    const keep = new PeopleRepo(target).create({ name: 'Already here', groupId: null, now: 5 });
    const file = exportConfiguration(new BackupRepo(source));
    const noDevice = structuredClone(file);
    noDevice.people![1]!.deviceIds = [phone, 99];
    expect(() => importConfiguration(new BackupRepo(target), noDevice)).toThrow(
      /people\[1\]\.deviceIds\[1\]: there is no device 99 in the backup/,
    );
    const noGroup = structuredClone(file);
    noGroup.people![0]!.groupId = 42;
    expect(() => importConfiguration(new BackupRepo(target), noGroup)).toThrow(
      /people\[0\]\.groupId: there is no group 42 in the backup/,
    );
    const extra = structuredClone(file) as unknown as { people: Array<Record<string, unknown>> };
    extra.people[0]!.colour = 'red';
    expect(() => importConfiguration(new BackupRepo(target), extra)).toThrow(/people.*colour/);
    expect(new PeopleRepo(target).list().map((p) => p.id)).toEqual([keep]);
    target.close();
  });
});
