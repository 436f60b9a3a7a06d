/**
 * Opens a SQLite database with the pragmas the design asks for (WAL, synchronous=NORMAL or FULL, foreign keys,
 * busy timeout) and applies numbered migrations from a folder, each in its own transaction, tracked by
 * PRAGMA user_version. Migration files are named NNNN-what.sql; their number is their version.
 */
import Database from 'better-sqlite3';
import { chmodSync, closeSync, existsSync, openSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { migrationsRoot } from '../paths.js';

export type Db = Database.Database;

/** The query log's file in the data directory (the writer thread, Analytics and AppRollups open it). */
export const QUERY_LOG_FILE = 'querylog.db';

/** Folder of this module's migrations, from the TypeScript sources, tsc's build and the bundle alike. */
export function migrationsDir(which: 'config' | 'querylog'): string {
  return join(migrationsRoot, which);
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
  /**
   * NORMAL (default) syncs the WAL only at checkpoints: fast, and a power cut or disk failure can take
   * the last commits. FULL syncs every commit: for rarely written data that must not be lost.
   */
  synchronous?: 'NORMAL' | 'FULL';
  /**
   * The connection's page cache in KiB (default READER_CACHE_KIB). Each connection keeps its own, and
   * fills it as the database is read: better-sqlite3's default of 16 MB per connection grew the process
   * by tens of MB as querylog.db grew. A small one costs little: pages not in it come from the OS page
   * cache, which the kernel shares and gives back under pressure.
   */
  cacheKib?: number;
}

/** Page cache per connection (KiB) unless a caller asks for more: see OpenOptions.cacheKib. */
export const READER_CACHE_KIB = 2048;

/** From this many distinct names in querylog.db the log writer's page cache is the large one. */
export const WRITER_LARGE_CACHE_FROM_NAMES = 200_000;

/**
 * The log writer's page cache (KiB) for a names table of this size. Its upserts into the per-name rollups
 * touch index pages all over tables keyed by name: with a million names a cache under 32 MB cost the writer
 * 12–15 % more CPU per event (bench:writer, 1,000,000 blocked names), with 100,000 names or a household's mix
 * 8 MB cost nothing, and 4 MB nothing more (bench/GAP.md "trim pass": 22.5–25.6 against 24.1–27.8 µs per
 * blocked event, 13.4–14.5 against 13.8–19.7 home mix, alternated). The cache also keeps the raw rows' pages the writer appended and never reads again, so a
 * large one fills over an hour of household traffic (~24 MB more resident memory): large only when needed.
 */
export function writerCacheKib(names: number): number {
  return names >= WRITER_LARGE_CACHE_FROM_NAMES ? 32_768 : 4096;
}

/**
 * Database files are for tracksink's user only (0600): they hold the query log, the password hash and
 * sessions. A new file is created 0600 before SQLite opens it (SQLite gives its -wal and -shm files the
 * main file's mode); an existing one we own loses its group and other bits, with its -wal and -shm (the
 * owner's bits stay: a read-only file stays read-only). Failures are left to SQLite, whose open error
 * says more (openConfigDb adds what to check).
 */
function makePrivate(path: string): void {
  if (path === ':memory:' || path === '') return;
  try {
    if (!existsSync(path)) {
      closeSync(openSync(path, 'a', 0o600));
      return;
    }
    for (const file of [path, `${path}-wal`, `${path}-shm`]) {
      if (!existsSync(file)) continue;
      const stat = statSync(file);
      const ownedByUs = typeof process.getuid !== 'function' || stat.uid === process.getuid();
      if (ownedByUs && (stat.mode & 0o077) !== 0) chmodSync(file, stat.mode & 0o700);
    }
  } catch {
    // Not creatable or not ours to change: SQLite's own open below reports the real problem.
  }
}

export function openDatabase(path: string, options: OpenOptions = {}): Db {
  if (!options.readonly) makePrivate(path);
  const db = new Database(path, {
    readonly: options.readonly ?? false,
    fileMustExist: options.readonly ?? false,
  });
  db.pragma('busy_timeout = 5000');
  // Negative: KiB rather than pages (SQLite's convention), so it holds whatever the page size.
  db.pragma(`cache_size = -${Math.max(64, Math.floor(options.cacheKib ?? READER_CACHE_KIB))}`);
  if (!options.readonly) {
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${options.synchronous ?? 'NORMAL'}`);
  }
  db.pragma('foreign_keys = ON');
  if (options.migrations && !options.readonly) migrate(db, readMigrations(options.migrations));
  return db;
}

/** tracksink.db: the user's configuration data. */
export function openConfigDb(path: string): Db {
  try {
    // FULL: a rule or device saved just before a power cut or a disk failure must still be there after
    // it (with NORMAL it was lost: tests/resilience/store/process-faults.test.ts). Writes here are rare.
    return openDatabase(path, { migrations: migrationsDir('config'), synchronous: 'FULL' });
  } catch (error) {
    // SQLite says only "unable to open database file" or "attempt to write a readonly database": say
    // which file, and what the operator can check, since this stops tracksink from starting.
    const code = (error as { code?: string }).code ?? '';
    const hint = /CANTOPEN|READONLY|FULL|IOERR|PERM/.test(code)
      ? ' (is the data directory there, writable, and not full?)'
      : '';
    throw new Error(`could not open ${path}: ${(error as Error).message}${hint}`, { cause: error });
  }
}
