import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { emptyQueryEvent } from '../../../server/events/query-event.js';
import { silentLogger } from '../../../server/logger.js';
import { QueryLog } from '../../../server/store/query-log.js';
import { QueryQueue } from '../../../server/store/query-queue.js';
import { readMigrations, migrationsDir } from '../../../server/store/sqlite.js';
import type { WriterPlace } from '../../../server/store/writer-place.js';
import { makeEvent, tempDir } from './log-fixtures.js';

const dirs: Array<{ remove(): void }> = [];
const logs: QueryLog[] = [];
afterAll(async () => {
  for (const log of logs) await log.close().catch(() => {});
  for (const dir of dirs) dir.remove();
});

async function openAnyLog(options: Partial<Parameters<typeof QueryLog.open>[0]> = {}) {
  const dir = tempDir('querylog');
  dirs.push(dir);
  const log = await QueryLog.open({
    dataDir: dir.path,
    retentionDays: 30,
    rollupRetentionDays: 365,
    queries: 'all',
    anonymizeClients: false,
    logger: silentLogger,
    ...options,
  });
  logs.push(log);
  return { log, dir: dir.path, db: () => new Database(join(dir.path, 'querylog.db'), { readonly: true }) };
}

// The same behaviour wherever the writer runs (log.writer: its own thread, or the main isolate in slices).
describe.each(['thread', 'main'] as WriterPlace[])('QueryLog (writer in the %s + querylog.db)', (place) => {
  const openLog = (options: Partial<Parameters<typeof QueryLog.open>[0]> = {}) =>
    openAnyLog({ writer: place, ...options });

  it('creates querylog.db from zero with every migration applied', async () => {
    const { db, log } = await openLog();
    expect(log.writerPlace).toBe(place);
    const handle = db();
    const version = handle.pragma('user_version', { simple: true });
    const latest = readMigrations(migrationsDir('querylog')).at(-1)?.version;
    const tables = handle
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .pluck()
      .all();
    handle.close();
    expect(version).toBe(latest);
    expect(tables).toEqual(
      expect.arrayContaining([
        'queries',
        'names',
        'clients',
        'counts_minute',
        'counts_hour',
        'counts_day',
        'names_hour',
        'names_day',
      ]),
    );
  });

  it('writes 200,000 events pushed at volume: all written, none dropped', async () => {
    // A ring that holds the whole burst: this checks batching and bookkeeping at volume, independent of
    // how fast this (shared, noisy) machine's writer runs; the benchmark measures sustained speed.
    const { log, db } = await openLog({ queueBytes: 32 * 1024 * 1024 });
    const ev = emptyQueryEvent();
    const start = Date.now() - 60_000;
    const total = 200_000;
    for (let i = 0; i < total; i++) {
      log.record(makeEvent(i, start + Math.floor(i / 10), ev));
      if (i % 50_000 === 49_999) await new Promise((resolve) => setTimeout(resolve, 1));
    }
    await log.flush();
    const stats = log.stats();
    expect(stats).toMatchObject({ written: total, dropped: 0, queued: 0, error: null });
    const handle = db();
    expect(handle.prepare('SELECT count(*) FROM queries').pluck().get()).toBe(total);
    // Rowid order is arrival order.
    const outOfOrder = handle
      .prepare('SELECT count(*) FROM queries a JOIN queries b ON b.id = a.id + 1 WHERE b.time < a.time')
      .pluck()
      .get();
    handle.close();
    expect(outOfOrder).toBe(0);
  });

  it('keeps rollups equal to a brute-force count over the raw log', async () => {
    const { log, db } = await openLog();
    const ev = emptyQueryEvent();
    const base = Date.now() - 3 * 86_400_000;
    for (let i = 0; i < 30_000; i++) log.record(makeEvent(i, base + i * 9_000, ev)); // spread over ~3 days
    await log.flush();
    const handle = db();
    const raw = handle
      .prepare(
        `SELECT device_id, time - time % 3600000 AS bucket, company_id, category_id, app_id, status, count(*) AS n
         FROM queries GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6`,
      )
      .all();
    const hourly = handle
      .prepare(
        `SELECT device_id, bucket, company_id, category_id, app_id, status, count AS n FROM counts_hour
         WHERE device_id >= 0 ORDER BY 1, 2, 3, 4, 5, 6`,
      )
      .all();
    expect(hourly).toEqual(raw);
    const rawDaily = handle
      .prepare(
        'SELECT time - time % 86400000 AS d, status, count(*) AS n FROM queries GROUP BY 1, 2 ORDER BY 1, 2',
      )
      .all();
    const allDaily = handle
      .prepare(
        'SELECT bucket AS d, status, sum(count) AS n FROM counts_day WHERE device_id = -1 GROUP BY 1, 2 ORDER BY 1, 2',
      )
      .all();
    expect(allDaily).toEqual(rawDaily);
    const rawMinute = handle
      .prepare(
        'SELECT device_id, time - time % 60000 AS m, count(*) AS n FROM queries GROUP BY 1, 2 ORDER BY 1, 2',
      )
      .all();
    const minute = handle
      .prepare(
        'SELECT device_id, bucket AS m, sum(count) AS n FROM counts_minute WHERE device_id >= 0 GROUP BY 1, 2 ORDER BY 1, 2',
      )
      .all();
    expect(minute).toEqual(rawMinute);
    const totals = handle
      .prepare(
        'SELECT device_id, bucket, category_id, status, count AS n FROM totals_hour ORDER BY 1, 2, 3, 4',
      )
      .all();
    const rawTotals = handle
      .prepare(
        `SELECT device_id, time - time % 3600000 AS bucket, category_id, status, count(*) AS n FROM queries GROUP BY 1, 2, 3, 4
         UNION ALL SELECT -1, time - time % 3600000, category_id, status, count(*) FROM queries GROUP BY 2, 3, 4 ORDER BY 1, 2, 3, 4`,
      )
      .all();
    expect(totals).toEqual(rawTotals);
    const rawNames = handle
      .prepare(
        `SELECT q.device_id, q.time - q.time % 86400000 AS d, q.name_id, q.status, count(*) AS n FROM queries q
         GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`,
      )
      .all();
    const names = handle
      .prepare(
        'SELECT device_id, bucket AS d, name_id, status, count AS n FROM names_day WHERE device_id >= 0 ORDER BY 1, 2, 3, 4',
      )
      .all();
    const nameTotals = handle
      .prepare('SELECT device_id, name_id, status, count AS n FROM names_total ORDER BY 1, 2, 3')
      .all();
    const rawNameTotals = handle
      .prepare(
        `SELECT device_id, name_id, status, count(*) AS n FROM queries GROUP BY 1, 2, 3
         UNION ALL SELECT -1, name_id, status, count(*) FROM queries GROUP BY 2, 3 ORDER BY 1, 2, 3`,
      )
      .all();
    handle.close();
    expect(names).toEqual(rawNames);
    expect(nameTotals).toEqual(rawNameTotals);
  });

  it('privacy: hide-names stores no names, none stores nothing, per device overrides apply', async () => {
    const { log, db } = await openLog({ queries: 'hide-names', devicePrivacy: new Map([[2, 'all']]) });
    const ev = emptyQueryEvent();
    const now = Date.now();
    for (let i = 0; i < 70; i++) log.record(makeEvent(i, now, ev)); // devices 1..7, 10 each
    await log.flush();
    log.setDevicePrivacy(new Map([[3, 'none']]), 'all');
    for (let i = 0; i < 70; i++) log.record(makeEvent(i, now + 1, ev));
    await log.flush();
    const handle = db();
    const firstRound = handle
      .prepare('SELECT device_id, name_id FROM queries WHERE time = ?')
      .all(now) as Array<{ device_id: number; name_id: number }>;
    const secondRound = handle
      .prepare('SELECT device_id, name_id FROM queries WHERE time = ?')
      .all(now + 1) as Array<{ device_id: number; name_id: number }>;
    const hiddenNameRollups = handle
      .prepare('SELECT count(*) FROM names_day WHERE name_id = 0')
      .pluck()
      .get();
    handle.close();
    expect(firstRound).toHaveLength(70);
    expect(firstRound.filter((r) => r.name_id !== 0).every((r) => r.device_id === 2)).toBe(true);
    expect(firstRound.filter((r) => r.device_id === 2).every((r) => r.name_id !== 0)).toBe(true);
    expect(secondRound).toHaveLength(60);
    expect(secondRound.some((r) => r.device_id === 3)).toBe(false);
    expect(secondRound.every((r) => r.name_id !== 0)).toBe(true);
    expect(hiddenNameRollups).toBe(0);
    expect(log.stats().written).toBe(130);
    expect(log.skippedForPrivacy).toBe(10);
  });

  it('anonymizes client addresses when asked', async () => {
    const { log, db } = await openLog({ anonymizeClients: true });
    const ev = emptyQueryEvent();
    log.record({ ...makeEvent(1, Date.now(), ev), clientAddress: '192.168.1.77' });
    log.record({ ...makeEvent(2, Date.now(), ev), clientAddress: '2001:db8:1:2:aaaa:bbbb:cccc:dddd' });
    await log.flush();
    const handle = db();
    const clients = handle.prepare('SELECT address FROM clients ORDER BY id').pluck().all();
    handle.close();
    expect(clients).toEqual(['192.168.1.0', '2001:db8:1:2::']);
  });

  it("drains a DNS worker's ring (addRing) beside its own into the same database", async () => {
    const { log, db } = await openLog();
    const other = new QueryQueue(log.addRing());
    const ev = emptyQueryEvent();
    const now = Date.now();
    for (let i = 0; i < 3000; i++) {
      log.record(makeEvent(i, now + i, ev));
      other.record(makeEvent(i, now + i, ev));
    }
    await log.flush();
    expect(log.stats()).toMatchObject({ written: 6000, dropped: 0, queued: 0, error: null });
    const handle = db();
    expect(handle.prepare('SELECT count(*) FROM queries').pluck().get()).toBe(6000);
    handle.close();
  });

  it('close() commits what was recorded and stops the worker', async () => {
    const { log, dir } = await openLog();
    const ev = emptyQueryEvent();
    for (let i = 0; i < 1234; i++) log.record(makeEvent(i, Date.now(), ev));
    await log.close();
    expect(existsSync(join(dir, 'querylog.db'))).toBe(true);
    const handle = new Database(join(dir, 'querylog.db'), { readonly: true });
    const count = handle.prepare('SELECT count(*) FROM queries').pluck().get();
    handle.close();
    expect(count).toBe(1234);
    expect(() => log.record(ev)).not.toThrow();
  });

  it.runIf(place === 'thread')(
    'a dead writer thread is reported; record() and flush() keep working without it',
    async () => {
      const { log } = await openLog();
      await (log as unknown as { link: { stop(): Promise<void> } }).link.stop();
      const ev = emptyQueryEvent();
      for (let i = 0; i < 10; i++) expect(() => log.record(makeEvent(i, Date.now(), ev))).not.toThrow();
      await log.flush();
      expect(log.stats().error).toMatch(/writer thread exited/);
      await log.close();
    },
  );
});

describe('QueryLog with the writer in the main isolate', () => {
  it('drains a backlog in slices and lets the event loop run between them', async () => {
    const { log, db } = await openAnyLog({ writer: 'main', queueBytes: 16 * 1024 * 1024 });
    const ev = emptyQueryEvent();
    const total = 20_000;
    for (let i = 0; i < total; i++) log.record(makeEvent(i, Date.now() - 1000 + (i % 1000), ev));
    // Count the turns of the event loop while the writer catches up: a drain that held the thread until
    // the backlog was written would leave this at 0 or 1 (500-row slices: about 40).
    let turns = 0;
    let spinning = true;
    const spin = (): void => {
      turns++;
      if (spinning) setImmediate(spin);
    };
    setImmediate(spin);
    await log.flush();
    spinning = false;
    expect(log.stats()).toMatchObject({ written: total, dropped: 0, queued: 0, error: null });
    expect(turns).toBeGreaterThanOrEqual(total / 500 - 1);
    const handle = db();
    expect(handle.prepare('SELECT count(*) FROM queries').pluck().get()).toBe(total);
    expect(handle.prepare('SELECT sum(count) FROM totals_minute WHERE device_id = -1').pluck().get()).toBe(
      total,
    );
    handle.close();
  });
});
