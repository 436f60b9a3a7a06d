/**
 * Connections to PostgreSQL (node-postgres pools). A failed first connection becomes one clear start-up
 * error that names the server (user@host:port/database) and what to check, never the password. Idle
 * connections that break later (the server restarted, the network went away) are only reported: the
 * pool opens new ones on the next query, and callers decide what a failed query means for them.
 */
import pg from 'pg';
import { type PgTarget, withoutPassword } from './pg-url.js';

export type PgPool = pg.Pool;
export type PgClient = pg.PoolClient;

export class PgConnectError extends Error {
  override name = 'PgConnectError';
}

export interface PoolOptions {
  /** Shown in pg_stat_activity: which replica and which part of it holds the connection. */
  applicationName: string;
  max?: number;
  /** How long an unused connection stays open (default 30 s). */
  idleTimeoutMs?: number;
  /** How long one connection attempt may take. */
  connectTimeoutMs?: number;
  /** Called when an idle connection fails (message without the password). */
  onIdleError?: (message: string) => void;
}

export function createPool(target: PgTarget, options: PoolOptions): PgPool {
  const pool = new pg.Pool({
    connectionString: target.url,
    application_name: options.applicationName.slice(0, 63),
    max: options.max ?? 4,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
    idleTimeoutMillis: options.idleTimeoutMs ?? 30_000,
  });
  // Without a listener an idle connection's error (server restart) would end the process.
  pool.on('error', (error) => options.onIdleError?.(withoutPassword(error.message, target)));
  return pool;
}

/** What went wrong, in words an operator can act on. */
export function explainPgError(error: unknown, target: PgTarget): string {
  const code = (error as { code?: string } | null)?.code ?? '';
  const message = withoutPassword((error as Error | null)?.message ?? String(error), target);
  switch (code) {
    case 'ECONNREFUSED':
      return `nothing listens there (${message}): is PostgreSQL running, and on that port?`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `the host name does not resolve (${message})`;
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `the host cannot be reached (${message})`;
    case '28P01':
    case '28000':
      return `the server refused the login (${message}): check the user and password`;
    case '3D000':
      return `${message}: create it first (createdb) or fix the name in the URL`;
    default:
      return code === '' ? message : `${code}: ${message}`;
  }
}

/** Opens a pool and proves it with one query; throws PgConnectError naming the server. */
export async function connectPool(target: PgTarget, options: PoolOptions): Promise<PgPool> {
  const pool = createPool(target, options);
  try {
    await pool.query('SELECT 1');
    return pool;
  } catch (error) {
    await pool.end().catch(() => {});
    throw new PgConnectError(
      `could not connect to PostgreSQL at ${target.describe}: ${explainPgError(error, target)}`,
      { cause: error },
    );
  }
}
