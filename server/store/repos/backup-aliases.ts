/**
 * The merged-device part of a backup (migration 0010): each merged device id and the device it became, so
 * old query-log rows and links still find their device after a restore, and replicas (which share the
 * configuration as this document) all fold a merged id's counts into the device it became. backup-repo.ts
 * calls these inside its one import transaction, after the devices; absent from an older backup file,
 * the import leaves none (deleting the devices removed them).
 */
import type { Db } from '../sqlite.js';
import type { BackupData } from './backup-file.js';

export type DeviceAliasesBackup = Pick<BackupData, 'deviceAliases'>;

export function readDeviceAliasesBackup(db: Db): Required<DeviceAliasesBackup> {
  const rows = db
    .prepare(
      'SELECT old_id AS oldId, device_id AS deviceId, merged_at AS mergedAt FROM device_aliases ORDER BY old_id',
    )
    .all() as Required<DeviceAliasesBackup>['deviceAliases'];
  return { deviceAliases: rows };
}

/** Inside the caller's transaction, after devices: throws naming the entry that is wrong. */
export function writeDeviceAliasesBackup(db: Db, data: DeviceAliasesBackup): void {
  db.prepare('DELETE FROM device_aliases').run();
  const add = db.prepare('INSERT INTO device_aliases (old_id, device_id, merged_at) VALUES (?, ?, ?)');
  const deviceExists = db.prepare('SELECT 1 FROM devices WHERE id = ?');
  (data.deviceAliases ?? []).forEach((row, index) => {
    const where = `deviceAliases[${index}]`;
    if (deviceExists.get(row.deviceId) === undefined)
      throw new Error(`${where}.deviceId: there is no device ${row.deviceId} in the backup`);
    if (deviceExists.get(row.oldId) !== undefined)
      throw new Error(`${where}.oldId: device ${row.oldId} is in the backup, so it cannot be merged`);
    try {
      add.run(row.oldId, row.deviceId, row.mergedAt);
    } catch (error) {
      throw new Error(`${where}: ${(error as Error).message} (merged id ${row.oldId} twice?)`, {
        cause: error,
      });
    }
  });
}
