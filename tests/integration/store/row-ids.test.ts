/**
 * Raw rows keep increasing ids even after retention empties the `queries` table. SQLite numbers a plain
 * INTEGER PRIMARY KEY from max(id) + 1, so an empty table would start again at 1, and everything that
 * resumes from a row id (the name rollups' rollup_state 'names', the app rollups' 'apps', the live tail)
 * would wait until the new ids passed the old high mark: the dashboard's top names froze.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { emptyQueryEvent } from '../../../server/events/query-event.js';
import { DAY_MS, LogWriter } from '../../../server/store/log-writer.js';
import { decoded, makeEvent, tempDir } from './log-fixtures.js';

const NOW = Date.UTC(2026, 10, 20, 12);
const dirs: Array<{ remove(): void }> = [];

afterEach(() => {
  for (const dir of dirs.splice(0)) dir.remove();
});

function newWriter(dbPath: string): LogWriter {
  const writer = new LogWriter({
    dbPath,
    retentionDays: 1,
    rollupRetentionDays: 365,
    queries: 'all',
    anonymizeClients: false,
  });
  expect(writer.open()).toBe(true);
  return writer;
}

function events(count: number, time: number, first = 0): Array<ReturnType<typeof decoded>> {
  return Array.from({ length: count }, (_, i) => {
    const ev = decoded(makeEvent(first + i, time + i, emptyQueryEvent()));
    ev.name = `r${first + i}.ids.example`;
    return ev;
  });
}

function read(dbPath: string): { rows: number; minId: number; state: number; total: number; hour: number } {
  const db = new Database(dbPath, { readonly: true });
  try {
    const one = (sql: string): number => (db.prepare(sql).pluck().get() as number | null) ?? 0;
    return {
      rows: one('SELECT count(*) FROM queries'),
      minId: one('SELECT min(id) FROM queries'),
      state: one(`SELECT last_id FROM rollup_state WHERE name = 'names'`),
      total: one('SELECT sum(count) FROM names_total WHERE device_id = -1'),
      hour: one('SELECT sum(count) FROM names_hour'),
    };
  } finally {
    db.close();
  }
}

/** Writes 3,000 rows two days old, rolls them up, then prunes until retention has emptied the table. */
function fillThenEmpty(writer: LogWriter, dbPath: string): void {
  for (let start = 0; start < 3000; start += 1000)
    writer.write(events(1000, NOW - 2 * DAY_MS + start, start), NOW - 2 * DAY_MS + start, true);
  expect(read(dbPath)).toMatchObject({ rows: 3000, state: 3000, total: 3000 });
  for (let i = 0; i < 10 && read(dbPath).rows > 0; i++) writer.prune(NOW);
  expect(writer.error).toBeNull();
  expect(read(dbPath)).toMatchObject({ rows: 0, total: 0 });
}

describe('raw row ids after retention empties the log', () => {
  it('new rows continue after the old high mark and are rolled up at once', () => {
    const dir = tempDir('row-ids');
    dirs.push(dir);
    const dbPath = join(dir.path, 'querylog.db');
    const writer = newWriter(dbPath);
    fillThenEmpty(writer, dbPath);

    writer.write(events(50, NOW - 10_000, 5000), NOW - 10_000, true);
    writer.close();
    const after = read(dbPath);
    expect(after).toMatchObject({ rows: 50, state: 3050, total: 50 });
    expect(after.minId).toBe(3001);
    // names_hour kept the old all-devices hours (pruned later with the rollups): 3,000 old + 50 new.
    expect(after.hour).toBe(3050);
  });

  it('also across a restart while the table is empty (ids taken from rollup_state)', () => {
    const dir = tempDir('row-ids');
    dirs.push(dir);
    const dbPath = join(dir.path, 'querylog.db');
    let writer = newWriter(dbPath);
    fillThenEmpty(writer, dbPath);
    writer.close(); // no flush: as if the process stopped here

    writer = newWriter(dbPath);
    writer.write(events(50, NOW - 10_000, 5000), NOW - 10_000);
    writer.write(events(50, NOW - 5000, 6000), NOW - 5000, true);
    writer.close();
    const after = read(dbPath);
    expect(after).toMatchObject({ rows: 100, state: 3100, total: 100 });
    expect(after.minId).toBe(3001);
  });
});
