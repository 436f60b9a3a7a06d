/** Dashboard password hash and login sessions in tracksink.db. */
import type { Db } from '../sqlite.js';

/** A session as stored: never the id itself, only its SHA-256 (session-store.ts). */
export interface StoredSession {
  idHash: string;
  csrf: string;
  createdAt: number;
  expiresAt: number;
  lastSeenAt: number;
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

  createSession(session: StoredSession): void {
    this.db
      .prepare(
        'INSERT INTO sessions (id_hash, csrf, created_at, expires_at, last_seen_at) VALUES (?, ?, ?, ?, ?)',
      )
      .run(session.idHash, session.csrf, session.createdAt, session.expiresAt, session.lastSeenAt);
  }

  /** The session unless its absolute end has passed (the idle end is the caller's rule). */
  session(idHash: string, now: number): StoredSession | null {
    const row = this.db
      .prepare(
        'SELECT id_hash AS idHash, csrf, created_at AS createdAt, expires_at AS expiresAt, last_seen_at AS lastSeenAt FROM sessions WHERE id_hash = ? AND expires_at > ?',
      )
      .get(idHash, now) as StoredSession | undefined;
    return row ?? null;
  }

  touchSession(idHash: string, now: number): void {
    this.db.prepare('UPDATE sessions SET last_seen_at = ? WHERE id_hash = ?').run(now, idHash);
  }

  deleteSession(idHash: string): void {
    this.db.prepare('DELETE FROM sessions WHERE id_hash = ?').run(idHash);
  }

  /** Ends every session except `keep` (after a password change). */
  deleteOtherSessions(keepHash: string | null): void {
    this.db.prepare('DELETE FROM sessions WHERE id_hash IS NOT ?').run(keepHash);
  }

  /** Every session not past its absolute end (replicas compare theirs with the shared ones). */
  liveSessions(now: number): StoredSession[] {
    return this.db
      .prepare(
        'SELECT id_hash AS idHash, csrf, created_at AS createdAt, expires_at AS expiresAt, last_seen_at AS lastSeenAt FROM sessions WHERE expires_at > ?',
      )
      .all(now) as StoredSession[];
  }

  /** Adds a session another replica made, or moves its last use forward (never back). */
  putSession(session: StoredSession): void {
    this.db
      .prepare(
        `INSERT INTO sessions (id_hash, csrf, created_at, expires_at, last_seen_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(id_hash) DO UPDATE SET last_seen_at = max(last_seen_at, excluded.last_seen_at)`,
      )
      .run(session.idHash, session.csrf, session.createdAt, session.expiresAt, session.lastSeenAt);
  }

  /** Removes sessions past their absolute end or idle since before `idleSince`. */
  deleteExpired(now: number, idleSince: number): number {
    return this.db
      .prepare('DELETE FROM sessions WHERE expires_at <= ? OR last_seen_at <= ?')
      .run(now, idleSince).changes;
  }
}
