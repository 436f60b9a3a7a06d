/**
 * Sessions: a random id in an HttpOnly cookie and a random CSRF token the page sends back as the
 * `x-csrf-token` header on every change. Both live in tracksink.db so a restart keeps people logged in.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { AuthRepo, SessionRow } from '../../store/repos/auth-repo.js';

export const SESSION_COOKIE = 'tracksink_session';
export const SESSION_TTL_MS = 7 * 24 * 3_600_000;

export class SessionStore {
  constructor(
    private readonly repo: AuthRepo,
    private readonly now: () => number,
  ) {}

  create(): SessionRow {
    const createdAt = this.now();
    const session = {
      id: randomBytes(32).toString('base64url'),
      csrf: randomBytes(24).toString('base64url'),
      createdAt,
      expiresAt: createdAt + SESSION_TTL_MS,
    };
    this.repo.deleteExpired(createdAt);
    this.repo.createSession(session);
    return session;
  }

  find(id: string | undefined): SessionRow | null {
    if (!id || id.length > 100) return null;
    return this.repo.session(id, this.now());
  }

  end(id: string): void {
    this.repo.deleteSession(id);
  }

  endOthers(keep: string | null): void {
    this.repo.deleteOtherSessions(keep);
  }
}

export function sameToken(given: string | undefined, expected: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
