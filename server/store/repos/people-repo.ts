/**
 * People in tracksink.db (migration 0011): a person owns devices and may have a profile (a device group)
 * that applies to each of their devices without a profile of its own. Also what a re-join of a device
 * whose private MAC rotated moves besides the merge itself, and the "not the same device" answers to
 * re-join suggestions.
 */
import type { Db } from '../sqlite.js';

export interface PersonRecord {
  id: number;
  name: string;
  /** The person's profile (a group id), or null. */
  groupId: number | null;
  createdAt: number;
  /** Their devices, by id. */
  deviceIds: number[];
}

/**
 * device id → group ids as the policy engine applies them: a device's own groups, else its person's
 * profile. Ordered by device then group (GroupsRepo.memberships(true) reads it).
 */
export const EFFECTIVE_MEMBERSHIPS_SQL = `
  SELECT device_id, group_id FROM device_groups
  UNION ALL
  SELECT pd.device_id, p.group_id FROM person_devices pd JOIN people p ON p.id = pd.person_id
   WHERE p.group_id IS NOT NULL
     AND NOT EXISTS (SELECT 1 FROM device_groups dg WHERE dg.device_id = pd.device_id)
  ORDER BY 1, 2`;

export class PersonNameTakenError extends Error {
  constructor(readonly personName: string) {
    super(`a person named "${personName}" already exists`);
    this.name = 'PersonNameTakenError';
  }
}

export class PeopleRepo {
  constructor(private readonly db: Db) {}

  list(): PersonRecord[] {
    const rows = this.db
      .prepare(
        'SELECT id, name, group_id AS groupId, created_at AS createdAt FROM people ORDER BY name COLLATE NOCASE, id',
      )
      .all() as Array<Omit<PersonRecord, 'deviceIds'>>;
    const devices = this.devicesByPerson();
    return rows.map((row) => ({ ...row, deviceIds: devices.get(row.id) ?? [] }));
  }

  get(id: number): PersonRecord | null {
    return this.list().find((person) => person.id === id) ?? null;
  }

  create(input: { name: string; groupId: number | null; now: number }): number {
    try {
      return Number(
        this.db
          .prepare('INSERT INTO people (name, group_id, created_at) VALUES (?, ?, ?)')
          .run(input.name, input.groupId, input.now).lastInsertRowid,
      );
    } catch (error) {
      throw uniqueName(error, input.name);
    }
  }

  update(id: number, fields: { name?: string; groupId?: number | null }): void {
    try {
      if (fields.name !== undefined)
        this.db.prepare('UPDATE people SET name = ? WHERE id = ?').run(fields.name, id);
      if (fields.groupId !== undefined)
        this.db.prepare('UPDATE people SET group_id = ? WHERE id = ?').run(fields.groupId, id);
    } catch (error) {
      throw uniqueName(error, fields.name ?? '');
    }
  }

  /** Their devices go back to belonging to nobody. */
  delete(id: number): boolean {
    return this.db.prepare('DELETE FROM people WHERE id = ?').run(id).changes > 0;
  }

  /** Makes exactly `deviceIds` the person's devices (taking them from whoever had them). */
  setDevices(personId: number, deviceIds: number[]): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM person_devices WHERE person_id = ?').run(personId);
      const insert = this.db.prepare(
        `INSERT INTO person_devices (device_id, person_id) VALUES (?, ?)
         ON CONFLICT (device_id) DO UPDATE SET person_id = excluded.person_id`,
      );
      for (const deviceId of deviceIds) insert.run(deviceId, personId);
    })();
  }

  /** Gives one device to a person, or to nobody (null). */
  setOwner(deviceId: number, personId: number | null): void {
    if (personId === null) {
      this.db.prepare('DELETE FROM person_devices WHERE device_id = ?').run(deviceId);
      return;
    }
    this.db
      .prepare(
        `INSERT INTO person_devices (device_id, person_id) VALUES (?, ?)
         ON CONFLICT (device_id) DO UPDATE SET person_id = excluded.person_id`,
      )
      .run(deviceId, personId);
  }

  /** device id → person id. */
  owners(): Map<number, number> {
    const rows = this.db.prepare('SELECT device_id, person_id FROM person_devices').all() as Array<{
      device_id: number;
      person_id: number;
    }>;
    return new Map(rows.map((row) => [row.device_id, row.person_id]));
  }

  groupExists(groupId: number): boolean {
    return this.db.prepare('SELECT 1 FROM groups WHERE id = ?').get(groupId) !== undefined;
  }

  /** device ids with at least one ClientID (a device named by encrypted DNS is never re-joined by host name). */
  devicesWithClientIds(): Set<number> {
    return new Set(
      this.db.prepare('SELECT DISTINCT device_id FROM device_client_ids').pluck().all() as number[],
    );
  }

  /**
   * Before the registry folds the new device (a rotated private MAC) into the device it was
   * (DeviceRegistry.rejoin: addresses, rules, ClientIDs move and its id becomes an alias): its own
   * schedules move to the old device, the old device takes its person when it had none, and suggestions
   * about the new device are forgotten.
   */
  prepareRejoin(newId: number, oldId: number): void {
    this.db.transaction(() => {
      this.db
        .prepare(
          'INSERT OR IGNORE INTO person_devices (device_id, person_id) SELECT ?, person_id FROM person_devices WHERE device_id = ?',
        )
        .run(oldId, newId);
      this.db.prepare('UPDATE schedules SET device_id = ? WHERE device_id = ?').run(oldId, newId);
      this.db
        .prepare('DELETE FROM rejoin_dismissals WHERE device_id = ? OR candidate_id = ?')
        .run(newId, newId);
    })();
  }

  dismissRejoin(deviceId: number, candidateId: number): void {
    this.db
      .prepare('INSERT OR IGNORE INTO rejoin_dismissals (device_id, candidate_id) VALUES (?, ?)')
      .run(deviceId, candidateId);
  }

  /** "device:candidate" keys of dismissed suggestions. */
  dismissals(): Set<string> {
    const rows = this.db.prepare('SELECT device_id, candidate_id FROM rejoin_dismissals').all() as Array<{
      device_id: number;
      candidate_id: number;
    }>;
    return new Set(rows.map((row) => `${row.device_id}:${row.candidate_id}`));
  }

  private devicesByPerson(): Map<number, number[]> {
    const map = new Map<number, number[]>();
    for (const [deviceId, personId] of [...this.owners()].sort((a, b) => a[0] - b[0])) {
      const list = map.get(personId);
      if (list === undefined) map.set(personId, [deviceId]);
      else list.push(deviceId);
    }
    return map;
  }
}

function uniqueName(error: unknown, name: string): Error {
  if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') return new PersonNameTakenError(name);
  return error as Error;
}
