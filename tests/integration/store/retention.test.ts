import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { emptyQueryEvent } from '../../../server/events/query-event.js';
import { DAY_MS, HOUR_MS, LogWriter } from '../../../server/store/log-writer.js';
import { decoded, makeEvent, tempDir } from './log-fixtures.js';

const dir = tempDir('retention');
afterAll(() => dir.remove());

describe('retention', () => {
  it('prunes the raw log, minute/hour/day rollups and name counters in small steps', () => {
    const now = Date.UTC(2026, 10, 20, 12);
    const dbPath = join(dir.path, 'querylog.db');
    const writer = new LogWriter({
      dbPath,
      retentionDays: 30,
      rollupRetentionDays: 35,
      queries: 'all',
      anonymizeClients: false,
    });
    expect(writer.open()).toBe(true);
    const ev = emptyQueryEvent();
    const total = 40_000;
    const span = 40 * DAY_MS; // 40 days of history, oldest first
    for (let start = 0; start < total; start += 2000) {
      const batch = [];
      for (let i = start; i < start + 2000; i++)
        batch.push(decoded(makeEvent(i, now - span + Math.floor((i * span) / total), ev)));
      writer.write(batch, now, true);
    }
    const rawCutoff = now - 30 * DAY_MS;
    const db = new Database(dbPath, { readonly: true });
    const keptBefore = db
      .prepare('SELECT count(*) FROM queries WHERE time >= ?')
      .pluck()
      .get(rawCutoff) as number;
    const oldBefore = db
      .prepare('SELECT count(*) FROM queries WHERE time < ?')
      .pluck()
      .get(rawCutoff) as number;
    expect(oldBefore).toBeGreaterThan(5000); // more than one prune step's worth

    let steps = 0;
    const oldest = () => db.prepare('SELECT min(time) FROM queries').pluck().get() as number;
    while (oldest() < rawCutoff && steps < 100) {
      writer.prune(now);
      steps++;
    }
    expect(steps).toBeGreaterThan(1); // it took several small steps, not one big DELETE
    for (let i = 0; i < 200; i++) writer.prune(now); // finish the rollup pass (one table × device per step)
    expect(writer.error).toBeNull();

    const count = (sql: string, ...params: number[]) =>
      db
        .prepare(sql)
        .pluck()
        .get(...params) as number;
    expect(count('SELECT count(*) FROM queries WHERE time < ?', rawCutoff)).toBe(0);
    expect(count('SELECT count(*) FROM queries')).toBe(keptBefore);
    expect(count('SELECT count(*) FROM counts_minute WHERE bucket < ?', now - 48 * HOUR_MS)).toBe(0);
    expect(count('SELECT count(*) FROM totals_minute WHERE bucket < ?', now - 48 * HOUR_MS)).toBe(0);
    expect(count('SELECT count(*) FROM counts_minute')).toBeGreaterThan(0);
    for (const table of ['counts_hour', 'counts_day', 'totals_hour', 'totals_day']) {
      expect(count(`SELECT count(*) FROM ${table} WHERE bucket < ?`, now - 35 * DAY_MS)).toBe(0);
      // Rollups outlive the raw log: 30–35 days ago is still there.
      expect(count(`SELECT count(*) FROM ${table} WHERE bucket < ?`, rawCutoff)).toBeGreaterThan(0);
    }
    expect(count('SELECT count(*) FROM names_day WHERE bucket < ?', rawCutoff)).toBe(0);
    expect(count('SELECT count(*) FROM names_hour WHERE bucket < ?', rawCutoff)).toBe(0);
    expect(count('SELECT count(*) FROM names_day')).toBeGreaterThan(0);
    // Per-name totals follow the pruned raw log exactly.
    const totals = db
      .prepare('SELECT device_id, name_id, status, count AS n FROM names_total ORDER BY 1, 2, 3')
      .all();
    const raw = db
      .prepare(
        `SELECT device_id, name_id, status, count(*) AS n FROM queries GROUP BY 1, 2, 3
         UNION ALL SELECT -1, name_id, status, count(*) FROM queries GROUP BY 2, 3 ORDER BY 1, 2, 3`,
      )
      .all();
    expect(totals).toEqual(raw);
    db.close();
    writer.close();
  });
});
