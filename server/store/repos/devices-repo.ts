/**
 * Devices and their addresses in tracksink.db. Only the device registry (devices/registry.ts) writes
 * here; it keeps the hot lookups in memory and batches last-seen updates.
 */
import type { QueryLogMode } from '../../config/schema.js';
import type { Db } from '../sqlite.js';
import { DeviceAliasesRepo, nextDeviceIdSql } from './device-aliases-repo.js';

export interface DeviceAddress {
  address: string;
  firstSeen: number;
  lastSeen: number;
}

export interface DeviceRecord {
  id: number;
  mac: string | null;
  macRandom: boolean;
  userName: string | null;
  autoName: string | null;
  nameSource: string | null;
  vendor: string | null;
  type: string;
  firstSeen: number;
  lastSeen: number;
  pausedUntil: number | null;
  privacy: QueryLogMode | null;
  /** Newest first: the first one is the current address. */
  addresses: DeviceAddress[];
}

interface DeviceRow {
  id: number;
  mac: string | null;
  mac_random: number;
  name: string | null;
  auto_name: string | null;
  name_source: string | null;
  vendor: string | null;
  type: string;
  first_seen: number;
  last_seen: number;
  paused_until: number | null;
  log_queries: QueryLogMode | null;
}

type TouchMany = (
  devices: Map<number, number>,
  addresses: Map<string, { deviceId: number; time: number }>,
) => void;

const DEVICE_COLUMNS =
  'id, mac, mac_random, name, auto_name, name_source, vendor, type, first_seen, last_seen, paused_until, log_queries';

export class DevicesRepo {
  private readonly aliases: DeviceAliasesRepo;

  constructor(private readonly db: Db) {
    this.aliases = new DeviceAliasesRepo(db);
  }

  all(): DeviceRecord[] {
    const rows = this.db.prepare(`SELECT ${DEVICE_COLUMNS} FROM devices ORDER BY id`).all() as DeviceRow[];
    const addresses = this.allAddresses();
    return rows.map((row) => toRecord(row, addresses.get(row.id) ?? []));
  }

  get(id: number): DeviceRecord | null {
    const row = this.db.prepare(`SELECT ${DEVICE_COLUMNS} FROM devices WHERE id = ?`).get(id) as
      DeviceRow | undefined;
    if (row === undefined) return null;
    const addresses = this.db
      .prepare(
        'SELECT address, first_seen AS firstSeen, last_seen AS lastSeen FROM device_addresses WHERE device_id = ? ORDER BY last_seen DESC, address',
      )
      .all(id) as DeviceAddress[];
    return toRecord(row, addresses);
  }

  create(input: { mac: string | null; macRandom: boolean; vendor: string | null; now: number }): number {
    return Number(
      this.db
        .prepare(
          `INSERT INTO devices (id, mac, mac_random, vendor, first_seen, last_seen)
           VALUES (${nextDeviceIdSql(this.db)}, ?, ?, ?, ?, ?)`,
        )
        .run(input.mac, input.macRandom ? 1 : 0, input.vendor, input.now, input.now).lastInsertRowid,
    );
  }

  setMac(id: number, mac: string, macRandom: boolean, vendor: string | null): void {
    this.db
      .prepare('UPDATE devices SET mac = ?, mac_random = ?, vendor = ? WHERE id = ?')
      .run(mac, macRandom ? 1 : 0, vendor, id);
  }

  setAutoName(id: number, name: string, source: string): void {
    this.db.prepare('UPDATE devices SET auto_name = ?, name_source = ? WHERE id = ?').run(name, source, id);
  }

  update(
    id: number,
    fields: {
      name?: string | null;
      type?: string;
      pausedUntil?: number | null;
      privacy?: QueryLogMode | null;
    },
  ): void {
    const sets: string[] = [];
    const params: Array<string | number | null> = [];
    if (fields.name !== undefined) {
      sets.push('name = ?');
      params.push(fields.name);
    }
    if (fields.type !== undefined) {
      sets.push('type = ?');
      params.push(fields.type);
    }
    if (fields.pausedUntil !== undefined) {
      sets.push('paused_until = ?');
      params.push(fields.pausedUntil);
    }
    if (fields.privacy !== undefined) {
      sets.push('log_queries = ?');
      params.push(fields.privacy);
    }
    if (sets.length === 0) return;
    this.db.prepare(`UPDATE devices SET ${sets.join(', ')} WHERE id = ?`).run(...params, id);
  }

  /** Records an address for a device (new, or seen again). */
  touchAddress(deviceId: number, address: string, now: number): void {
    this.db
      .prepare(
        `INSERT INTO device_addresses (device_id, address, first_seen, last_seen) VALUES (?, ?, ?, ?)
         ON CONFLICT (device_id, address) DO UPDATE SET last_seen = max(last_seen, excluded.last_seen)`,
      )
      .run(deviceId, address, now, now);
  }

  /**
   * Flushes batched last-seen times in one transaction. A device that is gone meanwhile (a replica's
   * import joined it into another) is skipped, not an error that loses the others' times.
   */
  touchMany(devices: Map<number, number>, addresses: Map<string, { deviceId: number; time: number }>): void {
    this.touchManyTransaction ??= this.prepareTouchMany();
    this.touchManyTransaction(devices, addresses);
  }

  /**
   * The flush runs on the DNS thread every 10 s: its statements and transaction are prepared once, on the
   * first flush, not each time (preparing them was half of the flush's time).
   */
  private touchManyTransaction: TouchMany | undefined;

  private prepareTouchMany(): TouchMany {
    const touchDevice = this.db.prepare('UPDATE devices SET last_seen = max(last_seen, ?) WHERE id = ?');
    const touchAddress = this.db.prepare(
      `INSERT INTO device_addresses (device_id, address, first_seen, last_seen)
       SELECT id, ?, ?, ? FROM devices WHERE id = ?
       ON CONFLICT (device_id, address) DO UPDATE SET last_seen = max(last_seen, excluded.last_seen)`,
    );
    return this.db.transaction((devices, addresses) => {
      for (const [id, time] of devices) touchDevice.run(time, id);
      for (const [address, { deviceId, time }] of addresses) touchAddress.run(address, time, time, deviceId);
    });
  }

  /**
   * Folds device `fromId` into `intoId` (an IP-only device turned out to be a known MAC): addresses,
   * groups, rules and list assignments move over, the user's name is kept if the target has none,
   * `fromId` becomes an alias of `intoId` (old links and log rows find it) and is deleted.
   */
  merge(fromId: number, intoId: number, now = Date.now()): void {
    this.db.transaction(() => {
      const from = this.db
        .prepare('SELECT name, type, first_seen, last_seen FROM devices WHERE id = ?')
        .get(fromId) as
        { name: string | null; type: string; first_seen: number; last_seen: number } | undefined;
      if (from === undefined) return;
      this.db
        .prepare(
          `UPDATE devices SET name = coalesce(name, ?), type = CASE WHEN type = 'unknown' THEN ? ELSE type END,
             first_seen = min(first_seen, ?), last_seen = max(last_seen, ?) WHERE id = ?`,
        )
        .run(from.name, from.type, from.first_seen, from.last_seen, intoId);
      this.db
        .prepare(
          `INSERT INTO device_addresses (device_id, address, first_seen, last_seen)
           SELECT ?, address, first_seen, last_seen FROM device_addresses WHERE device_id = ?
           ON CONFLICT (device_id, address) DO UPDATE SET first_seen = min(first_seen, excluded.first_seen),
             last_seen = max(last_seen, excluded.last_seen)`,
        )
        .run(intoId, fromId);
      this.db
        .prepare(
          'INSERT OR IGNORE INTO device_groups (device_id, group_id) SELECT ?, group_id FROM device_groups WHERE device_id = ?',
        )
        .run(intoId, fromId);
      this.db.prepare('UPDATE rules SET device_id = ? WHERE device_id = ?').run(intoId, fromId);
      this.db.prepare('UPDATE device_client_ids SET device_id = ? WHERE device_id = ?').run(intoId, fromId);
      this.db
        .prepare('UPDATE OR IGNORE list_assignments SET device_id = ? WHERE device_id = ?')
        .run(intoId, fromId);
      this.aliases.recordMerge(fromId, intoId, now);
      this.db.prepare('DELETE FROM devices WHERE id = ?').run(fromId);
    })();
  }

  private allAddresses(): Map<number, DeviceAddress[]> {
    const rows = this.db
      .prepare(
        'SELECT device_id AS deviceId, address, first_seen AS firstSeen, last_seen AS lastSeen FROM device_addresses ORDER BY device_id, last_seen DESC, address',
      )
      .all() as Array<DeviceAddress & { deviceId: number }>;
    const map = new Map<number, DeviceAddress[]>();
    for (const { deviceId, ...address } of rows) {
      const list = map.get(deviceId);
      if (list === undefined) map.set(deviceId, [address]);
      else list.push(address);
    }
    return map;
  }
}

function toRecord(row: DeviceRow, addresses: DeviceAddress[]): DeviceRecord {
  return {
    id: row.id,
    mac: row.mac,
    macRandom: row.mac_random === 1,
    userName: row.name,
    autoName: row.auto_name,
    nameSource: row.name_source,
    vendor: row.vendor,
    type: row.type,
    firstSeen: row.first_seen,
    lastSeen: row.last_seen,
    pausedUntil: row.paused_until,
    privacy: row.log_queries,
    addresses,
  };
}
