/**
 * ClientIDs of devices (encrypted DNS, see devices/client-ids.ts) in tracksink.db. Only the ClientID
 * directory (devices/client-id-directory.ts) writes here; it keeps the hot lookup in memory.
 */
import type { Db } from '../sqlite.js';
import { nextDeviceIdSql } from './device-aliases-repo.js';

export interface ClientIdRecord {
  clientId: string;
  deviceId: number;
  createdAt: number;
}

export class ClientIdsRepo {
  constructor(private readonly db: Db) {}

  all(): ClientIdRecord[] {
    return this.db
      .prepare(
        'SELECT client_id AS clientId, device_id AS deviceId, created_at AS createdAt FROM device_client_ids ORDER BY device_id, client_id',
      )
      .all() as ClientIdRecord[];
  }

  /** A new device named after its ClientID (the automatic name; the user's name still wins), in one step. */
  createDevice(clientId: string, now: number): number {
    return this.db.transaction(() => {
      const id = Number(
        this.db
          .prepare(
            `INSERT INTO devices (id, mac, mac_random, vendor, first_seen, last_seen, auto_name, name_source)
             VALUES (${nextDeviceIdSql(this.db)}, NULL, 0, NULL, ?, ?, ?, 'client-id')`,
          )
          .run(now, now, clientId).lastInsertRowid,
      );
      this.insert(clientId, id, now);
      return id;
    })();
  }

  /** Points a ClientID at a device (moving it from another device if it named one). */
  assign(clientId: string, deviceId: number, now: number): void {
    this.db
      .prepare(
        `INSERT INTO device_client_ids (client_id, device_id, created_at) VALUES (?, ?, ?)
         ON CONFLICT (client_id) DO UPDATE SET device_id = excluded.device_id`,
      )
      .run(clientId, deviceId, now);
  }

  /** Returns false when the ClientID named no device. */
  remove(clientId: string): boolean {
    return this.db.prepare('DELETE FROM device_client_ids WHERE client_id = ?').run(clientId).changes > 0;
  }

  private insert(clientId: string, deviceId: number, now: number): void {
    this.db
      .prepare('INSERT INTO device_client_ids (client_id, device_id, created_at) VALUES (?, ?, ?)')
      .run(clientId, deviceId, now);
  }
}
