/** Dashboard password hash and login sessions in tracksink.db. */
import type { Db } from '../sqlite.js';

export interface SessionRow {
  id: string;
  csrf: string;
  createdAt: number;
  expiresAt: number;
}

export class AuthRepo {
  constructor(private readonly db: Db) {}

  passwordHash(): string | null {
    const row = this.db.prepare('SELECT hash FROM auth_password WHERE id = 1').get() as
      { hash: string } | undefined;
    return row?.hash ?? null;
  }

  setPasswordHash(hash: string, now: number): void {
    this.db
      .prepare(
        'INSERT INTO auth_password (id, hash, updated_at) VALUES (1, ?, ?) ON CONFLICT(id) DO UPDATE SET hash = excluded.hash, updated_at = excluded.updated_at',
      )
      .run(hash, now);
  }

  /** Sets the password only if none is set; false when one already was (first-run setup race). */
  setPasswordHashIfUnset(hash: string, now: number): boolean {
    const result = this.db
      .prepare('INSERT INTO auth_password (id, hash, updated_at) VALUES (1, ?, ?) ON CONFLICT(id) DO NOTHING')
      .run(hash, now);
    return result.changes === 1;
  }

  createSession(session: SessionRow): void {
    this.db
      .prepare('INSERT INTO sessions (id, csrf, created_at, expires_at) VALUES (?, ?, ?, ?)')
      .run(session.id, session.csrf, session.createdAt, session.expiresAt);
  }

  session(id: string, now: number): SessionRow | null {
    const row = this.db
      .prepare(
        'SELECT id, csrf, created_at AS createdAt, expires_at AS expiresAt FROM sessions WHERE id = ? AND expires_at > ?',
      )
      .get(id, now) as SessionRow | undefined;
    return row ?? null;
  }

  deleteSession(id: string): void {
    this.db.prepare('DELETE FROM sessions WHERE id = ?').run(id);
  }

  /** Ends every session except `keep` (after a password change). */
  deleteOtherSessions(keep: string | null): void {
    this.db.prepare('DELETE FROM sessions WHERE id IS NOT ?').run(keep);
  }

  deleteExpired(now: number): number {
    return this.db.prepare('DELETE FROM sessions WHERE expires_at <= ?').run(now).changes;
  }
}
