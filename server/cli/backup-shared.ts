/**
 * `npm run backup` with TRACKSINK_DATABASE_URL: the configuration replicas share lives in PostgreSQL
 * (store/pg/config-replication.ts), so an export reads that shared document and an import, once it has
 * replaced tracksink.db here (all checks passed), becomes the shared document, which running replicas
 * take within seconds. node-postgres loads only in that case.
 */
import type { PgPool } from '../store/pg/pg-connect.js';
import { databaseUrlFromEnv } from '../store/pg/pg-url.js';

export function sharedConfigured(env: NodeJS.ProcessEnv): boolean {
  return databaseUrlFromEnv(env) !== null;
}

async function withBackend<T>(
  env: NodeJS.ProcessEnv,
  dataDir: string,
  run: (pool: PgPool) => Promise<T>,
): Promise<T> {
  const { openPgBackend } = await import('../store/pg/pg-backend.js');
  const backend = await openPgBackend({ env, dataDir });
  if (backend === null) throw new Error('TRACKSINK_DATABASE_URL is not set');
  try {
    return await run(backend.pool);
  } finally {
    await backend.close();
  }
}

/** The shared document (null before any replica wrote one) and where it came from. */
export async function readShared(
  env: NodeJS.ProcessEnv,
  dataDir: string,
): Promise<{ data: Record<string, unknown>; describe: string } | null> {
  const { readSharedConfig } = await import('../store/pg/config-replication.js');
  const describe = (databaseUrlFromEnv(env) as { describe: string }).describe;
  const shared = await withBackend(env, dataDir, (pool) => readSharedConfig(pool));
  return shared === null ? null : { data: shared.data, describe };
}

/** Makes `data` the shared document; returns its version. */
export async function publishShared(
  env: NodeJS.ProcessEnv,
  dataDir: string,
  data: Record<string, unknown>,
): Promise<{ version: number; describe: string }> {
  const { writeSharedConfig } = await import('../store/pg/config-replication.js');
  const describe = (databaseUrlFromEnv(env) as { describe: string }).describe;
  const version = await withBackend(env, dataDir, (pool) => writeSharedConfig(pool, 'npm run backup', data));
  return { version, describe };
}
