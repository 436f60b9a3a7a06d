/**
 * SQLite's page cache per connection (issue 16, memory): readers keep a small one (the OS page cache holds the
 * rest), the log writer 4 MB while its names table is a household's and 32 MB once it holds a large list's
 * names, switched at start and while names are added.
 */
import type Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { emptyQueryEvent } from '../../../server/events/query-event.js';
import { LogWriter } from '../../../server/store/log-writer.js';
import {
  migrationsDir,
  openDatabase,
  READER_CACHE_KIB,
  WRITER_LARGE_CACHE_FROM_NAMES,
} from '../../../server/store/sqlite.js';
import { decoded, makeEvent, tempDir } from './log-fixtures.js';

const NOW = Date.UTC(2026, 10, 20, 12);
const dirs: Array<{ remove(): void }> = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) dir.remove();
});

function logPath(): string {
  const dir = tempDir('page-caches');
  dirs.push(dir);
  return join(dir.path, 'querylog.db');
}

const cacheKib = (db: Database.Database): number => -Number(db.pragma('cache_size', { simple: true }));

function openWriter(dbPath: string): LogWriter {
  const writer = new LogWriter({
    dbPath,
    retentionDays: 30,
    rollupRetentionDays: 365,
    queries: 'all',
    anonymizeClients: false,
  });
  expect(writer.open()).toBe(true);
  return writer;
}

/** Fills the names table with `count` names, as a writer that logged that many would have. */
function prefillNames(dbPath: string, count: number): void {
  const db = openDatabase(dbPath, { migrations: migrationsDir('querylog') });
  db.exec(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${count})
           INSERT INTO names (name) SELECT 'host' || i || '.example.com' FROM n`);
  db.close();
}

describe('page cache per connection', () => {
  it('a reader or tracksink.db connection keeps 2 MB, not better-sqlite3’s 16 MB', () => {
    const dbPath = logPath();
    openDatabase(dbPath, { migrations: migrationsDir('querylog') }).close();
    const reader = openDatabase(dbPath, { readonly: true });
    expect(cacheKib(reader)).toBe(READER_CACHE_KIB);
    expect(READER_CACHE_KIB).toBeLessThanOrEqual(4096);
    reader.close();
  });

  it('the log writer keeps 4 MB for a household’s names, 32 MB from a large list’s', () => {
    const small = openWriter(logPath());
    expect(cacheKib(small.handle as Database.Database)).toBe(4096);
    small.close();

    const largePath = logPath();
    prefillNames(largePath, WRITER_LARGE_CACHE_FROM_NAMES);
    const large = openWriter(largePath);
    expect(cacheKib(large.handle as Database.Database)).toBe(32_768);
    large.close();
  });

  it('the log writer switches to the large cache when the names it adds reach the threshold', () => {
    const dbPath = logPath();
    prefillNames(dbPath, WRITER_LARGE_CACHE_FROM_NAMES - 2);
    const writer = openWriter(dbPath);
    const handle = writer.handle as Database.Database;
    const event = (name: string, i: number) => {
      const ev = makeEvent(i, NOW, emptyQueryEvent());
      ev.name = name;
      return decoded(ev);
    };
    writer.write([event('new1.example.com', 0)], NOW);
    expect(cacheKib(handle)).toBe(4096);
    writer.write([event('new2.example.com', 1), event('new1.example.com', 2)], NOW + 10);
    expect(cacheKib(handle)).toBe(32_768);
    writer.close();
  });
});
