/**
 * Opens a SQLite database with the pragmas the design asks for (WAL, synchronous=NORMAL, foreign keys,
 * busy timeout) and applies numbered migrations from a folder, each in its own transaction, tracked by
 * PRAGMA user_version. Migration files are named NNNN-what.sql; their number is their version.
 */
import Database from 'better-sqlite3';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type Db = Database.Database;

/** Folder of this module's migrations, both from TypeScript sources and from the build in dist/. */
export function migrationsDir(which: 'config' | 'querylog'): string {
  const here = dirname(fileURLToPath(import.meta.url));
  // dist/server/store → the .sql files are not compiled, so read them from the source tree.
  const source = here.includes(`${join('dist', 'server')}`)
    ? here.replace(join('dist', 'server'), 'server')
    : here;
  return join(source, 'migrations', which);
}

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export function readMigrations(dir: string): Migration[] {
  const files = readdirSync(dir).filter((file) => /^\d{4}-.+\.sql$/.test(file));
  const migrations = files.map((file) => ({
    version: Number(file.slice(0, 4)),
    name: file,
    sql: readFileSync(join(dir, file), 'utf8'),
  }));
  migrations.sort((a, b) => a.version - b.version);
  for (let i = 1; i < migrations.length; i++) {
    const previous = migrations[i - 1] as Migration;
    const current = migrations[i] as Migration;
    if (current.version === previous.version) {
      throw new Error(
        `two migrations share version ${current.version}: ${previous.name} and ${current.name}`,
      );
    }
  }
  return migrations;
}

/** Applies every migration newer than the database's user_version; returns the names applied. */
export function migrate(db: Db, migrations: Migration[]): string[] {
  const current = db.pragma('user_version', { simple: true }) as number;
  const applied: string[] = [];
  for (const migration of migrations) {
    if (migration.version <= current) continue;
    const apply = db.transaction(() => {
      db.exec(migration.sql);
      db.pragma(`user_version = ${migration.version}`);
    });
    try {
      apply();
    } catch (error) {
      throw new Error(`migration ${migration.name} failed: ${(error as Error).message}`, { cause: error });
    }
    applied.push(migration.name);
  }
  return applied;
}

export interface OpenOptions {
  readonly?: boolean;
  /** Apply migrations from this folder (not for read-only handles). */
  migrations?: string;
}

export function openDatabase(path: string, options: OpenOptions = {}): Db {
  const db = new Database(path, {
    readonly: options.readonly ?? false,
    fileMustExist: options.readonly ?? false,
  });
  db.pragma('busy_timeout = 5000');
  if (!options.readonly) {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
  }
  db.pragma('foreign_keys = ON');
  if (options.migrations && !options.readonly) migrate(db, readMigrations(options.migrations));
  return db;
}

/** tracksink.db: the user's configuration data. */
export function openConfigDb(path: string): Db {
  return openDatabase(path, { migrations: migrationsDir('config') });
}
