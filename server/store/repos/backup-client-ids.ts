/**
 * The ClientID part of a backup (migration 0007, encrypted DNS): which device each ClientID names.
 * backup-repo.ts calls these inside its one import transaction, after the devices; absent from an older
 * backup file, the import leaves none (a device then comes back as new with its first encrypted query).
 */
import { parseClientId } from '../../devices/client-ids.js';
import type { Db } from '../sqlite.js';
import { type ClientIdRecord, ClientIdsRepo } from './client-ids-repo.js';

export interface ClientIdsBackup {
  clientIds?: ClientIdRecord[];
}

export function readClientIdsBackup(db: Db): Required<ClientIdsBackup> {
  return { clientIds: new ClientIdsRepo(db).all() };
}

/** Inside the caller's transaction, after devices: throws naming the entry that is wrong. */
export function writeClientIdsBackup(db: Db, data: ClientIdsBackup): void {
  db.prepare('DELETE FROM device_client_ids').run();
  const repo = new ClientIdsRepo(db);
  const seen = new Set<string>();
  (data.clientIds ?? []).forEach((row, index) => {
    const where = `clientIds[${index}]`;
    let clientId: string;
    try {
      clientId = parseClientId(row.clientId);
    } catch (error) {
      throw new Error(`${where}.clientId: ${(error as Error).message}`, { cause: error });
    }
    if (seen.has(clientId)) throw new Error(`${where}.clientId: "${clientId}" appears twice`);
    seen.add(clientId);
    try {
      repo.assign(clientId, row.deviceId, row.createdAt);
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
