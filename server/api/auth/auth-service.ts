/**
 * Who may use the dashboard: the password (from config/env, else the one set on first run with the
 * printed setup code and kept as a scrypt hash in tracksink.db), sessions, and the login lockout.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { AuthRepo } from '../../store/repos/auth-repo.js';
import { LoginLockout } from './lockout.js';
import { hashPassword, verifyPassword } from './password.js';
import { SessionStore, type SessionTimes } from './session-store.js';
import { ensureSetupCode, removeSetupCode, sameSetupCode, setupCodePath } from './setup-code.js';

export interface AuthOptions {
  configPassword: string;
  /** Where the setup code file lives while no password is set. */
  dataDir: string;
  sessions?: SessionTimes;
  logger?: FastifyBaseLogger;
  now: () => number;
}

export class AuthService {
  readonly sessions: SessionStore;
  readonly lockout: LoginLockout;
  private configHash: string | null = null;
  private setupCode: string | null = null;

  private constructor(
    private readonly repo: AuthRepo,
    private readonly options: AuthOptions,
  ) {
    this.sessions = new SessionStore(repo, options.now, options.sessions);
    this.lockout = new LoginLockout({ now: options.now });
  }

  static async create(repo: AuthRepo, options: AuthOptions): Promise<AuthService> {
    const service = new AuthService(repo, options);
    // Hash the configured password once, so checking it costs the same as checking a stored one.
    if (options.configPassword) service.configHash = await hashPassword(options.configPassword);
    if (service.setupNeeded) {
      service.setupCode = ensureSetupCode(options.dataDir);
      options.logger?.warn(
        { setupCodeFile: setupCodePath(options.dataDir) },
        `first run: no dashboard password yet; open the dashboard and enter setup code ${service.setupCode}`,
      );
    } else {
      removeSetupCode(options.dataDir);
    }
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

  checkSetupCode(code: string): boolean {
    return this.setupCode !== null && sameSetupCode(code, this.setupCode);
  }

  /** First-run setup: false when a password is already set (someone was faster). */
  async setInitial(password: string): Promise<boolean> {
    if (!this.setupNeeded) return false;
    const set = this.repo.setPasswordHashIfUnset(await hashPassword(password), this.options.now());
    if (set) {
      this.setupCode = null;
      removeSetupCode(this.options.dataDir);
    }
    return set;
  }

  async change(password: string): Promise<void> {
    this.repo.setPasswordHash(await hashPassword(password), this.options.now());
  }
}
