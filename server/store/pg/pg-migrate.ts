/**
 * Versioned migrations of the PostgreSQL schema, numbered like the SQLite ones
 * (store/migrations/postgres/NNNN-what.sql), each applied in its own transaction and recorded in
 * tracksink_migrations. Replicas starting together take turns through an advisory lock. A database whose
 * schema is newer than this tracksink knows (written by a later version) is refused and left untouched:
 * an older program must not write tables whose meaning it does not know.
 */
import { join } from 'node:path';
import { migrationsRoot } from '../../paths.js';
import { readMigrations, type Migration } from '../sqlite.js';
import type { PgPool } from './pg-connect.js';
import type { PgTarget } from './pg-url.js';

export class PgSchemaError extends Error {
  override name = 'PgSchemaError';
}

/** One lock id for "migrating tracksink's schema" (any 64-bit constant that is ours). */
const MIGRATION_LOCK = 7_261_533_001;

export function pgMigrationsDir(): string {
  return join(migrationsRoot, 'postgres');
}

export function pgMigrations(): Migration[] {
  return readMigrations(pgMigrationsDir());
}

/** The newest version recorded in the database (0 for an empty database). */
export async function pgSchemaVersion(pool: PgPool): Promise<number> {
  const exists = await pool.query<{ present: boolean }>(
    "SELECT to_regclass('tracksink_migrations') IS NOT NULL AS present",
  );
  if (exists.rows[0]?.present !== true) return 0;
  const result = await pool.query<{ version: number | null }>(
    'SELECT max(version) AS version FROM tracksink_migrations',
  );
  return result.rows[0]?.version ?? 0;
}

/** Applies every migration newer than the database's; returns the names applied. */
export async function migratePg(
  pool: PgPool,
  target: PgTarget,
  migrations: Migration[] = pgMigrations(),
): Promise<string[]> {
  const client = await pool.connect();
  const applied: string[] = [];
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await client.query(`CREATE TABLE IF NOT EXISTS tracksink_migrations (
      version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const rows = await client.query<{ version: number; name: string }>(
      'SELECT version, name FROM tracksink_migrations ORDER BY version DESC LIMIT 1',
    );
    const current = rows.rows[0]?.version ?? 0;
    const known = migrations.at(-1)?.version ?? 0;
    if (current > known) {
      throw new PgSchemaError(
        `the PostgreSQL database ${target.describe} has schema version ${current} (${rows.rows[0]?.name ?? '?'}), ` +
          `newer than this tracksink knows (up to ${known}): it was written by a later tracksink. Upgrade this ` +
          'tracksink to that version; the database was left unchanged.',
      );
    }
    for (const migration of migrations) {
      if (migration.version <= current) continue;
      try {
        await client.query('BEGIN');
        await client.query(migration.sql);
        await client.query('INSERT INTO tracksink_migrations (version, name) VALUES ($1, $2)', [
          migration.version,
          migration.name,
        ]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw new PgSchemaError(
          `PostgreSQL migration ${migration.name} failed on ${target.describe}: ${(error as Error).message}`,
          { cause: error },
        );
      }
      applied.push(migration.name);
    }
    return applied;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => {});
    client.release();
  }
}
