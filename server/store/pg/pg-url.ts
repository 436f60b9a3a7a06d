/**
 * TRACKSINK_DATABASE_URL: `postgres://user:password@host:port/database` (or `postgresql://`). Parsed and
 * checked here so a mistake is reported before any connection, naming the host and never the password:
 * every message about the database uses `describe` (user@host:port/database), never the URL itself.
 */
export class PgConfigError extends Error {
  override name = 'PgConfigError';
}

export interface PgTarget {
  host: string;
  port: number;
  database: string;
  user: string;
  /** The URL to hand to the client (with the password). Never log it. */
  url: string;
  /** `user@host:port/database`: safe to print. */
  describe: string;
}

export const DATABASE_URL_ENV = 'TRACKSINK_DATABASE_URL';
/** The config file's key for the same URL (the environment variable wins). */
export const DATABASE_URL_KEY = 'database.url';

/**
 * The URL from the environment, else the config file's `database.url` (`configUrl`), or null when
 * PostgreSQL is not configured (SQLite, the default). Errors name where the URL came from.
 */
export function databaseUrlFromEnv(env: NodeJS.ProcessEnv = process.env, configUrl = ''): PgTarget | null {
  const raw = env[DATABASE_URL_ENV]?.trim();
  if (raw !== undefined && raw !== '') return parseDatabaseUrl(raw, DATABASE_URL_ENV);
  const fromFile = configUrl.trim();
  return fromFile === '' ? null : parseDatabaseUrl(fromFile, DATABASE_URL_KEY);
}

/** Parses and checks the URL; `from` (the variable or key it came from) names it in every error. */
export function parseDatabaseUrl(raw: string, from: string = DATABASE_URL_ENV): PgTarget {
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    // The text may hold a password: say only what shape was expected.
    throw new PgConfigError(`${from} is not a URL: expected postgres://user:password@host:port/database`);
  }
  const scheme = parsed.protocol.replace(/:$/, '');
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  const where = host === '' ? '(no host)' : host;
  if (scheme !== 'postgres' && scheme !== 'postgresql') {
    throw new PgConfigError(
      `${from} for host ${where} must start with postgres:// or postgresql://, not ${scheme}://`,
    );
  }
  if (host === '') {
    throw new PgConfigError(`${from} names no host: expected postgres://user:password@host:port/database`);
  }
  const port = parsed.port === '' ? 5432 : Number(parsed.port);
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (database === '' || database.includes('/')) {
    throw new PgConfigError(
      `${from} for host ${host} names no database: add it after the port (…@${host}:${port}/tracksink)`,
    );
  }
  const user = decodeURIComponent(parsed.username);
  if (user === '') {
    throw new PgConfigError(`${from} for host ${host} names no user (postgres://user:password@…)`);
  }
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return { host, port, database, user, url: raw, describe: `${user}@${shownHost}:${port}/${database}` };
}

/** Removes the password of `target` from a message (a driver error might quote the URL). */
export function withoutPassword(message: string, target: Pick<PgTarget, 'url'>): string {
  let password: string;
  try {
    password = decodeURIComponent(new URL(target.url).password);
  } catch {
    return message;
  }
  if (password === '') return message;
  let out = message;
  for (const form of new Set([password, encodeURIComponent(password)])) out = out.split(form).join('***');
  return out;
}
