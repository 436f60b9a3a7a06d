import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { DevicesRepo } from '../../../server/store/repos/devices-repo.js';
import { openConfigDb } from '../../../server/store/sqlite.js';

const dir = mkdtempSync(join(tmpdir(), 'tracksink-devices-touch-'));
const db = openConfigDb(join(dir, 'tracksink.db'));
afterAll(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('DevicesRepo.touchMany (the last-seen flush on the DNS thread)', () => {
  it('moves last-seen forward on every flush, never back, with its statements prepared on the first one only', () => {
    const repo = new DevicesRepo(db);
    const a = repo.create({ mac: null, macRandom: false, vendor: null, now: 1_000 });
    const b = repo.create({ mac: null, macRandom: false, vendor: null, now: 1_000 });
    const prepare = vi.spyOn(db, 'prepare');

    repo.touchMany(new Map([[a, 2_000]]), new Map([['192.168.1.10', { deviceId: a, time: 2_000 }]]));
    const preparedByFirst = prepare.mock.calls.length;
    expect(preparedByFirst).toBeGreaterThan(0);

    repo.touchMany(
      new Map([
        [a, 3_000],
        [b, 1_500],
      ]),
      new Map([
        ['192.168.1.10', { deviceId: a, time: 1_800 }],
        ['192.168.1.11', { deviceId: b, time: 1_500 }],
      ]),
    );
    repo.touchMany(new Map([[b, 4_000]]), new Map());
    // The second and third flushes reuse the first one's statements.
    expect(prepare.mock.calls.length).toBe(preparedByFirst);
    prepare.mockRestore();

    expect(repo.get(a)?.lastSeen).toBe(3_000);
    expect(repo.get(b)?.lastSeen).toBe(4_000);
    // An address seen earlier than its stored last-seen keeps the later time; a new one gets its first-seen.
    expect(repo.get(a)?.addresses).toEqual([{ address: '192.168.1.10', firstSeen: 2_000, lastSeen: 2_000 }]);
    expect(repo.get(b)?.addresses).toEqual([{ address: '192.168.1.11', firstSeen: 1_500, lastSeen: 1_500 }]);
  });
});
