/**
 * The ClientID part of a backup (migration 0007, encrypted DNS): which device each ClientID names.
 * backup-repo.ts calls these inside its one import transaction, after the devices; absent from an older
 * backup file, the import leaves none (a device then comes back as new with its first encrypted query).
 */
import type { Db } from '../sqlite.js';
import type { BackupData } from './backup-file.js';
import { ClientIdsRepo } from './client-ids-repo.js';

export type ClientIdsBackup = Pick<BackupData, 'clientIds'>;

export function readClientIdsBackup(db: Db): Required<ClientIdsBackup> {
  return { clientIds: new ClientIdsRepo(db).all() };
}

/**
 * Inside the caller's transaction, after devices: throws naming the entry that is wrong. The ClientIDs
 * come checked and in their stored (lower-case) form, each once (backup/check-backup.ts).
 */
export function writeClientIdsBackup(db: Db, data: ClientIdsBackup): void {
  db.prepare('DELETE FROM device_client_ids').run();
  const repo = new ClientIdsRepo(db);
  (data.clientIds ?? []).forEach((row, index) => {
    const where = `clientIds[${index}]`;
    try {
      repo.assign(row.clientId, row.deviceId, row.createdAt);
    } catch (error) {
      throw new Error(
        `${where}: ${(error as Error).message} (its device ${row.deviceId} is not in the backup?)`,
        {
          cause: error,
        },
      );
    }
  });
}
