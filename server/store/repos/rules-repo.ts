/** The user's allow/deny rules (table `rules` of tracksink.db). */
import type { UserRule } from '../../filter/user-rules.js';
import type { Statement } from 'better-sqlite3';
import type { Db } from '../sqlite.js';

export interface RuleRow extends UserRule {
  comment: string;
  createdAt: number;
}

export type NewRule = Omit<RuleRow, 'id'>;

const COLUMNS =
  'id, action, match, pattern, device_id AS deviceId, group_id AS groupId, expires_at AS expiresAt, comment, created_at AS createdAt';

export interface RuleFilter {
  deviceId?: number;
  groupId?: number;
  action?: UserRule['action'];
}

export class RulesRepo {
  private insertRule: Statement | undefined;

  constructor(private readonly db: Db) {}

  list(filter: RuleFilter = {}): RuleRow[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.deviceId !== undefined) {
      where.push('device_id = ?');
      args.push(filter.deviceId);
    }
    if (filter.groupId !== undefined) {
      where.push('group_id = ?');
      args.push(filter.groupId);
    }
    if (filter.action !== undefined) {
      where.push('action = ?');
      args.push(filter.action);
    }
    const sql = `SELECT ${COLUMNS} FROM rules ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id`;
    return this.db.prepare(sql).all(...args) as RuleRow[];
  }

  /** Rules still in force at `now` (what the policy engine gets). */
  active(now: number): RuleRow[] {
    return this.db
      .prepare(`SELECT ${COLUMNS} FROM rules WHERE expires_at IS NULL OR expires_at > ? ORDER BY id`)
      .all(now) as RuleRow[];
  }

  get(id: number): RuleRow | null {
    return (
      (this.db.prepare(`SELECT ${COLUMNS} FROM rules WHERE id = ?`).get(id) as RuleRow | undefined) ?? null
    );
  }

  create(rule: NewRule): RuleRow {
    return this.get(this.insert(rule)) as RuleRow;
  }

  /**
   * The one INSERT of a rule: with its own id when it has one (a restore keeps the ids the file's
   * references use), else the next free id. Returns the id.
   */
  insert(rule: NewRule & { id?: number }): number {
    this.insertRule ??= this.db.prepare(
      'INSERT INTO rules (id, action, match, pattern, device_id, group_id, expires_at, comment, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    const result = this.insertRule.run(
      rule.id ?? null,
      rule.action,
      rule.match,
      rule.pattern,
      rule.deviceId,
      rule.groupId,
      rule.expiresAt,
      rule.comment,
      rule.createdAt,
    );
    return Number(result.lastInsertRowid);
  }

  update(
    id: number,
    patch: Partial<Pick<RuleRow, 'action' | 'match' | 'pattern' | 'expiresAt' | 'comment'>>,
  ): RuleRow | null {
    const current = this.get(id);
    if (!current) return null;
    const next = { ...current, ...patch };
    this.db
      .prepare(
        'UPDATE rules SET action = ?, match = ?, pattern = ?, expires_at = ?, comment = ? WHERE id = ?',
      )
      .run(next.action, next.match, next.pattern, next.expiresAt, next.comment, id);
    return this.get(id);
  }

  delete(id: number): boolean {
    return this.db.prepare('DELETE FROM rules WHERE id = ?').run(id).changes === 1;
  }

  deleteExpired(now: number): number {
    return this.db.prepare('DELETE FROM rules WHERE expires_at IS NOT NULL AND expires_at <= ?').run(now)
      .changes;
  }
}
