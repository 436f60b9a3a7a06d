/**
 * The PostgreSQL side of one tracksink process (TRACKSINK_DATABASE_URL set): the checked URL, this
 * replica's name, a pool for the main thread, and the schema migrated (or refused when newer). Without
 * the variable openPgBackend returns null and tracksink keeps its two SQLite files only.
 */
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { registerReplica } from './log-partitions.js';
import { connectPool, type PgPool } from './pg-connect.js';
import { migratePg } from './pg-migrate.js';
import { databaseUrlFromEnv, type PgTarget } from './pg-url.js';

export const REPLICA_ENV = 'TRACKSINK_REPLICA';

export interface PgBackend {
  target: PgTarget;
  /** This process's name among the replicas (TRACKSINK_REPLICA, else host name and data folder). */
  replica: string;
  pool: PgPool;
  /** This replica's id in `replicas` (its block of device ids: devices-repo's useDeviceIdBlock). */
  number: number;
  /** Migrations applied at this start. */
  applied: string[];
  close(): Promise<void>;
}

/** TRACKSINK_REPLICA, or the host name with a short hash of the data folder (stable across restarts). */
export function replicaName(env: NodeJS.ProcessEnv, dataDir: string): string {
  const given = env[REPLICA_ENV]?.trim();
  if (given) return given;
  const folder = createHash('sha256').update(resolve(dataDir)).digest('hex').slice(0, 6);
  return `${hostname()}-${folder}`;
}

export async function openPgBackend(options: {
  env?: NodeJS.ProcessEnv;
  /** The config file's database.url (TRACKSINK_DATABASE_URL in `env` wins). */
  configUrl?: string;
  dataDir: string;
  onIdleError?: (message: string) => void;
}): Promise<PgBackend | null> {
  const env = options.env ?? process.env;
  const target = databaseUrlFromEnv(env, options.configUrl);
  if (target === null) return null;
  const replica = replicaName(env, options.dataDir);
  const pool = await connectPool(target, {
    applicationName: `tracksink ${replica}`,
    max: 4,
    onIdleError: options.onIdleError,
  });
  try {
    const applied = await migratePg(pool, target);
    const number = await registerReplica(pool, replica);
    return { target, replica, pool, number, applied, close: () => pool.end().catch(() => {}) };
  } catch (error) {
    await pool.end().catch(() => {});
    throw error;
  }
}
