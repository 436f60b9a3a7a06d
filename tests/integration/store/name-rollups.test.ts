/**
 * The name rollups are summed by SQLite from the raw rows every few seconds (LogWriter.rollNames), and
 * the writer's name → id index lives in memory (NameIndex). These tests pin what that must not change:
 * a name filter finds rows written since the last pass, a reopened writer reuses the stored ids, and
 * the rollups catch up with every row, once.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { emptyQueryEvent } from '../../../server/events/query-event.js';
import { Analytics } from '../../../server/store/analytics.js';
import { DAY_MS, LogWriter } from '../../../server/store/log-writer.js';
import { NameIndex } from '../../../server/store/name-index.js';
import { decoded, makeEvent, tempDir } from './log-fixtures.js';

const NOW = Date.UTC(2026, 10, 20, 12);
const dirs: Array<{ remove(): void }> = [];

function newWriter(dbPath: string): LogWriter {
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

function eventFor(name: string, time: number, i = 0): ReturnType<typeof decoded> {
  const ev = makeEvent(i, time, emptyQueryEvent());
  ev.name = name;
  return decoded(ev);
}

afterEach(() => {
  for (const dir of dirs.splice(0)) dir.remove();
});

describe('name rollups summed from the raw rows', () => {
  it('a name filter finds a row written after the last rollup pass', () => {
    const dir = tempDir('rollups');
    dirs.push(dir);
    const dbPath = join(dir.path, 'querylog.db');
    const writer = newWriter(dbPath);
    writer.write([eventFor('old.example.com', NOW - 60_000)], NOW - 60_000); // first write: rolled
    writer.write([eventFor('fresh.example.com', NOW - 59_500)], NOW - 59_500); // 0.5 s later: not rolled yet
    const db = new Database(dbPath, { readonly: true });
    const inHours = db
      .prepare('SELECT count(*) FROM names_hour h JOIN names n ON n.id = h.name_id WHERE n.name = ?')
      .pluck();
    expect(inHours.get('old.example.com')).toBe(1);
    expect(inHours.get('fresh.example.com')).toBe(0);
    db.close();

    const analytics = Analytics.open({ dataDir: dir.path, now: () => NOW });
    try {
      const page = analytics.queries({ name: 'fresh.example', from: NOW - 3_600_000, to: NOW });
      expect(page.rows.map((row) => row.name)).toEqual(['fresh.example.com']);
      expect(analytics.queries({ name: 'old.example', to: NOW }).rows).toHaveLength(1);
    } finally {
      analytics.close();
      writer.close();
    }
  });

  it('catches up with every row once, across passes, a forced flush and a reopen', () => {
    const dir = tempDir('rollups');
    dirs.push(dir);
    const dbPath = join(dir.path, 'querylog.db');
    let writer = newWriter(dbPath);
    const names = Array.from({ length: 50 }, (_, i) => `n${i}.example.org`);
    let sent = 0;
    for (let batch = 0; batch < 30; batch++) {
      const time = NOW - 30_000 + batch * 400; // a batch every 0.4 s: a pass every third batch
      const events = names.map((name, i) => eventFor(name, time, batch * 50 + i));
      writer.write(events, time);
      sent += events.length;
      if (batch === 14) {
        writer.close(); // a restart in the middle: the in-memory index is rebuilt from the table
        writer = newWriter(dbPath);
      }
    }
    writer.write([], NOW, true);
    writer.close();

    const db = new Database(dbPath, { readonly: true });
    try {
      // Each name is stored once, whatever the restarts.
      expect(db.prepare('SELECT count(*), count(DISTINCT name) FROM names').raw().get()).toEqual([50, 50]);
      const totalAll = db.prepare('SELECT sum(count) FROM names_total WHERE device_id = -1').pluck().get();
      const totalDevices = db
        .prepare('SELECT sum(count) FROM names_total WHERE device_id <> -1')
        .pluck()
        .get();
      const hours = db.prepare('SELECT sum(count) FROM names_hour').pluck().get();
      const days = db.prepare('SELECT sum(count) FROM names_day WHERE device_id = -1').pluck().get();
      expect([totalAll, totalDevices, hours, days]).toEqual([sent, sent, sent, sent]);
      const perName = db
        .prepare(
          'SELECT n.name, t.count FROM names_total t JOIN names n ON n.id = t.name_id WHERE t.device_id = -1 ORDER BY n.name',
        )
        .raw()
        .all() as Array<[string, number]>;
      const byName = new Map<string, number>();
      for (const [name, count] of perName) byName.set(name, (byName.get(name) ?? 0) + count);
      expect([...byName.values()].every((count) => count === 30)).toBe(true);
    } finally {
      db.close();
    }
  });
});

describe('name rollup passes at high rates', () => {
  /** `count` rows, each a different name, over devices 1 and 2, all in one hour. */
  function manyNames(count: number, time: number): Array<ReturnType<typeof decoded>> {
    return Array.from({ length: count }, (_, i) => {
      const ev = eventFor(`n${i}.bulk.example`, time + (i % 1000), i);
      ev.deviceId = 1 + (i % 2);
      return ev;
    });
  }

  function sums(dbPath: string): {
    state: Record<string, number>;
    totals: number[];
    hour: number;
    max: number;
  } {
    const db = new Database(dbPath, { readonly: true });
    try {
      const state = Object.fromEntries(
        db.prepare('SELECT name, last_id FROM rollup_state').raw().all() as Array<[string, number]>,
      );
      const totals = ['= -1', '<> -1'].map(
        (device) =>
          (db
            .prepare(`SELECT coalesce(sum(count), 0) FROM names_total WHERE device_id ${device}`)
            .pluck()
            .get() ?? 0) as number,
      );
      const hour = db.prepare('SELECT coalesce(sum(count), 0) FROM names_hour').pluck().get() as number;
      const max = db.prepare('SELECT coalesce(max(count), 0) FROM names_total').pluck().get() as number;
      return { state, totals, hour, max };
    } finally {
      db.close();
    }
  }

  it('applies a large pass in slices, one per write, and every row once', () => {
    const dir = tempDir('rollups');
    dirs.push(dir);
    const dbPath = join(dir.path, 'querylog.db');
    const writer = newWriter(dbPath);
    writer.write(manyNames(30_000, NOW - 60_000), NOW - 59_000);
    const first = sums(dbPath);
    // The pass started with this write but applied only its first slice of names.
    expect(first.totals[0]).toBeGreaterThan(0);
    expect(first.totals[0]).toBeLessThan(30_000);
    expect(first.state['names']).toBe(0);
    for (let i = 1; i <= 10; i++) writer.write([], NOW - 59_000 + i * 50);
    const later = sums(dbPath);
    expect(later.state['names']).toBe(30_000);
    expect([...later.totals, later.hour, later.max]).toEqual([30_000, 30_000, 30_000, 1]);
    writer.close();
  });

  it('a pass cut short by a crash continues after its last committed slice', () => {
    const dir = tempDir('rollups');
    dirs.push(dir);
    const dbPath = join(dir.path, 'querylog.db');
    let writer = newWriter(dbPath);
    writer.write(manyNames(30_000, NOW - 60_000), NOW - 59_000);
    writer.write([], NOW - 58_950); // a second slice
    writer.close(); // no flush: as if the process died here
    const cut = sums(dbPath);
    expect(cut.state['names']).toBe(0);
    expect(cut.state['names-pass-to']).toBe(30_000);
    expect(cut.totals[0]).toBeGreaterThan(0);
    expect(cut.totals[0]).toBeLessThan(30_000);

    writer = newWriter(dbPath);
    writer.write(manyNames(10, NOW - 30_000), NOW - 30_000);
    writer.write([], NOW, true);
    writer.close();
    const done = sums(dbPath);
    expect(done.state['names']).toBe(30_010);
    // Names n0..n9 were asked twice (once per batch), every other name once: nothing counted twice.
    expect([...done.totals, done.hour, done.max]).toEqual([30_010, 30_010, 30_010, 2]);
  });
});

describe('a name whose attribution changes', () => {
  it('keeps its counts and takes the new company and kind in every name rollup', () => {
    const dir = tempDir('rollups');
    dirs.push(dir);
    const dbPath = join(dir.path, 'querylog.db');
    const writer = newWriter(dbPath);
    const asked = (time: number, companyId: number, kind: number, i: number) => {
      const ev = eventFor('sdk.example.net', time, i);
      ev.deviceId = 3;
      ev.status = 1;
      ev.companyId = companyId;
      ev.kind = kind;
      return ev;
    };
    writer.write([asked(NOW - 50_000, 4, 2, 0), asked(NOW - 49_900, 4, 2, 1)], NOW - 49_900, true);
    writer.write([asked(NOW - 40_000, 4, 2, 2)], NOW - 40_000, true); // same attribution: counts only
    writer.write([asked(NOW - 30_000, 9, 1, 3)], NOW - 30_000, true); // the catalog now says company 9
    writer.write([asked(NOW - 20_000, 0, 0, 4)], NOW - 20_000, true); // and then nothing (company 0)
    writer.close();
    const db = new Database(dbPath, { readonly: true });
    try {
      for (const table of ['names_hour', 'names_day', 'names_total']) {
        const rows = db
          .prepare(`SELECT device_id, company_id, kind, count FROM ${table} ORDER BY device_id`)
          .raw()
          .all();
        const devices = table === 'names_hour' ? [-1] : [-1, 3];
        expect(rows, table).toEqual(devices.map((device) => [device, 0, 0, 5]));
      }
      // The company index holds no stale entry for the old companies.
      const indexed = db
        .prepare('SELECT count(*) FROM names_day INDEXED BY names_day_by_company WHERE company_id <> 0')
        .pluck()
        .get();
      expect(indexed).toBe(0);
    } finally {
      db.close();
    }
  });
});

describe('a pass that spans midnight', () => {
  it('still finds the rows whose attribution changed (names_day keys differ from names_total keys)', () => {
    const dir = tempDir('rollups');
    dirs.push(dir);
    const dbPath = join(dir.path, 'querylog.db');
    const writer = newWriter(dbPath);
    const midnight = Date.UTC(2026, 10, 21);
    const asked = (time: number, companyId: number, i: number) => {
      const ev = eventFor('cdn.example.net', time, i);
      ev.deviceId = 2;
      ev.status = 1;
      ev.companyId = companyId;
      ev.kind = 1;
      return ev;
    };
    writer.write([asked(midnight - 60_000, 4, 0)], midnight - 60_000, true);
    // One pass over both days, in which the catalog now says company 9.
    writer.write([asked(midnight - 30_000, 9, 1), asked(midnight + 30_000, 9, 2)], midnight + 30_000, true);
    writer.close();
    const db = new Database(dbPath, { readonly: true });
    try {
      const rows = db
        .prepare('SELECT device_id, bucket, company_id, count FROM names_day ORDER BY device_id, bucket')
        .raw()
        .all();
      const day = midnight - DAY_MS;
      expect(rows).toEqual([
        [-1, day, 9, 2],
        [-1, midnight, 9, 1],
        [2, day, 9, 2],
        [2, midnight, 9, 1],
      ]);
    } finally {
      db.close();
    }
  });
});

describe('NameIndex', () => {
  it('finds every added name, misses the others, and survives growing', () => {
    const index = new NameIndex(4);
    for (let i = 1; i <= 10_000; i++) {
      expect(index.find(`name-${i}.example`)).toBe(0);
      index.add(i);
    }
    expect(index.size).toBe(10_000);
    for (let i = 1; i <= 10_000; i++) expect(index.find(`name-${i}.example`)).toBe(i);
    expect(index.find('name-10001.example')).toBe(0);
    expect(index.find('')).toBe(0);
    expect(() => index.add(5)).not.toThrow(); // after a miss
    expect(() => index.add(6)).toThrow(/find\(\) that missed/);
  });
});
