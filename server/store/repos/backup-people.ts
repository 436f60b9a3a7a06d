/**
 * The people part of a backup (migration 0011): each person with their profile and devices. backup-repo.ts
 * calls these inside its one import transaction, after groups and devices; absent from an older backup
 * file, the import leaves nobody (devices and groups were replaced, so old people would point at nothing).
 * "Not the same device" answers are not kept: they name devices of one machine's history.
 */
import type { Db } from '../sqlite.js';
import type { BackupData } from './backup-file.js';
import { PeopleRepo } from './people-repo.js';

export type PeopleBackup = Pick<BackupData, 'people'>;

export function readPeopleBackup(db: Db): Required<PeopleBackup> {
  return { people: new PeopleRepo(db).list() };
}

/** Inside the caller's transaction, after groups and devices: throws naming the entry that is wrong. */
export function writePeopleBackup(db: Db, data: PeopleBackup): void {
  db.prepare('DELETE FROM rejoin_dismissals').run();
  db.prepare('DELETE FROM people').run(); // their person_devices rows go with them
  const addPerson = db.prepare('INSERT INTO people (id, name, group_id, created_at) VALUES (?, ?, ?, ?)');
  const addDevice = db.prepare('INSERT INTO person_devices (device_id, person_id) VALUES (?, ?)');
  const groupExists = db.prepare('SELECT 1 FROM groups WHERE id = ?');
  const deviceExists = db.prepare('SELECT 1 FROM devices WHERE id = ?');
  const owners = new Map<number, number>();
  (data.people ?? []).forEach((person, index) => {
    const where = `people[${index}]`;
    const name = person.name.trim();
    if (name === '') throw new Error(`${where}.name: must not be blank`);
    if (person.groupId !== null && groupExists.get(person.groupId) === undefined)
      throw new Error(`${where}.groupId: there is no group ${person.groupId} in the backup`);
    try {
      addPerson.run(person.id, name, person.groupId, person.createdAt);
    } catch (error) {
      throw new Error(`${where}: ${(error as Error).message} (a person with this id or name twice?)`, {
        cause: error,
      });
    }
    person.deviceIds.forEach((deviceId, i) => {
      if (deviceExists.get(deviceId) === undefined)
        throw new Error(`${where}.deviceIds[${i}]: there is no device ${deviceId} in the backup`);
      const owner = owners.get(deviceId);
      if (owner !== undefined)
        throw new Error(`${where}.deviceIds[${i}]: device ${deviceId} already belongs to person ${owner}`);
      owners.set(deviceId, person.id);
      addDevice.run(deviceId, person.id);
    });
  });
}
