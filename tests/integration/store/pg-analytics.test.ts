/**
 * The dashboard's read side over PostgreSQL (store/pg/pg-analytics.ts) answers what the SQLite one
 * answers: the same event stream is written into a real querylog.db by the real writer and shipped into
 * a real PostgreSQL by two replicas' shippers (alternate batches), and every question the API asks is put
 * to both. Names have no ids in PostgreSQL, so name lists are compared without them.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyQueryEvent, QueryStatus } from '../../../server/events/query-event.js';
import { Analytics, type Period } from '../../../server/store/analytics.js';
import { DAY_MS, HOUR_MS, LogWriter } from '../../../server/store/log-writer.js';
import { PgLogShipper } from '../../../server/store/pg/log-shipper.js';
import { PgAnalytics } from '../../../server/store/pg/pg-analytics.js';
import { connectPool, type PgPool } from '../../../server/store/pg/pg-connect.js';
import { migratePg } from '../../../server/store/pg/pg-migrate.js';
import { parseDatabaseUrl } from '../../../server/store/pg/pg-url.js';
import { NameKind } from '../../../server/trackers/attribution.js';
import type { TopName } from '../../../server/store/top-names.js';
import { startPgServer, type PgServer } from '../../helpers/pg-server.js';
import { decoded, makeEvent, tempDir } from './log-fixtures.js';

const NOW = Date.UTC(2026, 10, 20) + 5 * HOUR_MS + 17 * 60_000; // mid-morning: periods have edges
const N = 12_000;
const SPAN = 9 * DAY_MS;
const BATCH = 500;
const dir = tempDir('pg-analytics');
let server: PgServer;
let pool: PgPool;
let sqlite: Analytics;
let pg: PgAnalytics;

beforeAll(async () => {
  server = await startPgServer();
  const target = parseDatabaseUrl(server.url);
  pool = await connectPool(target, { applicationName: 'test' });
  await migratePg(pool, target);
  const writer = new LogWriter({
    dbPath: join(dir.path, 'querylog.db'),
    retentionDays: 30,
    rollupRetentionDays: 365,
    queries: 'all',
    anonymizeClients: false,
  });
  expect(writer.open()).toBe(true);
  const replicas = ['a', 'b'].map(
    (replica) => new PgLogShipper({ target, replica, retentionDays: 30, anonymizeClients: false }),
  );
  const ev = emptyQueryEvent();
  for (let start = 0, k = 0; start < N; start += BATCH, k++) {
    const batch = [];
    for (let i = start; i < start + BATCH; i++) {
      const event = decoded(makeEvent(i, NOW - SPAN + Math.floor((i * SPAN) / N), ev));
      if (i % 11 === 0) event.deviceId = 0; // queries of no known device
      batch.push(event);
    }
    writer.write(batch, NOW, true);
    // Alternate replicas, one batch at a time, so row ids follow time in both logs.
    const shipper = replicas[k % 2] as PgLogShipper;
    shipper.push(batch);
    await shipper.ship(NOW);
  }
  writer.close();
  for (const shipper of replicas) await shipper.close();
  sqlite = Analytics.open({ dataDir: dir.path, now: () => NOW });
  pg = PgAnalytics.open({ target, replica: 'test', now: () => NOW });
}, 120_000);

afterAll(async () => {
  sqlite?.close();
  await pg?.close();
  await pool?.end();
  server?.destroy();
  dir.remove();
});

const periods: Array<[string, Period]> = [
  ['last hour', { from: NOW - HOUR_MS, to: NOW }],
  ['24 h', { from: NOW - DAY_MS, to: NOW }],
  ['7 days', { from: NOW - 7 * DAY_MS, to: NOW }],
  ['30 days (the whole log)', { from: NOW - 30 * DAY_MS, to: NOW }],
  ['a window in the past', { from: NOW - 5 * DAY_MS + 3 * HOUR_MS, to: NOW - 2 * DAY_MS }],
];

/** Name lists without ids, in a stable order (ties may rank differently by id and by name). */
function names(list: TopName[] | null): unknown[] {
  return (list ?? [])
    .map(({ nameId: _, ...rest }) => rest)
    .sort((a, b) => b.count - a.count || a.name.localeCompare(b.name));
}

describe('PostgreSQL analytics answer what SQLite answers', () => {
  it('has both replicas’ rows', async () => {
    const replicas = await pool.query('SELECT DISTINCT replica_id FROM query_log');
    expect(replicas.rowCount).toBe(2);
    expect((await pg.summary({ from: 0, to: NOW + 1 })).total).toBe(N);
  });

  for (const [label, period] of periods) {
    it(`summaries, tops and devices over ${label}`, async () => {
      expect(await pg.summary(period)).toEqual(sqlite.summary(period));
      expect(await pg.summary(period, 3)).toEqual(sqlite.summary(period, 3));
      expect(await pg.topCompanies(period, { limit: 5, byTracking: true })).toEqual(
        sqlite.topCompanies(period, { limit: 5, byTracking: true }),
      );
      expect(await pg.topCategories(period, { kind: NameKind.tracker })).toEqual(
        sqlite.topCategories(period, { kind: NameKind.tracker }),
      );
      expect(await pg.topApps(period, { deviceId: 2 })).toEqual(sqlite.topApps(period, { deviceId: 2 }));
      expect(await pg.companiesByCategory(period)).toEqual(sqlite.companiesByCategory(period));
      expect(await pg.devicesByTracking(period)).toEqual(sqlite.devicesByTracking(period));
      expect(await pg.deviceFigures(period, { companies: 3 })).toEqual(
        sqlite.deviceFigures(period, { companies: 3 }),
      );
      expect(await pg.deviceFigures(period, { onlyId: 6, companies: 2 })).toEqual(
        sqlite.deviceFigures(period, { onlyId: 6, companies: 2 }),
      );
      expect(await pg.categoriesByDevice(period)).toEqual(sqlite.categoriesByDevice(period));
      const detail = sqlite.companyDetail(1, period);
      const pgDetail = await pg.companyDetail(1, period);
      expect({ ...pgDetail, names: names(pgDetail.names) }).toEqual({
        ...detail,
        names: names(detail.names),
      });
    });

    it(`top names over ${label}, all devices and one`, async () => {
      for (const deviceId of [undefined, 4]) {
        // Every name (the fixture has 40): the same names with the same counts.
        const a = sqlite.topNameLists(period, { deviceId, limit: 50 });
        const b = await pg.topNameLists(period, { deviceId, limit: 50 });
        expect(names(b.all)).toEqual(names(a.all));
        expect(names(b.blocked)).toEqual(names(a.blocked));
        // A short list (the bounded search stops early): the same counts; names tied at the last place
        // may differ (SQLite breaks ties by name id, PostgreSQL by name), each with its true count.
        for (const which of ['all', 'blocked'] as const) {
          const short = (await pg.topNameLists(period, { deviceId, limit: 8 }))[which] ?? [];
          const truth = new Map(names(a[which]).map((row) => [(row as TopName).name, row]));
          expect(short.map((row) => row.count)).toEqual(
            (sqlite.topNameLists(period, { deviceId, limit: 8 })[which] ?? []).map((row) => row.count),
          );
          for (const { nameId: _, ...row } of short) expect(truth.get(row.name)).toEqual(row);
        }
      }
    });
  }

  it('time series over 24 h, 7 days and 30 days', async () => {
    for (const range of ['24h', '7d', '30d'] as const) {
      expect(await pg.timeSeries(range)).toEqual(sqlite.timeSeries(range));
      expect(await pg.timeSeries(range, { deviceId: 5 })).toEqual(sqlite.timeSeries(range, { deviceId: 5 }));
    }
  });

  it('a device’s top names over a short period: the first of every name by count, ties by name', async () => {
    // Ranked by PostgreSQL (only the lists are sent): the same as ranking SQLite's full list here.
    const byCount = (a: { count: number; name: string }, b: { count: number; name: string }) =>
      b.count - a.count || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
    for (const [label, period] of periods.slice(0, 2)) {
      for (const deviceId of [0, 1, 4]) {
        const full = sqlite.topNameLists(period, { deviceId, limit: 50 });
        for (const limit of [1, 3, 8]) {
          const lists = await pg.topNameLists(period, { deviceId, limit });
          const expected = (rows: TopName[] | null) =>
            (rows ?? [])
              .map(({ nameId: _, ...row }) => ({ nameId: 0, ...row }))
              .sort(byCount)
              .slice(0, limit);
          const blocked = (full.blocked ?? []).map((row) => ({ ...row, count: row.blocked }));
          expect(lists.all, `${label}, device ${deviceId}, ${limit}`).toEqual(expected(full.all));
          expect(lists.blocked, `${label}, device ${deviceId}, ${limit}`).toEqual(expected(blocked));
          expect(lists.all?.length).toBe(Math.min(limit, full.all?.length ?? 0));
        }
      }
    }
  });

  // The 24-hour series reads its own 10-minute sums (PG migration 0011, kept by the shipping statement):
  // every device, and moments that are not on a 10-minute edge (the first and last points are partial).
  const seriesMoments = [NOW, NOW - 7 * 60_000, NOW - 3 * HOUR_MS - 41 * 60_000 - 13_000];
  const seriesDevices = [undefined, 0, 1, 2, 3, 4, 5, 6, 7, 8];
  async function expectSeriesParity(): Promise<void> {
    for (const now of seriesMoments) {
      for (const deviceId of seriesDevices) {
        const expected = sqlite.timeSeries('24h', { deviceId, now });
        expect(expected.points.some((point) => point.total > 0)).toBe(deviceId !== 8);
        expect(await pg.timeSeries('24h', { deviceId, now }), `${deviceId} at ${now}`).toEqual(expected);
      }
    }
  }

  it('the 24-hour series of every device, between 10-minute edges', async () => {
    await expectSeriesParity();
  });

  it('the 24-hour series of a log shipped before PG migration 0011 (filled from the minute totals)', async () => {
    await pool.query('DROP TABLE log_series_10min');
    await pool.query('DELETE FROM tracksink_migrations WHERE version = 11');
    expect(await migratePg(pool, parseDatabaseUrl(server.url))).toEqual(['0011-series-10min.sql']);
    await expectSeriesParity();
  });

  it('the query log page with each filter, and its next page', async () => {
    const filters = [
      {},
      { deviceId: 2 },
      { status: QueryStatus.error },
      { status: QueryStatus.blocked, deviceId: 6 },
      { companyId: 3 },
      { name: 'host13.' },
      { name: 'example2' },
      { name: '.com' },
      { from: NOW - 3 * DAY_MS, to: NOW - 2 * DAY_MS },
      { name: 'host7.', from: NOW - 4 * DAY_MS },
      { name: 'no-such-name' },
    ];
    for (const filter of filters) {
      const a = sqlite.queries({ ...filter, limit: 30 });
      const b = await pg.queries({ ...filter, limit: 30 });
      const strip = (rows: typeof a.rows) => rows.map(({ id: _, ...rest }) => rest);
      expect(strip(b.rows), JSON.stringify(filter)).toEqual(strip(a.rows));
      expect(b.nextBefore === null, JSON.stringify(filter)).toBe(a.nextBefore === null);
      if (a.nextBefore !== null && b.nextBefore !== null) {
        const a2 = sqlite.queries({ ...filter, limit: 30, before: a.nextBefore });
        const b2 = await pg.queries({ ...filter, limit: 30, before: b.nextBefore });
        expect(strip(b2.rows), JSON.stringify(filter)).toEqual(strip(a2.rows));
      }
    }
  });

  it('the live tail starts at the newest row and gives what comes after it', async () => {
    const last = await pg.lastId();
    expect(last).toBe(N);
    const after = await pg.queriesAfter(last - 5, 10);
    expect(after.map((row) => row.id)).toEqual([N - 4, N - 3, N - 2, N - 1, N]);
    expect(after.map((row) => row.time)).toEqual(sqlite.queriesAfter(N - 5, 10).map((row) => row.time));
  });
});
