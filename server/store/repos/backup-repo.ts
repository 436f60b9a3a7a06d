/**
 * Reads and replaces the whole user configuration of tracksink.db in one go, for backup and restore
 * (API export/import and `npm run backup`). Sessions and the password are never part of it.
 *
 * Import is all-or-nothing: one transaction deletes the configuration tables and inserts the file's rows;
 * any failure (a foreign key, a duplicate) rolls everything back and the database is as it was.
 * Columns that other migrations add to `devices` travel in `extra` and are restored when the target has
 * them, so a backup keeps what this code does not know about.
 */
import type { Db } from '../sqlite.js';
import { readDeviceAliasesBackup, writeDeviceAliasesBackup } from './backup-aliases.js';
import { readClientIdsBackup, writeClientIdsBackup } from './backup-client-ids.js';
import type { BackupData } from './backup-file.js';
import { readPeopleBackup, writePeopleBackup } from './backup-people.js';
import { readProfilesBackup, writeProfilesBackup } from './backup-profiles.js';
import { RulesRepo } from './rules-repo.js';

export type { BackupData };

const DEVICE_KNOWN_COLUMNS = new Set([
  'id',
  'mac',
  'mac_random',
  'name',
  'auto_name',
  'vendor',
  'type',
  'first_seen',
  'last_seen',
  'paused_until',
]);

/**
 * Settings keys that are momentary state, not configuration: neither exported nor replaced by an import
 * (a pause in force on one machine means nothing on another). Other `state.` keys, such as "the default
 * lists were applied once", travel with the backup so a restore does not resubscribe removed lists.
 */
const TRANSIENT_PREFIX = 'state.pause.';

function columnsOf(db: Db, table: string): string[] {
  return (db.prepare(`PRAGMA table_info(${table})`).all() as Array<{ name: string }>).map((row) => row.name);
}

export function readBackup(db: Db): BackupData {
  const read = db.transaction((): BackupData => {
    const settings: Record<string, unknown> = {};
    for (const row of db.prepare('SELECT key, value FROM settings ORDER BY key').all() as Array<{
      key: string;
      value: string;
    }>) {
      if (!row.key.startsWith(TRANSIENT_PREFIX)) settings[row.key] = JSON.parse(row.value) as unknown;
    }
    const groups = db
      .prepare('SELECT id, name, description FROM groups ORDER BY id')
      .all() as BackupData['groups'];

    const addresses = new Map<number, BackupData['devices'][number]['addresses']>();
    for (const row of db
      .prepare(
        'SELECT device_id AS deviceId, address, first_seen AS firstSeen, last_seen AS lastSeen FROM device_addresses ORDER BY device_id, address',
      )
      .all() as Array<{ deviceId: number; address: string; firstSeen: number; lastSeen: number }>) {
      const list = addresses.get(row.deviceId) ?? [];
      list.push({ address: row.address, firstSeen: row.firstSeen, lastSeen: row.lastSeen });
      addresses.set(row.deviceId, list);
    }
    const deviceGroups = new Map<number, number[]>();
    for (const row of db
      .prepare(
        'SELECT device_id AS deviceId, group_id AS groupId FROM device_groups ORDER BY device_id, group_id',
      )
      .all() as Array<{ deviceId: number; groupId: number }>) {
      const list = deviceGroups.get(row.deviceId) ?? [];
      list.push(row.groupId);
      deviceGroups.set(row.deviceId, list);
    }
    const devices = (
      db.prepare('SELECT * FROM devices ORDER BY id').all() as Array<Record<string, unknown>>
    ).map((row) => {
      const extra: Record<string, unknown> = {};
      for (const [column, value] of Object.entries(row))
        if (!DEVICE_KNOWN_COLUMNS.has(column)) extra[column] = value;
      const id = row.id as number;
      return {
        id,
        mac: row.mac as string | null,
        macRandom: row.mac_random === 1,
        name: row.name as string | null,
        autoName: row.auto_name as string | null,
        vendor: row.vendor as string | null,
        type: row.type as string,
        firstSeen: row.first_seen as number,
        lastSeen: row.last_seen as number,
        pausedUntil: row.paused_until as number | null,
        addresses: addresses.get(id) ?? [],
        groupIds: deviceGroups.get(id) ?? [],
        ...(Object.keys(extra).length > 0 ? { extra } : {}),
      };
    });

    const assignments = new Map<number, BackupData['lists'][number]['assignments']>();
    for (const row of db
      .prepare('SELECT list_id AS listId, group_id AS groupId, device_id AS deviceId FROM list_assignments')
      .all() as Array<{ listId: number; groupId: number | null; deviceId: number | null }>) {
      const list = assignments.get(row.listId) ?? [];
      list.push({ groupId: row.groupId, deviceId: row.deviceId });
      assignments.set(row.listId, list);
    }
    const lists = (
      db
        .prepare('SELECT id, name, source, format, kind, enabled, builtin FROM lists ORDER BY id')
        .all() as Array<{
        id: number;
        name: string;
        source: string;
        format: string;
        kind: 'block' | 'allow';
        enabled: number;
        builtin: number;
      }>
    ).map((row) => ({
      ...row,
      enabled: row.enabled === 1,
      builtin: row.builtin === 1,
      assignments: assignments.get(row.id) ?? [],
    }));

    const rules = new RulesRepo(db).list();
    const companyPolicies = db
      .prepare(
        'SELECT company_key AS companyKey, policy, updated_at AS updatedAt FROM company_policies ORDER BY company_key',
      )
      .all() as BackupData['companyPolicies'];
    return {
      settings,
      groups,
      devices,
      lists,
      rules,
      companyPolicies,
      ...readProfilesBackup(db),
      ...readClientIdsBackup(db),
      ...readPeopleBackup(db),
      ...readDeviceAliasesBackup(db),
    };
  });
  return read();
}

/** The whole configuration of one tracksink.db, read or replaced at once (readBackup, replaceWithBackup). */
export class BackupRepo {
  constructor(private readonly db: Db) {}

  read(): BackupData {
    return readBackup(this.db);
  }

  replace(data: BackupData): ImportCounts {
    return replaceWithBackup(this.db, data);
  }
}

export interface ImportCounts {
  settings: number;
  groups: number;
  devices: number;
  lists: number;
  rules: number;
  companyPolicies: number;
}

/** An import problem that names the row: `devices[3].groupIds: no group 7 in the file`. */
export class BackupImportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackupImportError';
  }
}

/** A list's download bookkeeping as tracksink.db holds it (columns of `lists`). */
interface ListDownloadState {
  id: number;
  source: string;
  etag: string | null;
  last_modified: string | null;
  last_refresh: number | null;
  last_success: number | null;
  entries: number;
  invalid_lines: number;
  last_error: string | null;
}

/** Puts back the download bookkeeping of lists that kept their id and source through a replace. */
function keepDownloadState(db: Db, before: readonly ListDownloadState[]): void {
  const restore = db.prepare(
    `UPDATE lists SET etag = ?, last_modified = ?, last_refresh = ?, last_success = ?, entries = ?,
       invalid_lines = ?, last_error = ? WHERE id = ? AND source = ?`,
  );
  for (const row of before) {
    restore.run(
      row.etag,
      row.last_modified,
      row.last_refresh,
      row.last_success,
      row.entries,
      row.invalid_lines,
      row.last_error,
      row.id,
      row.source,
    );
  }
}

/**
 * Replaces the configuration with `data`, in one transaction. Cross-references are checked first so the
 * error names the entry, rather than surfacing as a bare foreign-key failure.
 */
export function replaceWithBackup(db: Db, data: BackupData): ImportCounts {
  checkReferences(data);
  const deviceColumns = new Set(columnsOf(db, 'devices'));
  const apply = db.transaction((): ImportCounts => {
    // What each list's last download left (ETag, times, counts) is not configuration and is not in a backup:
    // keep it for a list whose id and source are unchanged, or every import (and on replicas every config
    // change another replica makes) would make each list look never downloaded and fetch it again in full.
    const downloadState = db
      .prepare(
        `SELECT id, source, etag, last_modified, last_refresh, last_success, entries, invalid_lines, last_error
         FROM lists`,
      )
      .all() as ListDownloadState[];
    // Children first (FKs cascade anyway, but be explicit about what is replaced).
    for (const table of [
      'list_assignments',
      'rules',
      'device_groups',
      'device_addresses',
      'lists',
      'devices',
      'groups',
      'company_policies',
    ]) {
      db.prepare(`DELETE FROM ${table}`).run();
    }
    db.prepare(`DELETE FROM settings WHERE key NOT LIKE '${TRANSIENT_PREFIX}%'`).run();

    const setSetting = db.prepare('INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)');
    for (const [key, value] of Object.entries(data.settings)) setSetting.run(key, JSON.stringify(value));

    const addGroup = db.prepare('INSERT INTO groups (id, name, description) VALUES (?, ?, ?)');
    data.groups.forEach((group, index) =>
      runRow(`groups[${index}]`, () => addGroup.run(group.id, group.name, group.description)),
    );

    const addAddress = db.prepare(
      'INSERT INTO device_addresses (device_id, address, first_seen, last_seen) VALUES (?, ?, ?, ?)',
    );
    const addDeviceGroup = db.prepare('INSERT INTO device_groups (device_id, group_id) VALUES (?, ?)');
    data.devices.forEach((device, index) => {
      const where = `devices[${index}]`;
      const values: Record<string, unknown> = {
        id: device.id,
        mac: device.mac,
        mac_random: device.macRandom ? 1 : 0,
        name: device.name,
        auto_name: device.autoName,
        vendor: device.vendor,
        type: device.type,
        first_seen: device.firstSeen,
        last_seen: device.lastSeen,
        paused_until: device.pausedUntil,
      };
      for (const [column, value] of Object.entries(device.extra ?? {})) {
        if (!/^[a-z_][a-z0-9_]*$/.test(column))
          throw new BackupImportError(`${where}.extra: bad column name "${column}"`);
        if (deviceColumns.has(column)) values[column] = value;
      }
      const columns = Object.keys(values);
      runRow(where, () =>
        db
          .prepare(
            `INSERT INTO devices (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`,
          )
          .run(...columns.map((column) => values[column])),
      );
      device.addresses.forEach((address, i) =>
        runRow(`${where}.addresses[${i}]`, () =>
          addAddress.run(device.id, address.address, address.firstSeen, address.lastSeen),
        ),
      );
      device.groupIds.forEach((groupId, i) =>
        runRow(`${where}.groupIds[${i}]`, () => addDeviceGroup.run(device.id, groupId)),
      );
    });

    const addList = db.prepare(
      'INSERT INTO lists (id, name, source, format, kind, enabled, builtin, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    const addAssignment = db.prepare(
      'INSERT INTO list_assignments (list_id, group_id, device_id) VALUES (?, ?, ?)',
    );
    const now = Date.now();
    data.lists.forEach((list, index) => {
      const where = `lists[${index}]`;
      runRow(where, () =>
        addList.run(
          list.id,
          list.name,
          list.source,
          list.format,
          list.kind,
          list.enabled ? 1 : 0,
          list.builtin ? 1 : 0,
          now,
        ),
      );
      list.assignments.forEach((assignment, i) =>
        runRow(`${where}.assignments[${i}]`, () =>
          addAssignment.run(list.id, assignment.groupId, assignment.deviceId),
        ),
      );
    });

    keepDownloadState(db, downloadState);

    const rules = new RulesRepo(db);
    data.rules.forEach((rule, index) => runRow(`rules[${index}]`, () => rules.insert(rule)));

    const addPolicy = db.prepare(
      'INSERT INTO company_policies (company_key, policy, updated_at) VALUES (?, ?, ?)',
    );
    data.companyPolicies.forEach((policy, index) =>
      runRow(`companyPolicies[${index}]`, () =>
        addPolicy.run(policy.companyKey, policy.policy, policy.updatedAt),
      ),
    );
    writeProfilesBackup(db, data);
    try {
      writeClientIdsBackup(db, data);
      writePeopleBackup(db, data);
      writeDeviceAliasesBackup(db, data);
    } catch (error) {
      throw new BackupImportError((error as Error).message);
    }

    return {
      settings: Object.keys(data.settings).length,
      groups: data.groups.length,
      devices: data.devices.length,
      lists: data.lists.length,
      rules: data.rules.length,
      companyPolicies: data.companyPolicies.length,
    };
  });
  return apply();
}

function runRow(where: string, run: () => unknown): void {
  try {
    run();
  } catch (error) {
    const message = (error as Error).message;
    const why = message.includes('UNIQUE')
      ? `duplicate (${message.replace(/^UNIQUE constraint failed: /, '')})`
      : message;
    throw new BackupImportError(`${where}: ${why}`);
  }
}

function checkReferences(data: BackupData): void {
  const groupIds = new Set(data.groups.map((group) => group.id));
  const deviceIds = new Set(data.devices.map((device) => device.id));
  const problems: string[] = [];
  data.devices.forEach((device, index) =>
    device.groupIds.forEach((groupId, i) => {
      if (!groupIds.has(groupId))
        problems.push(`devices[${index}].groupIds[${i}]: no group ${groupId} in the file`);
    }),
  );
  const scope = (where: string, deviceId: number | null, groupId: number | null): void => {
    if (deviceId !== null && !deviceIds.has(deviceId))
      problems.push(`${where}.deviceId: no device ${deviceId} in the file`);
    if (groupId !== null && !groupIds.has(groupId))
      problems.push(`${where}.groupId: no group ${groupId} in the file`);
  };
  data.rules.forEach((rule, index) => {
    scope(`rules[${index}]`, rule.deviceId, rule.groupId);
    if (rule.deviceId !== null && rule.groupId !== null) {
      problems.push(`rules[${index}]: a rule applies to a device or a group, not both`);
    }
  });
  data.lists.forEach((list, index) =>
    list.assignments.forEach((assignment, i) => {
      const where = `lists[${index}].assignments[${i}]`;
      if ((assignment.deviceId === null) === (assignment.groupId === null)) {
        problems.push(`${where}: exactly one of deviceId and groupId must be set`);
      }
      scope(where, assignment.deviceId, assignment.groupId);
    }),
  );
  if (problems.length > 0) throw new BackupImportError(problems.slice(0, 10).join('; '));
}
