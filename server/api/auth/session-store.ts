/**
 * Sessions: a random id in an HttpOnly cookie and a random CSRF token the page sends back as the
 * `x-csrf-token` header on every change. They live in tracksink.db so a restart keeps people logged in,
 * stored by the SHA-256 of the id only (a copy of the database is no login). A session ends after
 * `idleMs` without a request, and at the latest `maxAgeMs` after the login.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { AuthRepo, StoredSession } from '../../store/repos/auth-repo.js';

export const SESSION_COOKIE = 'tracksink_session';
export const DEFAULT_SESSION_IDLE_MS = 24 * 3_600_000;
export const DEFAULT_SESSION_MAX_AGE_MS = 7 * 24 * 3_600_000;
/** last_seen_at is written at most this often per session: the dashboard polls every few seconds. */
const TOUCH_EVERY_MS = 60_000;

/** A live session as the API sees it: `id` is the cookie value, known only to the browser and here. */
export type Session = Omit<StoredSession, 'idHash' | 'lastSeenAt'> & { id: string };

export interface SessionTimes {
  idleMs: number;
  maxAgeMs: number;
}

export function hashSessionId(id: string): string {
  return createHash('sha256').update(id).digest('hex');
}

export class SessionStore {
  constructor(
    private readonly repo: AuthRepo,
    private readonly now: () => number,
    private readonly times: SessionTimes = {
      idleMs: DEFAULT_SESSION_IDLE_MS,
      maxAgeMs: DEFAULT_SESSION_MAX_AGE_MS,
    },
  ) {}

  create(): Session {
    const createdAt = this.now();
    const id = randomBytes(32).toString('base64url');
    const session = {
      csrf: randomBytes(24).toString('base64url'),
      createdAt,
      expiresAt: createdAt + this.times.maxAgeMs,
    };
    this.repo.deleteExpired(createdAt, createdAt - this.times.idleMs);
    this.repo.createSession({ ...session, idHash: hashSessionId(id), lastSeenAt: createdAt });
    return { ...session, id };
  }

  find(id: string | undefined): Session | null {
    if (!id || id.length > 100) return null;
    const now = this.now();
    const idHash = hashSessionId(id);
    const stored = this.repo.session(idHash, now);
    if (!stored) return null;
    if (now - stored.lastSeenAt >= this.times.idleMs) {
      this.repo.deleteSession(idHash);
      return null;
    }
    if (now - stored.lastSeenAt >= TOUCH_EVERY_MS) this.repo.touchSession(idHash, now);
    return { id, csrf: stored.csrf, createdAt: stored.createdAt, expiresAt: stored.expiresAt };
  }

  end(id: string): void {
    this.repo.deleteSession(hashSessionId(id));
  }

  endOthers(keep: string | null): void {
    this.repo.deleteOtherSessions(keep === null ? null : hashSessionId(keep));
  }
}

export function sameToken(given: string | undefined, expected: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
