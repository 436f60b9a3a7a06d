/**
 * Device groups (Kids, TVs, Guests …) in tracksink.db: CRUD and memberships. Rules and list assignments
 * refer to groups by id; deleting a group removes its memberships (ON DELETE CASCADE).
 */
import type { Db } from '../sqlite.js';
import { EFFECTIVE_MEMBERSHIPS_SQL } from './people-repo.js';

export interface Group {
  id: number;
  name: string;
  description: string;
}

export class GroupNotFoundError extends Error {
  constructor(id: number) {
    super(`group ${id} does not exist`);
    this.name = 'GroupNotFoundError';
  }
}

function checkName(name: unknown): string {
  if (typeof name !== 'string' || name.trim() === '')
    throw new Error('group name must be a non-empty string');
  const trimmed = name.trim();
  if (trimmed.length > 64)
    throw new Error(`group name is too long (${trimmed.length} characters, at most 64)`);
  return trimmed;
}

export class GroupsRepo {
  constructor(private readonly db: Db) {}

  list(): Group[] {
    return this.db
      .prepare('SELECT id, name, description FROM groups ORDER BY name COLLATE NOCASE, id')
      .all() as Group[];
  }

  get(id: number): Group | null {
    return (
      (this.db.prepare('SELECT id, name, description FROM groups WHERE id = ?').get(id) as
        Group | undefined) ?? null
    );
  }

  create(input: { name: string; description?: string }): Group {
    const name = checkName(input.name);
    try {
      const id = Number(
        this.db
          .prepare('INSERT INTO groups (name, description) VALUES (?, ?)')
          .run(name, input.description ?? '').lastInsertRowid,
      );
      return { id, name, description: input.description ?? '' };
    } catch (error) {
      if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
        throw new Error(`a group named "${name}" already exists`, { cause: error });
      }
      throw error;
    }
  }

  update(id: number, input: { name?: string; description?: string }): Group {
    const current = this.get(id);
    if (current === null) throw new GroupNotFoundError(id);
    const next = {
      name: input.name === undefined ? current.name : checkName(input.name),
      description: input.description ?? current.description,
    };
    try {
      this.db
        .prepare('UPDATE groups SET name = ?, description = ? WHERE id = ?')
        .run(next.name, next.description, id);
    } catch (error) {
      if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
        throw new Error(`a group named "${next.name}" already exists`, { cause: error });
      }
      throw error;
    }
    return { id, ...next };
  }

  delete(id: number): void {
    if (this.db.prepare('DELETE FROM groups WHERE id = ?').run(id).changes === 0)
      throw new GroupNotFoundError(id);
  }

  /** Replaces a device's memberships (all ids must exist). */
  setDeviceGroups(deviceId: number, groupIds: number[]): void {
    const unique = [...new Set(groupIds)];
    const exists = this.db.prepare('SELECT 1 FROM groups WHERE id = ?');
    for (const id of unique) if (exists.get(id) === undefined) throw new GroupNotFoundError(id);
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM device_groups WHERE device_id = ?').run(deviceId);
      const insert = this.db.prepare('INSERT INTO device_groups (device_id, group_id) VALUES (?, ?)');
      for (const id of unique) insert.run(deviceId, id);
    })();
  }

  /**
   * device id → group ids. `withPersonProfiles` (the policy engine's view): a device without groups of
   * its own takes its person's profile (people-repo.ts).
   */
  memberships(withPersonProfiles = false): Map<number, number[]> {
    const map = new Map<number, number[]>();
    const rows = this.db
      .prepare(
        withPersonProfiles
          ? EFFECTIVE_MEMBERSHIPS_SQL
          : 'SELECT device_id, group_id FROM device_groups ORDER BY device_id, group_id',
      )
      .all() as Array<{
      device_id: number;
      group_id: number;
    }>;
    for (const row of rows) {
      const list = map.get(row.device_id);
      if (list === undefined) map.set(row.device_id, [row.group_id]);
      else list.push(row.group_id);
    }
    return map;
  }
}
