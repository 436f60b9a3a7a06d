/** Linking tracker contacts to the app queried around them on the same device. */
import { describe, expect, it } from 'vitest';
import { type LinkRow, isLikely, linkRows } from '../../../../server/trackers/apps/app-linker.js';

const TIKTOK = 0;
const WEATHER = 1;
let nextId = 1;
function row(time: number, deviceId: number, nameId: number, app: number, tracker = false): LinkRow {
  return { id: nextId++, time, deviceId, nameId, companyId: tracker ? 7 : 0, app, tracker };
}
const all = (): boolean => true;

describe('linkRows', () => {
  it('links a contact to the apps queried within the window before or after it, on the same device only', () => {
    const rows = [
      row(10_000, 1, 100, TIKTOK), // TikTok API
      row(11_500, 1, 900, -1, true), // tracker 1.5 s after: linked
      row(20_000, 1, 900, -1, true), // alone: counted, not linked
      row(29_000, 1, 900, -1, true), // 1 s before the weather app: linked to it
      row(30_000, 1, 200, WEATHER),
      row(11_000, 2, 100, TIKTOK), // another device: never links device 1's contacts
    ];
    const sums = linkRows(rows, 2000, all);
    expect(sums.trackers).toEqual([
      { deviceId: 1, nameId: 900, companyId: 7, firstSeen: 11_500, lastSeen: 29_000, total: 3 },
    ]);
    expect(sums.links).toEqual(
      expect.arrayContaining([
        { deviceId: 1, nameId: 900, app: TIKTOK, together: 1 },
        { deviceId: 1, nameId: 900, app: WEATHER, together: 1 },
      ]),
    );
    expect(sums.links).toHaveLength(2);
    expect(sums.apps).toEqual(
      expect.arrayContaining([
        { deviceId: 1, app: TIKTOK, firstSeen: 10_000, lastSeen: 10_000, queries: 1 },
        { deviceId: 1, app: WEATHER, firstSeen: 30_000, lastSeen: 30_000, queries: 1 },
        { deviceId: 2, app: TIKTOK, firstSeen: 11_000, lastSeen: 11_000, queries: 1 },
      ]),
    );
  });

  it('counts an app once per contact however many of its queries are near, and the window edge is inclusive', () => {
    const rows = [
      row(1000, 1, 100, TIKTOK),
      row(1200, 1, 101, TIKTOK),
      row(3000, 1, 900, -1, true),
      row(5001, 1, 100, TIKTOK),
    ];
    const sums = linkRows(rows, 2000, all);
    expect(sums.links).toEqual([{ deviceId: 1, nameId: 900, app: TIKTOK, together: 1 }]);
  });

  it('never takes a tracker host as a sign of an app (an SDK host is in many apps)', () => {
    // graph.facebook.com matches the Facebook app's hosts but is a tracker: no Facebook activity.
    const rows = [row(1000, 1, 300, 5, true), row(1500, 1, 900, -1, true)];
    const sums = linkRows(rows, 2000, all);
    expect(sums.apps).toEqual([]);
    expect(sums.links).toEqual([]);
    expect(sums.trackers.map((t) => t.total)).toEqual([1, 1]);
  });

  it('uses context rows as neighbours without counting them', () => {
    const context = row(1000, 1, 100, TIKTOK);
    const counted = row(2500, 1, 900, -1, true);
    const later = row(4000, 1, 100, TIKTOK);
    const sums = linkRows([context, counted, later], 2000, (r) => r.id === counted.id);
    expect(sums.apps).toEqual([]);
    expect(sums.trackers).toHaveLength(1);
    expect(sums.links).toEqual([{ deviceId: 1, nameId: 900, app: TIKTOK, together: 1 }]);
  });

  it('sorts rows by time, so a late-arriving row still meets its neighbours', () => {
    const rows = [row(5000, 1, 900, -1, true), row(4000, 1, 100, TIKTOK), row(9000, 1, 900, -1, true)];
    expect(linkRows(rows, 2000, all).links).toEqual([{ deviceId: 1, nameId: 900, app: TIKTOK, together: 1 }]);
  });
});

describe('isLikely', () => {
  it('needs most contacts near the app and more than a couple', () => {
    expect(isLikely(38, 40)).toBe(true);
    expect(isLikely(2, 2)).toBe(false);
    expect(isLikely(5, 10)).toBe(false);
    expect(isLikely(6, 10)).toBe(true);
  });
});
