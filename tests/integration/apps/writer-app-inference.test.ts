/**
 * App inference inside the log writer thread (store/app-inference.ts, store/app-feed.ts): the rows the
 * writer stores are handed over as they are written, so a pass reads nothing back; rows written before
 * the feed started (an earlier process) or while it was lost (a full feed) are read from SQL as before.
 * Every case must give the same sums as the SQL-only pass over the same log, every row counted once.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { QueryStatus, emptyQueryEvent } from '../../../server/events/query-event.js';
import { silentLogger } from '../../../server/logger.js';
import { AppHostIndex, appHostTable } from '../../../server/store/app-hosts.js';
import { WriterAppInference } from '../../../server/store/app-inference.js';
import { AppRollups } from '../../../server/store/app-rollups.js';
import { LogWriter } from '../../../server/store/log-writer.js';
import { QueryLog } from '../../../server/store/query-log.js';
import type { DecodedEvent } from '../../../server/store/query-queue.js';
import { shippedAppCatalog } from '../../../server/trackers/apps/app-catalog.js';
import { tempDir } from '../store/log-fixtures.js';

const T0 = Date.UTC(2026, 10, 30, 18);
const dirs: Array<{ remove(): void }> = [];
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  for (const dir of dirs.splice(0)) dir.remove();
});

function event(time: number, deviceId: number, name: string, tracker = false): DecodedEvent {
  const ev = emptyQueryEvent();
  ev.timeMs = time;
  ev.deviceId = deviceId;
  ev.clientAddress = `192.168.1.${deviceId}`;
  ev.name = name;
  ev.qtype = 1;
  ev.status = tracker ? QueryStatus.blocked : QueryStatus.forwarded;
  ev.companyId = tracker ? 4 : 0;
  ev.kind = tracker ? 1 : 0;
  return { ...ev } as DecodedEvent;
}

/** A phone using TikTok with its tracker near it, with plenty of rows no app pass can use in between. */
function session(start: number, minutes: number): DecodedEvent[] {
  const events: DecodedEvent[] = [];
  for (let i = 0; i < minutes; i++) {
    const t = start + i * 60_000;
    events.push(event(t, 3, 'api22-normal-c-useast1a.tiktokv.com'));
    for (let k = 0; k < 20; k++) events.push(event(t + 100 + k * 10, 3, `cdn${k}.unrelated.example`));
    events.push(event(t + 800, 3, 'sdk.tracker-e2e.example', true));
    events.push(event(t + 1500, 3, 'p16-sign-va.tiktokcdn.com'));
    if (i % 3 === 0) events.push(event(t + 30_000, 3, 'sdk.tracker-e2e.example', true)); // alone
    events.push(event(t + 1000, 4, 'www.netflix.com'));
  }
  return events.sort((a, b) => a.timeMs - b.timeMs);
}

function newWriter(dbDir: string): LogWriter {
  const writer = new LogWriter({
    dbPath: join(dbDir, 'querylog.db'),
    retentionDays: 30,
    rollupRetentionDays: 365,
    queries: 'all',
    anonymizeClients: false,
  });
  expect(writer.open()).toBe(true);
  return writer;
}

function setUp(): { dir: string; writer: LogWriter } {
  const dir = tempDir('writer-apps');
  dirs.push(dir);
  const writer = newWriter(dir.path);
  cleanups.push(() => writer.close());
  return { dir: dir.path, writer };
}

function attach(writer: LogWriter, dir: string, maxFeedRows?: number): WriterAppInference {
  // As the worker gets it: the catalog's keys and hosts only, not the catalog (app-hosts.ts).
  const apps = new WriterAppInference({
    catalog: new AppHostIndex(appHostTable(shippedAppCatalog())),
    db: () => writer.handle,
    dataDir: dir,
    ...(maxFeedRows === undefined ? {} : { maxFeedRows }),
  });
  writer.attachFeed(apps.feed);
  return apps;
}

/** What the SQL-only pass finds over the same events in a log of its own: the reference. */
function reference(events: DecodedEvent[]): { apps: unknown; links: unknown } {
  const { dir, writer } = setUp();
  writer.write(events, T0);
  const r = new AppRollups({ dataDir: dir, catalog: shippedAppCatalog() });
  cleanups.push(() => r.stop());
  for (let i = 0; i < 1000 && r.pass(T0 + 3_600_000); i++);
  return { apps: r.deviceApps(3).concat(r.deviceApps(4)), links: r.trackerLinks(3) };
}

/** Writes in batches of 50 with a pass after each, as the worker does; the pass's clock is the batch's. */
function writeInBatches(writer: LogWriter, apps: WriterAppInference, events: DecodedEvent[]): void {
  for (let i = 0; i < events.length; i += 50) {
    const batch = events.slice(i, i + 50);
    const now = (batch.at(-1) as DecodedEvent).timeMs;
    writer.write(batch, now);
    apps.tick(now, true);
  }
}

function sums(dir: string): { apps: unknown; links: unknown; lastId: number } {
  const r = new AppRollups({ dataDir: dir, catalog: shippedAppCatalog(), readOnly: true });
  const db = new Database(join(dir, 'querylog.db'), { readonly: true });
  const lastId = db.prepare("SELECT last_id FROM rollup_state WHERE name = 'apps'").pluck().get() as number;
  db.close();
  const result = { apps: r.deviceApps(3).concat(r.deviceApps(4)), links: r.trackerLinks(3), lastId };
  r.stop();
  return result;
}

describe('app inference in the log writer thread', () => {
  it('sums the rows handed over by the writer, reading none back, as the SQL pass does', () => {
    const events = session(T0, 30);
    const expected = reference(events);
    const { dir, writer } = setUp();
    const apps = attach(writer, dir);
    writeInBatches(writer, apps, events);
    // Only the app and tracker rows were kept, never the unrelated ones.
    expect(apps.feed.size).toBeLessThan(events.length / 10);
    apps.tick(T0 + 3_600_000, true);
    expect(apps.feed.size).toBe(0);
    expect(apps.error).toBeNull();
    const got = sums(dir);
    expect({ apps: got.apps, links: got.links }).toEqual(expected);
    expect((expected.links as unknown[]).length).toBeGreaterThan(0);
    // The saved state is past every row, the unrelated ones at the end included.
    expect(got.lastId).toBe(events.length);
  });

  it('reads the rows written before it started from SQL, then takes the rest from the writer', () => {
    const events = session(T0, 30);
    const expected = reference(events);
    const { dir, writer } = setUp();
    const half = Math.floor(events.length / 2);
    writer.write(events.slice(0, half), T0); // an earlier process wrote these and stopped
    const apps = attach(writer, dir);
    writeInBatches(writer, apps, events.slice(half));
    expect(apps.feed.covers(half)).toBe(true);
    for (let i = 0; i < 20; i++) apps.tick(T0 + 3_600_000, true);
    expect(apps.feed.size).toBe(0);
    const got = sums(dir);
    expect({ apps: got.apps, links: got.links }).toEqual(expected);
  });

  it('falls back to SQL for a stretch when the feed outgrew its cap, still counting every row once', () => {
    const events = session(T0, 30);
    const expected = reference(events);
    const { dir, writer } = setUp();
    const apps = attach(writer, dir, 10);
    const third = Math.floor(events.length / 3);
    writer.write(events.slice(0, third), T0); // far more useful rows than 10: the feed restarts past them
    expect(apps.feed.covers(0)).toBe(false);
    writeInBatches(writer, apps, events.slice(third));
    for (let i = 0; i < 20; i++) apps.tick(T0 + 3_600_000, true);
    const got = sums(dir);
    expect({ apps: got.apps, links: got.links }).toEqual(expected);
  });

  it('starts again after a reopen without counting a rolled-back row', () => {
    const { dir, writer } = setUp();
    const apps = attach(writer, dir);
    writer.write(session(T0, 5), T0);
    expect(apps.feed.size).toBeGreaterThan(0);
    writer.close(); // the database is gone: what the feed held may be rolled back
    expect(apps.feed.covers(Number.MAX_SAFE_INTEGER)).toBe(false);
    expect(writer.open()).toBe(true);
    writeInBatches(writer, apps, session(T0 + 600_000, 5));
    for (let i = 0; i < 20; i++) apps.tick(T0 + 3_600_000, true);
    const got = sums(dir);
    expect(got.links).toEqual([
      expect.objectContaining({ appKey: 'tiktok', together: 10, total: 14, name: 'sdk.tracker-e2e.example' }),
    ]);
  });
});

describe('QueryLog with app inference in its writer thread', () => {
  it('fills the apps of a device from events recorded on the main thread, with no pass on it', async () => {
    const dir = tempDir('writer-apps-log');
    dirs.push(dir);
    const log = await QueryLog.open({
      dataDir: dir.path,
      retentionDays: 30,
      rollupRetentionDays: 365,
      queries: 'all',
      anonymizeClients: false,
      logger: silentLogger,
    });
    cleanups.push(() => log.close());
    log.startAppInference(shippedAppCatalog());
    // A minute ago: every row's window is over, so the flush's pass counts them all.
    for (const ev of session(Date.now() - 10 * 60_000, 3)) log.record(ev as never);
    await log.flush();
    const got = sums(dir.path);
    expect(got.apps).toEqual([
      expect.objectContaining({ appKey: 'tiktok', queries: 6 }),
      expect.objectContaining({ appKey: 'netflix', queries: 3 }),
    ]);
    expect(got.links).toEqual([expect.objectContaining({ appKey: 'tiktok', together: 3, total: 4 })]);
  });
});
