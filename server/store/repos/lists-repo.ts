/** Blocklist subscriptions (table `lists`) and their group/device assignments (table `list_assignments`). */
import type { Db } from '../sqlite.js';

export type ListKind = 'block' | 'allow';
import type { ListFormatSetting } from '../../filter/list-types.js';

export type { ListFormatSetting };

export interface ListRow {
  id: number;
  name: string;
  /** http(s) URL, local file path, or `builtin:<name>` for lists generated from the catalog. */
  source: string;
  format: ListFormatSetting;
  kind: ListKind;
  enabled: boolean;
  builtin: boolean;
  etag: string | null;
  lastModified: string | null;
  /** ms of the last refresh attempt. */
  lastRefresh: number | null;
  /** ms of the last good download (or 304). */
  lastSuccess: number | null;
  entries: number;
  invalidLines: number;
  lastError: string | null;
  createdAt: number;
}

export interface NewList {
  name: string;
  source: string;
  format?: ListFormatSetting;
  kind?: ListKind;
  enabled?: boolean;
  builtin?: boolean;
}

export type ListPatch = Partial<Pick<ListRow, 'name' | 'format' | 'kind' | 'enabled'>>;

export interface ListAssignment {
  groupIds: number[];
  deviceIds: number[];
}

const COLUMNS = `id, name, source, format, kind, enabled, builtin, etag, last_modified AS lastModified,
  last_refresh AS lastRefresh, last_success AS lastSuccess, entries, invalid_lines AS invalidLines,
  last_error AS lastError, created_at AS createdAt`;

type RawRow = Omit<ListRow, 'enabled' | 'builtin'> & { enabled: number; builtin: number };

function fromRaw(row: RawRow): ListRow {
  return { ...row, enabled: row.enabled === 1, builtin: row.builtin === 1 };
}

export class ListsRepo {
  constructor(private readonly db: Db) {}

  all(): ListRow[] {
    return (this.db.prepare(`SELECT ${COLUMNS} FROM lists ORDER BY id`).all() as RawRow[]).map(fromRaw);
  }

  get(id: number): ListRow | undefined {
    const row = this.db.prepare(`SELECT ${COLUMNS} FROM lists WHERE id = ?`).get(id) as RawRow | undefined;
    return row ? fromRaw(row) : undefined;
  }

  /** File sources subscribed before list files had to sit in lists.fileDir (config migration 0009). */
  sourcesBeforeFileDir(): string[] {
    return this.db.prepare('SELECT source FROM list_sources_before_file_dir').pluck().all() as string[];
  }

  bySource(source: string): ListRow | undefined {
    const row = this.db.prepare(`SELECT ${COLUMNS} FROM lists WHERE source = ?`).get(source) as
      RawRow | undefined;
    return row ? fromRaw(row) : undefined;
  }

  insert(list: NewList, now = Date.now()): ListRow {
    const result = this.db
      .prepare(
        `INSERT INTO lists (name, source, format, kind, enabled, builtin, created_at)
         VALUES (@name, @source, @format, @kind, @enabled, @builtin, @createdAt)`,
      )
      .run({
        name: list.name,
        source: list.source,
        format: list.format ?? 'auto',
        kind: list.kind ?? 'block',
        enabled: list.enabled === false ? 0 : 1,
        builtin: list.builtin ? 1 : 0,
        createdAt: now,
      });
    return this.get(Number(result.lastInsertRowid)) as ListRow;
  }

  update(id: number, patch: ListPatch): ListRow | undefined {
    const columns: Record<string, unknown> = {
      name: patch.name,
      format: patch.format,
      kind: patch.kind,
      enabled: patch.enabled === undefined ? undefined : patch.enabled ? 1 : 0,
    };
    const values: Record<string, unknown> = { id };
    const sets: string[] = [];
    for (const [column, value] of Object.entries(columns)) {
      if (value === undefined) continue;
      sets.push(`${column} = @${column}`);
      values[column] = value;
    }
    if (sets.length > 0) this.db.prepare(`UPDATE lists SET ${sets.join(', ')} WHERE id = @id`).run(values);
    return this.get(id);
  }

  delete(id: number): boolean {
    return this.db.prepare('DELETE FROM lists WHERE id = ?').run(id).changes > 0;
  }

  /** A good download (or a local file read): new counts, validators, error cleared. */
  recordSuccess(
    id: number,
    result: { entries: number; invalidLines: number; etag: string | null; lastModified: string | null },
    now = Date.now(),
  ): void {
    this.db
      .prepare(
        `UPDATE lists SET entries = ?, invalid_lines = ?, etag = ?, last_modified = ?, last_refresh = ?,
           last_success = ?, last_error = NULL WHERE id = ?`,
      )
      .run(result.entries, result.invalidLines, result.etag, result.lastModified, now, now, id);
  }

  /** The server said 304: the copy is current. */
  recordNotModified(id: number, now = Date.now()): void {
    this.db
      .prepare('UPDATE lists SET last_refresh = ?, last_success = ?, last_error = NULL WHERE id = ?')
      .run(now, now, id);
  }

  /** A failed refresh: the last good copy stays, the error is shown on the list. */
  recordError(id: number, message: string, now = Date.now()): void {
    this.db.prepare('UPDATE lists SET last_refresh = ?, last_error = ? WHERE id = ?').run(now, message, id);
  }

  /** Counts of the copy in use (loaded from the cache at start-up). */
  recordCounts(id: number, entries: number, invalidLines: number): void {
    this.db
      .prepare('UPDATE lists SET entries = ?, invalid_lines = ? WHERE id = ?')
      .run(entries, invalidLines, id);
  }

  assignments(): Map<number, ListAssignment> {
    const rows = this.db
      .prepare('SELECT list_id AS listId, group_id AS groupId, device_id AS deviceId FROM list_assignments')
      .all() as Array<{ listId: number; groupId: number | null; deviceId: number | null }>;
    const out = new Map<number, ListAssignment>();
    for (const row of rows) {
      let entry = out.get(row.listId);
      if (!entry) out.set(row.listId, (entry = { groupIds: [], deviceIds: [] }));
      if (row.groupId !== null) entry.groupIds.push(row.groupId);
      if (row.deviceId !== null) entry.deviceIds.push(row.deviceId);
    }
    return out;
  }

  /** Replaces a list's assignments; empty means the list applies to everyone. */
  setAssignments(listId: number, assignment: ListAssignment): void {
    const run = this.db.transaction(() => {
      this.db.prepare('DELETE FROM list_assignments WHERE list_id = ?').run(listId);
      const insert = this.db.prepare(
        'INSERT INTO list_assignments (list_id, group_id, device_id) VALUES (?, ?, ?)',
      );
      for (const groupId of new Set(assignment.groupIds)) insert.run(listId, groupId, null);
      for (const deviceId of new Set(assignment.deviceIds)) insert.run(listId, null, deviceId);
    });
    run();
  }
}
