/**
 * Test harness for the API: a real tracksink.db in a temp dir, buildApp with whatever modules a test
 * gives, and helpers to log in and send authenticated requests through inject().
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { buildApp, type AppDeps } from '../../../server/api/app.js';
import { readSetupCode } from '../../../server/api/auth/setup-code.js';
import { defaultConfig } from '../../../server/config/load.js';
import type { Config } from '../../../server/config/schema.js';
import { silentLogger } from '../../../server/logger.js';
import { configRepos } from '../../../server/store/config-repos.js';
import { openConfigDb, type Db } from '../../../server/store/sqlite.js';

export const PASSWORD = 'correct horse battery';

export interface Harness {
  app: FastifyInstance;
  db: Db;
  dir: string;
  config: Config;
  deps: AppDeps;
  /** Sets the password (first run) and logs in; returns cookie and CSRF token. */
  login(): Promise<Session>;
  close(): Promise<void>;
}

export interface Session {
  cookie: string;
  csrf: string;
  /** inject() with the session cookie and CSRF header. */
  request(options: InjectOptions): Promise<LightMyRequestResponse>;
}

export async function startHarness(
  extra: Partial<AppDeps> = {},
  tweak: (config: Config) => void = () => {},
): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'tracksink-api-'));
  const db = openConfigDb(join(dir, 'tracksink.db'));
  const config = defaultConfig();
  config.dataDir = dir;
  tweak(config);
  const deps: AppDeps = {
    config,
    repos: configRepos(db),
    logger: silentLogger,
    startedAt: Date.now(),
    ready: () => true,
    ...extra,
  };
  const app = await buildApp(deps);
  let session: Session | null = null;
  const harness: Harness = {
    app,
    db,
    dir,
    config,
    deps,
    async login() {
      if (session) return session;
      const status = (await app.inject({ method: 'GET', url: '/api/auth/status' })).json() as {
        setupNeeded: boolean;
      };
      const response = await app.inject({
        method: 'POST',
        url: status.setupNeeded ? '/api/auth/setup' : '/api/auth/login',
        // First run needs the setup code tracksink wrote into its data directory.
        payload: status.setupNeeded
          ? { password: PASSWORD, setupCode: readSetupCode(dir) ?? '' }
          : { password: PASSWORD },
      });
      if (response.statusCode !== 200)
        throw new Error(`login failed: ${response.statusCode} ${response.body}`);
      const cookie = response.cookies.find((c) => c.name === 'tracksink_session');
      if (!cookie) throw new Error('no session cookie');
      const csrf = (response.json() as { csrfToken: string }).csrfToken;
      const cookieHeader = `tracksink_session=${cookie.value}`;
      session = {
        cookie: cookieHeader,
        csrf,
        request: (options) =>
          app.inject({
            ...options,
            headers: { cookie: cookieHeader, 'x-csrf-token': csrf, ...(options.headers ?? {}) },
          }),
      };
      return session;
    },
    async close() {
      await app.close();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return harness;
}
