import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyQueryEvent, QueryStatus, QUERY_STATUS_NAMES } from '../../../server/events/query-event.js';
import { Analytics, type Period } from '../../../server/store/analytics.js';
import { DAY_MS, HOUR_MS, LogWriter } from '../../../server/store/log-writer.js';
import { decoded, makeEvent, tempDir } from './log-fixtures.js';

// A small log with known contents, written through the real writer, checked against brute force
// answers computed in JavaScript from the raw rows.
const NOW = Date.UTC(2026, 10, 20); // midnight UTC: every period below is bucket-aligned
const N = 20_000;
const SPAN = 10 * DAY_MS;
const dir = tempDir('analytics');
let analytics: Analytics;

interface Raw {
  id: number;
  time: number;
  device_id: number;
  name: string;
  status: number;
  company_id: number;
  category_id: number;
  app_id: number;
  kind: number;
}
let raw: Raw[] = [];

beforeAll(() => {
  const writer = new LogWriter({
    dbPath: join(dir.path, 'querylog.db'),
    retentionDays: 30,
    rollupRetentionDays: 365,
    queries: 'all',
    anonymizeClients: false,
  });
  expect(writer.open()).toBe(true);
  const ev = emptyQueryEvent();
  for (let start = 0; start < N; start += 1000) {
    const batch = [];
    for (let i = start; i < start + 1000; i++)
      batch.push(decoded(makeEvent(i, NOW - SPAN + Math.floor((i * SPAN) / N), ev)));
    writer.write(batch, NOW, true);
  }
  writer.close();
  const db = new Database(join(dir.path, 'querylog.db'), { readonly: true });
  raw = db
    .prepare(
      'SELECT q.id, q.time, q.device_id, n.name, q.status, q.company_id, q.category_id, q.app_id, q.kind FROM queries q JOIN names n ON n.id = q.name_id ORDER BY q.id',
    )
    .all() as Raw[];
  db.close();
  analytics = Analytics.open({ dataDir: dir.path, now: () => NOW });
});

afterAll(() => {
  analytics?.close();
  dir.remove();
});

const inPeriod = (p: Period) => (r: Raw) => r.time >= p.from && r.time < p.to;
const last = (ms: number): Period => ({ from: NOW - ms, to: NOW });

interface Counts {
  count: number;
  blocked: number;
  tracking: number;
  uses: number;
}

function countBy<K>(rows: Raw[], key: (r: Raw) => K): Map<K, Counts> {
  const map = new Map<K, Counts>();
  for (const r of rows) {
    const entry = map.get(key(r)) ?? { count: 0, blocked: 0, tracking: 0, uses: 0 };
    entry.count++;
    if (r.status === QueryStatus.blocked) entry.blocked++;
    if (r.kind === 1) entry.tracking++;
    if (r.kind === 2) entry.uses++;
    map.set(key(r), entry);
  }
  return map;
}

function top<K extends number | string>(map: Map<K, Counts>, limit: number, byBlocked = false) {
  return [...map]
    .map(([id, v]) => ({ id, ...v }))
    .filter((e) => (byBlocked ? e.blocked > 0 : true))
    .sort(
      (a, b) =>
        (byBlocked ? b.blocked - a.blocked : b.count - a.count) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
    )
    .slice(0, limit);
}

describe('Analytics against brute force', () => {
  it('summary: totals, blocked share, tracking attempts, devices active', () => {
    for (const period of [last(DAY_MS), last(7 * DAY_MS), last(20 * DAY_MS)]) {
      for (const deviceId of [undefined, 3]) {
        const rows = raw
          .filter(inPeriod(period))
          .filter((r) => deviceId === undefined || r.device_id === deviceId);
        const blocked = rows.filter((r) => r.status === QueryStatus.blocked).length;
        expect(analytics.summary(period, deviceId)).toEqual({
          total: rows.length,
          blocked,
          blockedShare: rows.length === 0 ? 0 : blocked / rows.length,
          trackingAttempts: rows.filter((r) => r.kind === 1).length,
          serviceUses: rows.filter((r) => r.kind === 2).length,
          devicesActive: new Set(rows.map((r) => r.device_id)).size,
        });
      }
    }
  });

  it('time series per 10 min / hour / day, overall and per device, split by status', () => {
    for (const [range, step, steps] of [
      ['24h', 10 * 60_000, 144],
      ['7d', HOUR_MS, 168],
      ['30d', DAY_MS, 30],
    ] as const) {
      for (const deviceId of [undefined, 5]) {
        const series = analytics.timeSeries(range, { deviceId, now: NOW - 1 });
        expect(series.points).toHaveLength(steps);
        const start = NOW - steps * step;
        const expected = series.points.map((p) => ({ time: p.time, total: 0, byStatus: { ...p.byStatus } }));
        for (const e of expected) for (const k of Object.keys(e.byStatus)) e.byStatus[k] = 0;
        for (const r of raw) {
          if (r.time < start || r.time >= NOW || (deviceId !== undefined && r.device_id !== deviceId))
            continue;
          const point = expected[Math.floor((r.time - start) / step)]!;
          point.total++;
          point.byStatus[QUERY_STATUS_NAMES[r.status as QueryStatus]]!++;
        }
        expect(series.points).toEqual(expected);
        expect(series.points[0]!.time).toBe(start);
      }
    }
  });

  it('top companies, categories and apps, overall and per device', () => {
    const period = last(7 * DAY_MS);
    for (const deviceId of [undefined, 2]) {
      const rows = raw
        .filter(inPeriod(period))
        .filter((r) => deviceId === undefined || r.device_id === deviceId);
      expect(analytics.topCompanies(period, { deviceId, limit: 3 })).toEqual(
        top(
          countBy(
            rows.filter((r) => r.company_id !== 0),
            (r) => r.company_id,
          ),
          3,
        ),
      );
      // Ranked by tracking (who tracks most) for the trackers page and a device's "who tracks it".
      expect(analytics.topCompanies(period, { deviceId, limit: 3, byTracking: true })).toEqual(
        [
          ...countBy(
            rows.filter((r) => r.company_id !== 0),
            (r) => r.company_id,
          ),
        ]
          .map(([id, v]) => ({ id, ...v }))
          .sort((x, y) => y.tracking - x.tracking || y.count - x.count || x.id - y.id)
          .slice(0, 3),
      );
      expect(analytics.topCategories(period, { deviceId })).toEqual(
        top(
          countBy(
            rows.filter((r) => r.category_id !== 0),
            (r) => r.category_id,
          ),
          10,
        ),
      );
      expect(analytics.topApps(period, { deviceId })).toEqual(
        top(
          countBy(
            rows.filter((r) => r.app_id !== 0),
            (r) => r.app_id,
          ),
          10,
        ),
      );
    }
  });

  it('each tracker category: the companies whose tracker names made its queries', () => {
    const period = last(7 * DAY_MS);
    for (const deviceId of [undefined, 3]) {
      const rows = raw
        .filter(inPeriod(period))
        .filter((r) => deviceId === undefined || r.device_id === deviceId)
        .filter((r) => r.kind === 1 && r.category_id !== 0 && r.company_id !== 0);
      const expected = [...countBy(rows, (r) => `${r.category_id}/${r.company_id}`)]
        .map(([key, v]) => {
          const [categoryId, companyId] = key.split('/').map(Number) as [number, number];
          return { categoryId, companyId, count: v.count, blocked: v.blocked };
        })
        .sort((a, b) => a.categoryId - b.categoryId || b.count - a.count || a.companyId - b.companyId);
      expect(expected.length).toBeGreaterThan(0);
      expect(analytics.companiesByCategory(period, { deviceId })).toEqual(expected);
      // A service name (kind 2) never shows up under a tracker category.
      const services = raw.filter((r) => r.kind === 2).map((r) => r.company_id);
      const only = analytics
        .companiesByCategory(period, { deviceId })
        .filter((row) => !rows.some((r) => r.company_id === row.companyId));
      expect(only).toEqual([]);
      expect(services.length).toBeGreaterThan(0);
    }
  });

  it('top names and top blocked names, overall and per device, short and long periods', () => {
    // 24 h: hourly counters / raw rows; 7 days: daily counters; 30 days covers the whole log: totals.
    for (const period of [last(DAY_MS), last(7 * DAY_MS), last(30 * DAY_MS)]) {
      for (const deviceId of [undefined, 4]) {
        const rows = raw
          .filter(inPeriod(period))
          .filter((r) => deviceId === undefined || r.device_id === deviceId);
        const byName = countBy(rows, (r) => r.name);
        const got = analytics.topNames(period, { deviceId, limit: 5 });
        // Same counts in the same order (ties broken by name id, i.e. first-seen order, so compare counts).
        expect(got.map((t) => t.count)).toEqual(top(byName, 5).map((t) => t.count));
        for (const t of got) expect(t.count).toBe(byName.get(t.name)?.count);
        const blocked = analytics.topBlockedNames(period, { deviceId, limit: 5 });
        const blockedRows = countBy(
          rows.filter((r) => r.status === QueryStatus.blocked),
          (r) => r.name,
        );
        expect(blocked.map((t) => t.count)).toEqual(top(blockedRows, 5).map((t) => t.count));
        for (const t of blocked) expect(t.blocked).toBe(blockedRows.get(t.name)?.blocked);
      }
    }
  });

  it('devices ranked by tracking attempts; a company: its devices and names', () => {
    const period = last(7 * DAY_MS);
    const rows = raw.filter(inPeriod(period));
    const expected = [...countBy(rows, (r) => r.device_id)]
      .map(([deviceId, v]) => ({
        deviceId,
        trackingAttempts: rows.filter((r) => r.device_id === deviceId && r.kind === 1).length,
        blocked: v.blocked,
        total: v.count,
      }))
      .sort(
        (a, b) => b.trackingAttempts - a.trackingAttempts || b.total - a.total || a.deviceId - b.deviceId,
      );
    expect(analytics.devicesByTracking(period)).toEqual(expected);

    const companyRows = rows.filter((r) => r.company_id === 1);
    const detail = analytics.companyDetail(1, period);
    expect(detail.total).toBe(companyRows.length);
    expect(detail.tracking).toBe(companyRows.filter((r) => r.kind === 1).length);
    expect(detail.uses).toBe(companyRows.filter((r) => r.kind === 2).length);
    expect(detail.blocked).toBe(companyRows.filter((r) => r.status === QueryStatus.blocked).length);
    expect(detail.devices).toEqual(
      top(
        countBy(companyRows, (r) => r.device_id),
        50,
      ).map(({ id, ...v }) => ({ deviceId: id, ...v })),
    );
    const names = countBy(companyRows, (r) => r.name);
    expect(detail.names.map((n) => [n.name, n.count, n.blocked]).sort()).toEqual(
      [...names].map(([name, v]) => [name, v.count, v.blocked]).sort(),
    );
  });

  it('periods that do not start on a day: whole days from day rollups, edges from hours, same answer', () => {
    // 5 h 17 min before midnight: a week is 6 whole days plus two partial days read from hour rollups.
    const now = NOW - 5 * HOUR_MS - 17 * 60_000;
    const shifted = Analytics.open({ dataDir: dir.path, now: () => now });
    try {
      const period = { from: now - 7 * DAY_MS, to: now };
      // Rollups count whole buckets: the period widened to the hours it starts and ends in (the log has
      // rows after this `now`, which a live log would not).
      const widened = {
        from: Math.floor(period.from / HOUR_MS) * HOUR_MS,
        to: Math.ceil(now / HOUR_MS) * HOUR_MS,
      };
      for (const deviceId of [undefined, 2]) {
        const rows = raw
          .filter(inPeriod(widened))
          .filter((r) => deviceId === undefined || r.device_id === deviceId);
        const blocked = rows.filter((r) => r.status === QueryStatus.blocked).length;
        expect(shifted.summary(period, deviceId)).toMatchObject({ total: rows.length, blocked });
        expect(shifted.topCompanies(period, { deviceId, limit: 4 })).toEqual(
          top(
            countBy(
              rows.filter((r) => r.company_id !== 0),
              (r) => r.company_id,
            ),
            4,
          ),
        );
      }
      // Top names overall: bounded by the per-name totals, exact over the hour-widened period.
      const rows = raw.filter(inPeriod(widened));
      const byName = countBy(rows, (r) => r.name);
      const got = shifted.topNames(period, { limit: 7 });
      expect(got.map((t) => t.count)).toEqual(top(byName, 7).map((t) => t.count));
      for (const t of got) expect(t.count).toBe(byName.get(t.name)?.count);
      const blockedByName = countBy(
        rows.filter((r) => r.status === QueryStatus.blocked),
        (r) => r.name,
      );
      const gotBlocked = shifted.topBlockedNames(period, { limit: 7 });
      expect(gotBlocked.map((t) => t.count)).toEqual(top(blockedByName, 7).map((t) => t.count));
      // A device's names over days come from its daily rows: the period widened to whole days.
      const dayWide = {
        from: Math.floor(period.from / DAY_MS) * DAY_MS,
        to: Math.ceil(now / DAY_MS) * DAY_MS,
      };
      const deviceNames = countBy(
        raw.filter(inPeriod(dayWide)).filter((r) => r.device_id === 4),
        (r) => r.name,
      );
      expect(shifted.topNames(period, { deviceId: 4, limit: 5 }).map((t) => t.count)).toEqual(
        top(deviceNames, 5).map((t) => t.count),
      );
      // Each device's tracker categories (the trackers page's devices per category).
      const byDevice = shifted.categoriesByDevice(period);
      for (const deviceId of [1, 3]) {
        const expected = countBy(
          rows.filter((r) => r.device_id === deviceId && r.category_id !== 0 && r.kind === 1),
          (r) => r.category_id,
        );
        expect(new Map(byDevice.get(deviceId)!.map((e) => [e.id, { ...e, id: undefined }]))).toEqual(
          new Map([...expected].map(([id, v]) => [id, { ...v, id: undefined }])),
        );
      }
    } finally {
      shifted.close();
    }
  });

  it('top names and blocked names together from one pass agree with each list alone', () => {
    for (const deviceId of [undefined, 3]) {
      for (const period of [last(DAY_MS), last(7 * DAY_MS), last(30 * DAY_MS)]) {
        const both = analytics.topNameLists(period, { deviceId, limit: 6 });
        expect(both.all).toEqual(analytics.topNames(period, { deviceId, limit: 6 }));
        expect(both.blocked).toEqual(analytics.topBlockedNames(period, { deviceId, limit: 6 }));
        expect(both.all!.length).toBeGreaterThan(0);
      }
    }
  });

  it('query log page: filters and keyset pagination, newest first', () => {
    const cases = [
      {},
      { deviceId: 6 },
      { name: 'example2' },
      { name: 'host13.' },
      { status: QueryStatus.error },
      { status: [QueryStatus.blocked, QueryStatus.cached] },
      { companyId: 2 },
      { from: NOW - 3 * DAY_MS + 12_345, to: NOW - 2 * DAY_MS - 999 },
      { deviceId: 1, name: 'host', status: QueryStatus.blocked, from: NOW - 5 * DAY_MS },
      { name: 'no-such-name' },
    ];
    for (const filter of cases) {
      const expected = raw
        .filter(
          (r) =>
            (filter.deviceId === undefined || r.device_id === filter.deviceId) &&
            (filter.name === undefined || r.name.includes(filter.name)) &&
            (filter.status === undefined ||
              (Array.isArray(filter.status)
                ? filter.status.includes(r.status as never)
                : r.status === filter.status)) &&
            (filter.companyId === undefined || r.company_id === filter.companyId) &&
            (filter.from === undefined || r.time >= filter.from) &&
            (filter.to === undefined || r.time < filter.to),
        )
        .map((r) => r.id)
        .reverse();
      const got: number[] = [];
      const t0 = performance.now();
      let before: number | undefined;
      for (let page = 0; page < 1000; page++) {
        const result = analytics.queries({ ...filter, limit: 700, before });
        got.push(...result.rows.map((r) => r.id));
        if (result.nextBefore === null) break;
        before = result.nextBefore;
      }
      if (process.env.H4_TIMING)
        console.log(JSON.stringify(filter), Math.round(performance.now() - t0), 'ms', got.length);
      expect(got, JSON.stringify(filter)).toEqual(expected);
    }
    const row = analytics.queries({ limit: 1 }).rows[0]!;
    expect(row).toMatchObject({
      id: raw.at(-1)!.id,
      name: raw.at(-1)!.name,
      client: expect.stringMatching(/^192\.168\.7\./),
    });
  });

  it('live tail: rows after an id, oldest first', () => {
    const after = raw.at(-10)!.id;
    expect(analytics.queriesAfter(after).map((r) => r.id)).toEqual(raw.slice(-9).map((r) => r.id));
    expect(analytics.queriesAfter(raw.at(-1)!.id)).toEqual([]);
    expect(analytics.lastId()).toBe(raw.at(-1)!.id);
  });
});

describe('device 0 (queries of no device, such as refused clients)', () => {
  it('is neither ranked nor counted as an active device', () => {
    const small = tempDir('analytics-device0');
    try {
      const writer = new LogWriter({
        dbPath: join(small.path, 'querylog.db'),
        retentionDays: 30,
        rollupRetentionDays: 365,
        queries: 'all',
        anonymizeClients: false,
      });
      expect(writer.open()).toBe(true);
      const batch = [];
      for (let i = 0; i < 20; i++) {
        const ev = makeEvent(i, NOW - 60_000 + i);
        ev.deviceId = i % 2 === 0 ? 0 : 4; // half from no device (refused), half from device 4
        ev.status = i % 2 === 0 ? QueryStatus.refused : ev.status;
        batch.push(decoded(ev));
      }
      writer.write(batch, NOW, true);
      writer.close();
      const view = Analytics.open({ dataDir: small.path, now: () => NOW });
      try {
        const period = { from: NOW - DAY_MS, to: NOW };
        expect(view.devicesByTracking(period).map((d) => d.deviceId)).toEqual([4]);
        expect(view.summary(period)).toMatchObject({ total: 20, devicesActive: 1 });
      } finally {
        view.close();
      }
    } finally {
      small.remove();
    }
  });
});
