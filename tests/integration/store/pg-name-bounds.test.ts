/**
 * Top names over PostgreSQL stay what SQLite answers once the kept candidates (store/pg/pg-name-bounds.ts,
 * PG migration 0008) are older than the log: names logged after the candidates were taken (a new name
 * that tops the last hour, an old one that climbs) are still found, and retention makes them retaken.
 * The same events go into a real querylog.db by the real writer and into a real PostgreSQL by the shipper.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyQueryEvent, QueryStatus } from '../../../server/events/query-event.js';
import { Analytics, type Period } from '../../../server/store/analytics.js';
import { DAY_MS, HOUR_MS, LogWriter } from '../../../server/store/log-writer.js';
import { PgLogShipper } from '../../../server/store/pg/log-shipper.js';
import { PgAnalytics } from '../../../server/store/pg/pg-analytics.js';
import { PgLogPage } from '../../../server/store/pg/pg-log-page.js';
import { PgNameBounds } from '../../../server/store/pg/pg-name-bounds.js';
import { PgTopNames } from '../../../server/store/pg/pg-top-names.js';
import { connectPool, type PgPool } from '../../../server/store/pg/pg-connect.js';
import { migratePg } from '../../../server/store/pg/pg-migrate.js';
import { parseDatabaseUrl, type PgTarget } from '../../../server/store/pg/pg-url.js';
import { pruneRollups } from '../../../server/store/pg/pg-rollups.js';
import type { DecodedEvent } from '../../../server/store/query-queue.js';
import type { TopName } from '../../../server/store/top-names.js';
import { startPgServer, type PgServer } from '../../helpers/pg-server.js';
import { decoded, makeEvent, tempDir } from './log-fixtures.js';

const NOW = Date.UTC(2026, 10, 20) + 5 * HOUR_MS + 17 * 60_000;
const SPAN = 9 * DAY_MS;
const dir = tempDir('pg-name-bounds');
let server: PgServer;
let target: PgTarget;
let pool: PgPool;
let writer: LogWriter;
let shipper: PgLogShipper;

async function logBoth(events: DecodedEvent[]): Promise<void> {
  for (let at = 0; at < events.length; at += 500) {
    const batch = events.slice(at, at + 500);
    writer.write(batch, NOW, true);
    shipper.push(batch);
    await shipper.ship(NOW);
  }
}

/** Name lists without ids, ties in name order (SQLite breaks ties by name id, PostgreSQL by name). */
function names(list: TopName[] | null): unknown[] {
  return (list ?? [])
    .map(({ nameId: _, ...rest }) => rest)
    .sort((a, b) => b.count - a.count || a.name.localeCompare(b.name));
}

/** PostgreSQL's top names (as a fresh dashboard reads them) beside SQLite's, for each period. */
async function expectSameTops(periods: Period[], limit: number): Promise<void> {
  const pg = PgAnalytics.open({ target, replica: 'test', now: () => NOW });
  const sqlite = Analytics.open({ dataDir: dir.path, now: () => NOW });
  try {
    await pg.ready;
    for (const period of periods) {
      const a = sqlite.topNameLists(period, { limit });
      const b = await pg.topNameLists(period, { limit });
      expect(names(b.all)).toEqual(names(a.all));
      expect(names(b.blocked)).toEqual(names(a.blocked));
    }
  } finally {
    sqlite.close();
    await pg.close();
  }
}

function burst(name: string, count: number, from: number, status: QueryStatus): DecodedEvent[] {
  const ev = emptyQueryEvent();
  return Array.from({ length: count }, (_, i) => {
    const event = decoded(makeEvent(i, from + i * 1000, ev));
    event.name = name;
    event.status = status;
    return event;
  });
}

const lastHour = { from: NOW - HOUR_MS, to: NOW };
const day = { from: NOW - DAY_MS, to: NOW };
const week = { from: NOW - 7 * DAY_MS, to: NOW };

beforeAll(async () => {
  server = await startPgServer();
  target = parseDatabaseUrl(server.url);
  pool = await connectPool(target, { applicationName: 'test' });
  await migratePg(pool, target);
  writer = new LogWriter({
    dbPath: join(dir.path, 'querylog.db'),
    retentionDays: 30,
    rollupRetentionDays: 365,
    queries: 'all',
    anonymizeClients: false,
  });
  expect(writer.open()).toBe(true);
  shipper = new PgLogShipper({ target, replica: 'a', retentionDays: 30, anonymizeClients: false });
  const ev = emptyQueryEvent();
  const N = 6000;
  await logBoth(
    Array.from({ length: N }, (_, i) => decoded(makeEvent(i, NOW - SPAN + Math.floor((i * SPAN) / N), ev))),
  );
}, 120_000);

afterAll(async () => {
  writer?.close();
  await shipper?.close();
  await pool?.end();
  server?.destroy();
  dir.remove();
});

describe('kept top-names candidates', () => {
  it('are taken when a dashboard opens, and answer like SQLite', async () => {
    await expectSameTops([lastHour, day, week], 50);
    const kept = await pool.query<{ n: number }>(
      'SELECT cardinality(names) AS n FROM log_name_bounds WHERE device_id = -1',
    );
    expect(kept.rows[0]?.n).toBe(40);
  });

  it('find names logged after they were taken: a new name and a climbing one', async () => {
    const taken = await pool.query<{ taken_at: string }>(
      'SELECT taken_at FROM log_name_bounds WHERE device_id = -1',
    );
    // Each more than any old name's whole-log count (150): only the growth since can make them candidates.
    await logBoth([
      ...burst('new-tracker.example', 400, NOW - 50 * 60_000, QueryStatus.blocked),
      ...burst('host3.example3.com', 300, NOW - 40 * 60_000, QueryStatus.forwarded),
    ]);
    const pg = PgAnalytics.open({ target, replica: 'test', now: () => NOW });
    try {
      // Read before any retake: the kept lists are the old ones, the answer is still exact.
      const still = await pool.query<{ taken_at: string }>(
        'SELECT taken_at FROM log_name_bounds WHERE device_id = -1',
      );
      expect(still.rows[0]?.taken_at).toBe(taken.rows[0]?.taken_at);
      const top = await pg.topNameLists(lastHour, { limit: 2 });
      expect(top.all?.[0]).toMatchObject({ name: 'new-tracker.example', count: 400 });
      expect(top.all?.[1]?.name).toBe('host3.example3.com');
      expect(top.blocked?.[0]).toMatchObject({ name: 'new-tracker.example', count: 400, blocked: 400 });
    } finally {
      await pg.close();
    }
    await expectSameTops([lastHour, day, week], 50);
  });

  it('are read by their head first, the rest only when asked (and not when retaken since)', async () => {
    const whole = await new PgNameBounds(pool).candidates(-1);
    expect(whole.all.more).toBeNull();
    expect(whole.all.list.length).toBeGreaterThan(30);
    const headed = new PgNameBounds(pool, Date.now, 7);
    const head = await headed.candidates(-1);
    for (const which of ['all', 'blocked'] as const) {
      expect(head[which].list).toEqual(whole[which].list.slice(0, 7));
      expect(head[which].rest).toBe(whole[which].rest);
      expect(await head[which].more?.()).toEqual(whole[which].list);
    }
    // The bounded search past a head of 7 names (it reads the rest): what it answers from the whole list,
    // and (every name: no ties at the last place) what SQLite answers.
    const sqlite = Analytics.open({ dataDir: dir.path, now: () => NOW });
    try {
      const search = (bounds: PgNameBounds) => new PgTopNames(pool, new PgLogPage(pool), () => NOW, bounds);
      for (const period of [lastHour, day, week]) {
        for (const limit of [3, 12]) {
          expect(await search(headed).topNameLists(period, { limit })).toEqual(
            await search(new PgNameBounds(pool)).topNameLists(period, { limit }),
          );
        }
        const a = sqlite.topNameLists(period, { limit: 50 });
        const b = await search(headed).topNameLists(period, { limit: 50 });
        expect(names(b.all)).toEqual(names(a.all));
        expect(names(b.blocked)).toEqual(names(a.blocked));
      }
    } finally {
      sqlite.close();
    }
    // Retaken after the head was read: its rest would be in another order, so none is given.
    await pool.query('UPDATE log_name_bounds SET taken_at = taken_at + 1 WHERE device_id = -1');
    expect(await head.all.more?.()).toBeNull();
  });

  it('are taken again after retention', async () => {
    await pruneRollups(pool, NOW - 5 * DAY_MS, NOW);
    const pg = PgAnalytics.open({ target, replica: 'test', now: () => NOW });
    try {
      await pg.ready;
      const kept = await pool.query<{ oldest_day: string; total_at: string }>(
        'SELECT oldest_day, total_at FROM log_name_bounds WHERE device_id = -1',
      );
      const now = await pool.query<{ oldest: string; total: string }>(
        'SELECT min(bucket) AS oldest, sum(count) AS total FROM log_totals_day WHERE device_id = -1',
      );
      expect(Number(now.rows[0]?.oldest)).toBeGreaterThanOrEqual(NOW - 6 * DAY_MS);
      expect(kept.rows[0]).toEqual({ oldest_day: now.rows[0]?.oldest, total_at: now.rows[0]?.total });
    } finally {
      await pg.close();
    }
  });
});
