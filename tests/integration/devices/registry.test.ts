import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DeviceRegistry } from '../../../server/devices/registry.js';
import type { NeighbourTable } from '../../../server/devices/neighbour-table.js';
import { silentLogger } from '../../../server/logger.js';
import { openConfigDb, type Db } from '../../../server/store/sqlite.js';

const dir = mkdtempSync(join(tmpdir(), 'tracksink-devices-'));
const open: Array<{ registry: DeviceRegistry; db: Db }> = [];
afterAll(async () => {
  for (const { registry, db } of open) {
    await registry.close().catch(() => {});
    db.close();
  }
  rmSync(dir, { recursive: true, force: true });
});

const APPLE = '3c:22:fb:01:02:03';
const RANDOM = 'da:a1:19:00:00:01';
const OTHER = '00:11:22:33:44:55';

function start(file: string, neighbours: { table: NeighbourTable }, leasesFile?: string) {
  const db = openConfigDb(join(dir, file));
  const registry = new DeviceRegistry({
    db,
    logger: silentLogger,
    leasesFile,
    neighbourTable: { read: async () => new Map(neighbours.table) },
  });
  open.push({ registry, db });
  return { registry, db };
}

describe('DeviceRegistry', () => {
  it('identifies by MAC across IPv4/IPv6, IP changes and restarts; names from leases; vendor; random flag', async () => {
    const neighbours = { table: new Map<string, string>() };
    const leases = join(dir, 'dnsmasq.leases');
    writeFileSync(leases, `1763900000 ${APPLE} 192.168.5.10 janes-phone *\n`);
    const { registry, db } = start('a.db', neighbours, leases);

    // First sight, MAC not yet in the table: an IP-only device, at once.
    const first = registry.deviceIdFor('192.168.5.10');
    expect(first).toBeGreaterThan(0);
    expect(registry.deviceIdFor('192.168.5.10')).toBe(first);
    neighbours.table.set('192.168.5.10', APPLE);
    neighbours.table.set('fe80::3e22:fbff:fe01:203', APPLE);
    await registry.refresh();
    expect(registry.get(first)).toMatchObject({
      mac: APPLE,
      macRandom: false,
      name: 'janes-phone',
      nameSource: 'leases',
    });
    expect(registry.get(first)?.vendor).toMatch(/Apple/);

    // The same phone's IPv6 address (now in the snapshot) is the same device.
    expect(registry.deviceIdFor('fe80::3e22:fbff:fe01:203')).toBe(first);
    expect(registry.deviceIdFor('::ffff:192.168.5.10')).toBe(first);

    // DHCP gives it a new address: briefly unknown, then merged back into the MAC's device.
    const provisional = registry.deviceIdFor('192.168.5.77');
    neighbours.table.set('192.168.5.77', APPLE);
    await registry.refresh();
    expect(registry.deviceIdFor('192.168.5.77')).toBe(first);
    // The provisional id is gone as a device; it now names the device it became.
    if (provisional !== first) expect(registry.get(provisional)?.id).toBe(first);
    expect(registry.list()).toHaveLength(1);
    expect(registry.get(first)?.addresses.sort()).toEqual([
      '192.168.5.10',
      '192.168.5.77',
      'fe80::3e22:fbff:fe01:203',
    ]);

    // The user's name wins over the lease name; groups are kept.
    const kids = registry.createGroup({ name: 'Kids' });
    registry.update(first, {
      name: 'Jane’s phone',
      type: 'phone',
      groupIds: [kids.id],
      privacy: 'hide-names',
    });
    expect(registry.get(first)).toMatchObject({
      name: 'Jane’s phone',
      autoName: 'janes-phone',
      type: 'phone',
      groupIds: [kids.id],
    });
    expect(registry.deviceGroups()).toEqual(new Map([[first, [kids.id]]]));
    expect(registry.devicePrivacy()).toEqual(new Map([[first, 'hide-names']]));

    // A phone with a randomised MAC.
    neighbours.table.set('192.168.5.20', RANDOM);
    await registry.refresh();
    const phone = registry.deviceIdFor('192.168.5.20');
    await registry.refresh();
    expect(registry.get(phone)).toMatchObject({ mac: RANDOM, macRandom: true, vendor: null });

    // Restart: same ids, no new devices.
    await registry.close();
    const again = new DeviceRegistry({
      db,
      logger: silentLogger,
      neighbourTable: { read: async () => new Map(neighbours.table) },
    });
    expect(again.deviceIdFor('192.168.5.77')).toBe(first);
    expect(again.deviceIdFor('fe80::3e22:fbff:fe01:203')).toBe(first);
    expect(again.deviceIdFor('192.168.5.20')).toBe(phone);
    expect(
      again
        .list()
        .map((d) => d.id)
        .sort(),
    ).toEqual([first, phone].sort());
    expect(again.get(first)?.name).toBe('Jane’s phone');
    await again.close();
  });

  it('an address taken over by another MAC moves to that device', async () => {
    const neighbours = { table: new Map([['192.168.6.10', APPLE]]) };
    const { registry } = start('b.db', neighbours);
    await registry.refresh();
    const apple = registry.deviceIdFor('192.168.6.10');
    expect(registry.get(apple)?.mac).toBe(APPLE);
    neighbours.table.set('192.168.6.10', OTHER);
    await registry.refresh();
    const other = registry.deviceIdFor('192.168.6.10');
    expect(other).not.toBe(apple);
    expect(registry.get(other)?.mac).toBe(OTHER);
    expect(registry.get(apple)?.mac).toBe(APPLE);
  });

  it('batches last-seen writes instead of writing per query', async () => {
    let now = 1_000_000;
    const db = openConfigDb(join(dir, 'c.db'));
    const registry = new DeviceRegistry({
      db,
      logger: silentLogger,
      neighbourTable: { read: async () => new Map() },
      now: () => now,
    });
    open.push({ registry, db });
    const id = registry.deviceIdFor('192.168.7.1');
    await registry.refresh();
    const lastSeen = () => db.prepare('SELECT last_seen FROM devices WHERE id = ?').pluck().get(id);
    now = 2_000_000;
    for (let i = 0; i < 1000; i++) registry.deviceIdFor('192.168.7.1');
    expect(lastSeen()).toBe(1_000_000);
    registry.flushSeen();
    expect(lastSeen()).toBe(2_000_000);
  });

  it('rejects bad updates with clear errors and changes nothing', async () => {
    const { registry } = start('d.db', { table: new Map() });
    const id = registry.deviceIdFor('10.0.0.5');
    expect(() => registry.update(id, { type: 'toaster' })).toThrow(/device type must be one of/);
    expect(() => registry.update(id, { privacy: 'some' as never })).toThrow(/privacy must be/);
    expect(() => registry.update(id, { groupIds: [999] })).toThrow(/group 999 does not exist/);
    expect(() => registry.update(424242, { name: 'x' })).toThrow(/device 424242 does not exist/);
    expect(() => registry.createGroup({ name: '  ' })).toThrow(/group name/);
    registry.createGroup({ name: 'TVs' });
    expect(() => registry.createGroup({ name: 'tvs' })).toThrow(/already exists/);
    expect(registry.get(id)).toMatchObject({ type: 'unknown', privacy: null, groupIds: [] });
  });
});
