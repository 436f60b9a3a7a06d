/**
 * Dashboard sessions and the dashboard password shared by replicas (tables dashboard_sessions, PG
 * migration 0007, and dashboard_password, 0009): a password set or changed on one replica holds on the
 * others (its hash only; the newer change wins; http.password / TRACKSINK_PASSWORD still wins where set,
 * auth-service.ts reads that first), a login on one
 * replica is valid on the others, a logout, an idle end or a password change ends it on all. The API keeps
 * reading sessions synchronously from tracksink.db (`SharedAuthRepo` is the AuthRepo it is given): each
 * session write there is also queued for PostgreSQL and sent in order, then a NOTIFY on tracksink_sessions
 * makes the other replicas read the shared sessions into their tracksink.db (and every SYNC_MS as a
 * safety net). Sessions made here and not yet sent are never removed by such a read; while PostgreSQL is
 * away the queue waits and logins keep working on each replica that has them.
 */
import type { PgPool } from './pg-connect.js';
import { AuthRepo, type StoredSession } from '../repos/auth-repo.js';
import type { Db } from '../sqlite.js';

export const SESSIONS_CHANNEL = 'tracksink_sessions';
const SYNC_MS = 5000;
const RETRY_MS = 1000;

type SessionOp =
  | { kind: 'put'; session: StoredSession }
  | { kind: 'touch'; idHash: string; now: number }
  | { kind: 'delete'; idHash: string }
  | { kind: 'delete-others'; keepHash: string | null }
  | { kind: 'delete-expired'; now: number; idleSince: number }
  | { kind: 'password'; hash: string; updatedAt: number };

export class SharedAuthRepo extends AuthRepo {
  private readonly queue: SessionOp[] = [];
  /** Sessions made here whose row is not yet in PostgreSQL. */
  private readonly unsent = new Set<string>();
  private running: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private retry: NodeJS.Timeout | null = null;
  private stopped = false;

  private readonly passwordRow: () => { hash: string; updatedAt: number } | undefined;

  constructor(
    db: Db,
    private readonly pool: PgPool,
    private readonly replica: string,
    private readonly warn: (message: string) => void,
  ) {
    super(db);
    const statement = db.prepare('SELECT hash, updated_at AS updatedAt FROM auth_password WHERE id = 1');
    this.passwordRow = () => statement.get() as { hash: string; updatedAt: number } | undefined;
  }

  override setPasswordHash(hash: string, now: number): void {
    super.setPasswordHash(hash, now);
    this.send({ kind: 'password', hash, updatedAt: now });
  }

  override setPasswordHashIfUnset(hash: string, now: number): boolean {
    const set = super.setPasswordHashIfUnset(hash, now);
    if (set) this.send({ kind: 'password', hash, updatedAt: now });
    return set;
  }

  override createSession(session: StoredSession): void {
    super.createSession(session);
    this.unsent.add(session.idHash);
    this.send({ kind: 'put', session });
  }

  override touchSession(idHash: string, now: number): void {
    super.touchSession(idHash, now);
    this.send({ kind: 'touch', idHash, now });
  }

  override deleteSession(idHash: string): void {
    super.deleteSession(idHash);
    this.unsent.delete(idHash);
    this.send({ kind: 'delete', idHash });
  }

  override deleteOtherSessions(keepHash: string | null): void {
    super.deleteOtherSessions(keepHash);
    for (const idHash of this.unsent) if (idHash !== keepHash) this.unsent.delete(idHash);
    this.send({ kind: 'delete-others', keepHash });
  }

  override deleteExpired(now: number, idleSince: number): number {
    const removed = super.deleteExpired(now, idleSince);
    this.send({ kind: 'delete-expired', now, idleSince });
    return removed;
  }

  /** Shares this replica's sessions, takes the others', and keeps doing so every SYNC_MS. */
  start(now: () => number = Date.now): void {
    // A password set here before (or while PostgreSQL was away) is offered too: the newer one wins.
    const password = this.passwordRow();
    if (password !== undefined) this.queue.push({ kind: 'password', ...password });
    for (const session of this.liveSessions(now())) {
      this.unsent.add(session.idHash);
      this.queue.push({ kind: 'put', session });
    }
    const tick = (): void => {
      this.timer = null;
      if (this.stopped) return;
      void this.sync(now()).finally(() => {
        if (!this.stopped) this.timer = setTimeout(tick, SYNC_MS);
      });
    };
    tick();
  }

  /** Another replica changed the shared sessions (its NOTIFY). */
  changedElsewhere(): void {
    void this.sync(Date.now());
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    if (this.retry !== null) clearTimeout(this.retry);
    await this.running;
  }

  private send(op: SessionOp): void {
    this.queue.push(op);
    void this.serial(() => this.flush());
  }

  private serial(step: () => Promise<void>): Promise<void> {
    this.running = this.running.then(step, step);
    return this.running;
  }

  /** Sends the queued writes in order; on failure keeps them and tries again in RETRY_MS. */
  private async flush(): Promise<void> {
    if (this.queue.length === 0) return;
    try {
      while (this.queue.length > 0) {
        await this.write(this.queue[0] as SessionOp);
        const op = this.queue.shift() as SessionOp;
        if (op.kind === 'put') this.unsent.delete(op.session.idHash);
      }
      await this.pool.query('SELECT pg_notify($1, $2)', [SESSIONS_CHANNEL, this.replica]);
    } catch (error) {
      this.warn(`dashboard logins not yet shared: ${(error as Error).message}`);
      if (!this.stopped && this.retry === null) {
        this.retry = setTimeout(() => {
          this.retry = null;
          void this.serial(() => this.flush());
        }, RETRY_MS);
      }
    }
  }

  private async write(op: SessionOp): Promise<void> {
    switch (op.kind) {
      case 'put': {
        const s = op.session;
        await this.pool.query(
          `INSERT INTO dashboard_sessions (id_hash, csrf, created_at, expires_at, last_seen_at)
           VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (id_hash) DO UPDATE
             SET last_seen_at = greatest(dashboard_sessions.last_seen_at, excluded.last_seen_at)`,
          [s.idHash, s.csrf, s.createdAt, s.expiresAt, s.lastSeenAt],
        );
        return;
      }
      case 'touch':
        await this.pool.query(
          'UPDATE dashboard_sessions SET last_seen_at = greatest(last_seen_at, $2) WHERE id_hash = $1',
          [op.idHash, op.now],
        );
        return;
      case 'delete':
        await this.pool.query('DELETE FROM dashboard_sessions WHERE id_hash = $1', [op.idHash]);
        return;
      case 'delete-others':
        await this.pool.query('DELETE FROM dashboard_sessions WHERE id_hash IS DISTINCT FROM $1', [
          op.keepHash,
        ]);
        return;
      case 'password':
        await this.pool.query(
          `INSERT INTO dashboard_password (id, hash, updated_at) VALUES (true, $1, $2)
           ON CONFLICT (id) DO UPDATE SET hash = excluded.hash, updated_at = excluded.updated_at
             WHERE dashboard_password.updated_at < excluded.updated_at`,
          [op.hash, op.updatedAt],
        );
        return;
      case 'delete-expired':
        await this.pool.query('DELETE FROM dashboard_sessions WHERE expires_at <= $1 OR last_seen_at <= $2', [
          op.now,
          op.idleSince,
        ]);
    }
  }

  /** Makes tracksink.db's sessions the shared ones (plus those made here and not yet sent). */
  private sync(now: number): Promise<void> {
    return this.serial(async () => {
      await this.flush();
      if (this.queue.length > 0) return;
      let shared: StoredSession[];
      try {
        const result = await this.pool.query<{
          idHash: string;
          csrf: string;
          createdAt: string;
          expiresAt: string;
          lastSeenAt: string;
        }>(
          `SELECT id_hash AS "idHash", csrf, created_at AS "createdAt", expires_at AS "expiresAt",
             last_seen_at AS "lastSeenAt" FROM dashboard_sessions WHERE expires_at > $1`,
          [now],
        );
        shared = result.rows.map((row) => ({
          ...row,
          createdAt: Number(row.createdAt),
          expiresAt: Number(row.expiresAt),
          lastSeenAt: Number(row.lastSeenAt),
        }));
        await this.takePassword();
      } catch {
        return; // PostgreSQL away: the sessions and the password here stay as they are.
      }
      const byHash = new Map(shared.map((session) => [session.idHash, session]));
      for (const local of this.liveSessions(now)) {
        const there = byHash.get(local.idHash);
        if (there === undefined) {
          if (!this.unsent.has(local.idHash)) super.deleteSession(local.idHash);
        } else if (there.lastSeenAt <= local.lastSeenAt) {
          byHash.delete(local.idHash);
        }
      }
      // Only rows that are new or were used later elsewhere: no needless write to tracksink.db.
      for (const session of byHash.values()) this.putSession(session);
    });
  }

  /** The shared password when it is newer than this replica's (written here without sending it back). */
  private async takePassword(): Promise<void> {
    const result = await this.pool.query<{ hash: string; updatedAt: string }>(
      'SELECT hash, updated_at AS "updatedAt" FROM dashboard_password',
    );
    const shared = result.rows[0];
    if (shared === undefined) return;
    const local = this.passwordRow();
    if (local !== undefined && local.updatedAt >= Number(shared.updatedAt)) return;
    super.setPasswordHash(shared.hash, Number(shared.updatedAt));
  }
}
