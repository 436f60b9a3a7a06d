/**
 * App inference over a real querylog.db written by the real log writer: apps per device with first and
 * last seen, tracker contacts linked to the app queried within 2 s, incremental passes that count every
 * row once, and rows counted only once their whole window has been written.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { QueryStatus, emptyQueryEvent } from '../../../server/events/query-event.js';
import { AppRollups } from '../../../server/store/app-rollups.js';
import { LogWriter } from '../../../server/store/log-writer.js';
import type { DecodedEvent } from '../../../server/store/query-queue.js';
import { shippedAppCatalog } from '../../../server/trackers/apps/app-catalog.js';
import { tempDir } from '../store/log-fixtures.js';

const T0 = Date.UTC(2026, 10, 30, 18);
const TRACKING_CATEGORY = 9;
const dirs: Array<{ remove(): void }> = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) dir.remove();
});

/** A logged query: trackers carry kind 1 (a tracker endpoint), as the DNS pipeline sets it. */
function event(time: number, deviceId: number, name: string, tracker = false): DecodedEvent {
  const ev = emptyQueryEvent();
  ev.timeMs = time;
  ev.deviceId = deviceId;
  ev.clientAddress = `192.168.1.${deviceId}`;
  ev.name = name;
  ev.qtype = 1;
  ev.status = tracker ? QueryStatus.blocked : QueryStatus.forwarded;
  ev.companyId = tracker ? 4 : 0;
  ev.categoryId = tracker ? TRACKING_CATEGORY : 0;
  ev.kind = tracker ? 1 : 0;
  return { ...ev } as DecodedEvent;
}

/** Ten minutes of a phone (device 3) using TikTok, with its tracker near it 5 times and once alone. */
function phoneSession(start: number): DecodedEvent[] {
  const events: DecodedEvent[] = [];
  for (let i = 0; i < 5; i++) {
    const t = start + i * 60_000;
    events.push(event(t, 3, 'api22-normal-c-useast1a.tiktokv.com'));
    events.push(event(t + 800, 3, 'sdk.tracker-e2e.example', true));
    events.push(event(t + 1500, 3, 'p16-sign-va.tiktokcdn.com'));
  }
  events.push(event(start + 400_000, 3, 'sdk.tracker-e2e.example', true)); // alone
  events.push(event(start + 1_000, 4, 'www.netflix.com')); // another device, same moment
  events.sort((a, b) => a.timeMs - b.timeMs);
  return events;
}

function setUp(): { dataDir: string; writer: LogWriter; rollups: (chunkRows?: number) => AppRollups } {
  const dir = tempDir('apps');
  dirs.push(dir);
  const writer = new LogWriter({
    dbPath: join(dir.path, 'querylog.db'),
    retentionDays: 30,
    rollupRetentionDays: 365,
    queries: 'all',
    anonymizeClients: false,
  });
  expect(writer.open()).toBe(true);
  const made: AppRollups[] = [];
  dirs.push({ remove: () => made.forEach((r) => r.stop()) });
  return {
    dataDir: dir.path,
    writer,
    rollups: (chunkRows) => {
      const r = new AppRollups({
        dataDir: dir.path,
        catalog: shippedAppCatalog(),
        chunkRows,
      });
      made.push(r);
      return r;
    },
  };
}

function drain(rollups: AppRollups, now: number): void {
  for (let i = 0; i < 1000 && rollups.pass(now); i++);
}

describe('app inference over the query log', () => {
  it('finds the apps of each device and links the tracker to TikTok 5 of 6 times', () => {
    const { writer, rollups } = setUp();
    writer.write(phoneSession(T0), T0);
    writer.close();
    const r = rollups();
    drain(r, T0 + 3_600_000);
    expect(r.deviceApps(3)).toEqual([
      { appKey: 'tiktok', firstSeen: T0, lastSeen: T0 + 4 * 60_000 + 1500, queries: 10 },
    ]);
    expect(r.deviceApps(4).map((a) => a.appKey)).toEqual(['netflix']);
    const links = r.trackerLinks(3);
    expect(links).toEqual([
      {
        appKey: 'tiktok',
        nameId: expect.any(Number),
        name: 'sdk.tracker-e2e.example',
        companyId: 4,
        together: 5,
        total: 6,
        firstSeen: T0 + 800,
        lastSeen: T0 + 400_000,
      },
    ]);
    // Device 4 queried Netflix 0.2 s after device 3's tracker: no link across devices.
    expect(r.trackerLinks(4)).toEqual([]);
  });

  it('counts the same totals when the rows come in many small steps (every row once)', () => {
    const { writer, rollups } = setUp();
    writer.write(phoneSession(T0), T0);
    writer.close();
    const stepwise = rollups(3);
    drain(stepwise, T0 + 3_600_000);
    expect(stepwise.deviceApps(3)[0]?.queries).toBe(10);
    expect(stepwise.trackerLinks(3).map((l) => [l.together, l.total])).toEqual([[5, 6]]);
    expect(stepwise.counted).toBe(17);
    // Nothing new: another pass changes nothing.
    expect(stepwise.pass(T0 + 7_200_000)).toBe(false);
    expect(stepwise.trackerLinks(3).map((l) => [l.together, l.total])).toEqual([[5, 6]]);
  });

  it('links a tracker to the app queried just before it when they are read in different steps', () => {
    const { writer, rollups } = setUp();
    writer.write(phoneSession(T0), T0);
    writer.close();
    // One row per step: every link needs the app query of an earlier step (kept from that step, or
    // read back from the log by an instance that did not see it).
    const first = rollups(1);
    for (let i = 0; i < 8; i++) first.pass(T0 + 3_600_000);
    first.stop();
    const second = rollups(1);
    drain(second, T0 + 3_600_000);
    expect(first.counted + second.counted).toBe(17);
    expect(second.deviceApps(3)[0]?.queries).toBe(10);
    expect(second.trackerLinks(3).map((l) => [l.together, l.total])).toEqual([[5, 6]]);
  });

  it('waits for a row’s whole window, then links it to an app query written in a later batch', () => {
    const { writer, rollups, dataDir } = setUp();
    const r = rollups();
    writer.write([event(T0, 3, 'sdk.tracker-e2e.example', true)], T0);
    r.pass(T0 + 500); // the tracker's window is not over: not counted yet
    expect(r.trackerLinks(3)).toEqual([]);
    writer.write([event(T0 + 1200, 3, 'i.instagram.com')], T0 + 1200);
    r.pass(T0 + 10_000);
    expect(r.trackerLinks(3).map((l) => [l.appKey, l.together, l.total])).toEqual([['instagram', 1, 1]]);
    // Incremental: a later session adds to the sums.
    writer.write(
      [event(T0 + 60_000, 3, 'i.instagram.com'), event(T0 + 61_000, 3, 'sdk.tracker-e2e.example', true)],
      T0 + 61_000,
    );
    r.pass(T0 + 120_000);
    expect(r.trackerLinks(3).map((l) => [l.appKey, l.together, l.total])).toEqual([['instagram', 2, 2]]);
    expect(r.deviceApps(3)).toEqual([
      { appKey: 'instagram', firstSeen: T0 + 1200, lastSeen: T0 + 60_000, queries: 2 },
    ]);
    writer.close();
    const db = new Database(join(dataDir, 'querylog.db'), { readonly: true });
    expect(db.prepare("SELECT last_id FROM rollup_state WHERE name = 'apps'").pluck().get()).toBe(4);
    db.close();
  });

  it('counts only tracker endpoints as tracker contacts, not a company service', () => {
    const { writer, rollups } = setUp();
    const service = event(T0 + 500, 3, 'www.pinterest.com');
    service.companyId = 4;
    service.categoryId = TRACKING_CATEGORY;
    service.kind = 2; // a service of a company the household uses
    writer.write([event(T0, 3, 'i.pinimg.com'), service], T0 + 500);
    writer.close();
    const r = rollups();
    drain(r, T0 + 60_000);
    expect(r.trackerLinks(3)).toEqual([]);
    expect(r.deviceApps(3)).toEqual([{ appKey: 'pinterest', firstSeen: T0, lastSeen: T0 + 500, queries: 2 }]);
  });

  it('leaves names hidden by privacy out (no name, no app)', () => {
    const { writer, rollups } = setUp();
    writer.setPrivacy('hide-names', []);
    writer.write(phoneSession(T0), T0);
    writer.close();
    const r = rollups();
    drain(r, T0 + 3_600_000);
    expect(r.deviceApps(3)).toEqual([]);
    expect(r.trackerLinks(3)).toEqual([]);
  });
});
