/**
 * Who may use the dashboard: the password (from config/env, else the one set on first run and kept as a
 * scrypt hash in tracksink.db), sessions, and the login lockout.
 */
import type { AuthRepo } from '../../store/repos/auth-repo.js';
import { hashPassword, verifyPassword } from './password.js';
import { LoginLockout } from './lockout.js';
import { SessionStore } from './session-store.js';

export class AuthService {
  readonly sessions: SessionStore;
  readonly lockout: LoginLockout;
  private configHash: string | null = null;

  private constructor(
    private readonly repo: AuthRepo,
    private readonly now: () => number,
  ) {
    this.sessions = new SessionStore(repo, now);
    this.lockout = new LoginLockout({ now });
  }

  static async create(repo: AuthRepo, configPassword: string, now: () => number): Promise<AuthService> {
    const service = new AuthService(repo, now);
    // Hash the configured password once, so checking it costs the same as checking a stored one.
    if (configPassword) service.configHash = await hashPassword(configPassword);
    return service;
  }

  get passwordFromConfig(): boolean {
    return this.configHash !== null;
  }

  get setupNeeded(): boolean {
    return this.configHash === null && this.repo.passwordHash() === null;
  }

  async check(password: string): Promise<boolean> {
    const hash = this.configHash ?? this.repo.passwordHash();
    if (hash === null) return false;
    return verifyPassword(password, hash);
  }

  /** First-run setup: false when a password is already set (someone was faster). */
  async setInitial(password: string): Promise<boolean> {
    if (!this.setupNeeded) return false;
    return this.repo.setPasswordHashIfUnset(await hashPassword(password), this.now());
  }

  async change(password: string): Promise<void> {
    this.repo.setPasswordHash(await hashPassword(password), this.now());
  }
}
