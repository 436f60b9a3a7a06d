/**
 * Merged device ids (config migration 0010): old id → the device it was merged into. Written inside the
 * merge's transaction (devices-repo.ts), read by the device registry, which keeps them in memory.
 */
import type { Db } from '../sqlite.js';

/**
 * The id for a new device: above every live and every merged id. SQLite would otherwise reuse the id of
 * a deleted newest row, and a merged ghost device is usually the newest: its old query-log rows and
 * links would then name a stranger.
 */
export const NEXT_DEVICE_ID_SQL = `(SELECT max(coalesce((SELECT max(id) FROM devices), 0),
  coalesce((SELECT max(old_id) FROM device_aliases), 0)) + 1)`;

/** Size of a replica's block of device ids (useDeviceIdBlock). */
export const DEVICE_ID_BLOCK = 1 << 20;
const deviceIdBlocks = new WeakMap<Db, { first: number; last: number }>();

/**
 * Replicas sharing PostgreSQL (issue 18) number new devices in their own block, replica n (its id in
 * PostgreSQL's `replicas`) from n·2^20 to (n+1)·2^20 − 1: two replicas that meet new devices at the same
 * moment never give one number to two devices, and no replica waits on the database to number one.
 * Devices numbered before (below 2^20) keep their numbers. False when n has no block (n ≥ 2048).
 */
export function useDeviceIdBlock(db: Db, replicaNumber: number): boolean {
  if (!Number.isInteger(replicaNumber) || replicaNumber < 1 || replicaNumber >= 2048) return false;
  const first = replicaNumber * DEVICE_ID_BLOCK;
  deviceIdBlocks.set(db, { first, last: first + DEVICE_ID_BLOCK - 1 });
  return true;
}

/** NEXT_DEVICE_ID_SQL, within this database's block when it has one. */
export function nextDeviceIdSql(db: Db): string {
  const block = deviceIdBlocks.get(db);
  if (block === undefined) return NEXT_DEVICE_ID_SQL;
  const within = (column: string, table: string): string =>
    `coalesce((SELECT max(${column}) FROM ${table} WHERE ${column} BETWEEN ${block.first} AND ${block.last}), ${block.first - 1})`;
  return `(SELECT max(${within('id', 'devices')}, ${within('old_id', 'device_aliases')}) + 1)`;
}

export class DeviceAliasesRepo {
  constructor(private readonly db: Db) {}

  /** old id → current device id. */
  all(): Map<number, number> {
    const rows = this.db
      .prepare('SELECT old_id AS oldId, device_id AS deviceId FROM device_aliases')
      .all() as Array<{ oldId: number; deviceId: number }>;
    return new Map(rows.map((row) => [row.oldId, row.deviceId]));
  }

  /**
   * Records that `fromId` became `intoId`, and moves the aliases that pointed at `fromId` along (no chains
   * to follow). Call inside the merge's transaction, before `fromId` is deleted (its aliases cascade).
   */
  recordMerge(fromId: number, intoId: number, now: number): void {
    this.db.prepare('UPDATE device_aliases SET device_id = ? WHERE device_id = ?').run(intoId, fromId);
    this.db
      .prepare(
        `INSERT INTO device_aliases (old_id, device_id, merged_at) VALUES (?, ?, ?)
         ON CONFLICT (old_id) DO UPDATE SET device_id = excluded.device_id, merged_at = excluded.merged_at`,
      )
      .run(fromId, intoId, now);
  }
}
