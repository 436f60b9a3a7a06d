/**
 * Re-joining a device whose private MAC rotated, with the device registry over a real SQLite file and a
 * real dnsmasq leases file on disk. Only the kernel's neighbour table is a fixture (this machine has no
 * LAN phones in it): a Map the test fills as the router's ARP table would be.
 *
 * Mum's phone (private MAC, DHCP host name "Mums-iPhone") comes back with a new private MAC and a new
 * lease: it is joined to the device it was automatically (same id, same person and profile, the new MAC
 * and address now resolve to it). Unclear cases are suggestions: an older device with a global MAC, a
 * host name two devices had, two devices seen at the same time, a new device somebody already named.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { DeviceRegistry } from '../../../server/devices/registry.js';
import { silentLogger } from '../../../server/logger.js';
import { PeopleService } from '../../../server/people/people-service.js';
import { GroupsRepo } from '../../../server/store/repos/groups-repo.js';
import { openConfigDb, type Db } from '../../../server/store/sqlite.js';

const dir = mkdtempSync(join(tmpdir(), 'tracksink-rejoin-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const MUM_OLD = 'da:a1:19:00:00:01'; // locally administered: a private address
const MUM_NEW = '5e:77:42:00:00:02';
const STUDY_PC = '00:1b:21:aa:bb:cc'; // a global (vendor) MAC
const MINUTE = 60_000;

interface World {
  db: Db;
  registry: DeviceRegistry;
  people: PeopleService;
  neighbours: Map<string, string>;
  leases: string;
  clock: { now: number };
  changes: number;
  /** Lets a queued re-join check (setImmediate) run. */
  settle(): Promise<void>;
}

let count = 0;
let world: World;

function start(): World {
  count++;
  const db = openConfigDb(join(dir, `rejoin-${count}.db`));
  const neighbours = new Map<string, string>();
  const leases = join(dir, `dnsmasq-${count}.leases`);
  writeFileSync(leases, '');
  const clock = { now: Date.parse('2026-12-01T08:00:00Z') };
  const state = { people: null as PeopleService | null };
  const registry = new DeviceRegistry({
    db,
    logger: silentLogger,
    leasesFile: leases,
    neighbourTable: { read: async () => new Map(neighbours) },
    vendors: async () => ({ vendorFor: async () => null, close: async () => undefined }),
    now: () => clock.now,
    // As services.ts wires it: every identity change queues a re-join check.
    onIdentityChange: () => state.people?.scheduleRejoinCheck(),
  });
  const w: World = {
    db,
    registry,
    people: null as unknown as PeopleService,
    neighbours,
    leases,
    clock,
    changes: 0,
    settle: () => w.people.idle(),
  };
  w.people = new PeopleService({
    db,
    leasesFile: leases,
    devices: registry,
    logger: silentLogger,
    now: () => clock.now,
    onChange: () => w.changes++,
  });
  state.people = w.people;
  return w;
}

/** A device arrives: its first query, its MAC in the neighbour table, its lease; the registry's pass. */
async function arrive(w: World, address: string, mac: string, hostName: string, leaseLines: string[]) {
  const id = w.registry.deviceIdFor(address);
  w.neighbours.set(address, mac);
  writeFileSync(w.leases, [...leaseLines, `1764600000 ${mac} ${address} ${hostName} *`].join('\n') + '\n');
  await w.registry.refresh();
  await w.settle();
  return id;
}

beforeEach(async () => {
  if (world) {
    await world.people.stop();
    await world.registry.close();
    world.db.close();
  }
  world = start();
});

describe('re-joining a device whose private MAC rotated', () => {
  it('joins Mum’s phone automatically: same device id, person and profile; the new MAC and address resolve to it', async () => {
    const w = world;
    const old = await arrive(w, '192.168.7.20', MUM_OLD, 'Mums-iPhone', []);
    expect(w.registry.get(old)).toMatchObject({ mac: MUM_OLD, macRandom: true, name: 'Mums-iPhone' });
    const kids = new GroupsRepo(w.db).create({ name: 'Grown-ups' });
    const mum = w.people.create({ name: 'Mum', profileId: kids.id, deviceIds: [old] });
    expect(w.registry.deviceGroups().get(old)).toEqual([kids.id]);

    // Two days later, on a new private MAC with a new lease (the old one expired).
    w.clock.now += 2 * 86_400_000;
    w.neighbours.delete('192.168.7.20');
    const before = w.registry.list().length;
    const seenAs = await arrive(w, '192.168.7.31', MUM_NEW, 'Mums-iPhone', []);
    expect(seenAs).not.toBe(old); // first seen as a new device, for a moment …
    // … then joined: one device again, the old id, with the new MAC and both addresses.
    expect(w.registry.list().length).toBe(before);
    // The merged id is an alias: links and log rows that name it reach the device it joined.
    expect(w.registry.get(seenAs)?.id).toBe(old);
    expect(w.db.prepare('SELECT device_id FROM device_aliases WHERE old_id = ?').pluck().get(seenAs)).toBe(
      old,
    );
    const joined = w.registry.get(old)!;
    expect(joined).toMatchObject({ mac: MUM_NEW, macRandom: true, name: 'Mums-iPhone' });
    expect(joined.addresses.sort()).toEqual(['192.168.7.20', '192.168.7.31']);
    expect(w.registry.deviceIdFor('192.168.7.31')).toBe(old);
    expect(w.people.get(mum.id).deviceIds).toEqual([old]);
    expect(w.registry.deviceGroups().get(old)).toEqual([kids.id]);
    expect(w.people.suggestions()).toEqual([]);
    expect(w.changes).toBeGreaterThanOrEqual(2); // create + the join pushed to the policy
  });

  it('suggests (never joins by itself) when the older device had a global MAC; one click joins, keeping one history', async () => {
    const w = world;
    const old = await arrive(w, '192.168.7.40', STUDY_PC, 'study-pc', []);
    const dad = w.people.create({ name: 'Dad', deviceIds: [old] });
    w.clock.now += 3 * 86_400_000;
    const fresh = await arrive(w, '192.168.7.41', MUM_NEW, 'study-pc', []);
    expect(w.registry.get(fresh)?.id).toBe(fresh);
    const suggestions = w.people.suggestions();
    expect(suggestions).toHaveLength(1);
    expect(suggestions[0]).toMatchObject({
      deviceId: fresh,
      candidateId: old,
      hostName: 'study-pc',
      automatic: false,
      person: { id: dad.id, name: 'Dad' },
    });
    const rule = w.db
      .prepare(
        "INSERT INTO rules (action, match, pattern, device_id, created_at) VALUES ('allow', 'exact', 'x.example', ?, 1)",
      )
      .run(fresh).lastInsertRowid;

    w.people.join(fresh, old);
    expect(w.registry.list().map((d) => d.id)).toEqual([old]);
    expect(w.registry.get(fresh)?.id).toBe(old);
    expect(w.registry.get(old)).toMatchObject({ mac: MUM_NEW });
    expect(w.registry.deviceIdFor('192.168.7.41')).toBe(old);
    expect(w.db.prepare('SELECT device_id FROM rules WHERE id = ?').pluck().get(rule)).toBe(old);
    expect(w.people.suggestions()).toEqual([]);
  });

  it('only suggests when two devices were seen at the same time, or the new one was already named; "not the same" is remembered', async () => {
    const w = world;
    const old = await arrive(w, '192.168.7.50', MUM_OLD, 'iPhone', []);
    w.clock.now += 10 * MINUTE;
    const other = await arrive(w, '192.168.7.51', MUM_NEW, 'iPhone', [
      `1764600000 ${MUM_OLD} 192.168.7.50 iPhone *`,
    ]);
    // The old one keeps asking after the new one appeared: two phones called "iPhone".
    w.clock.now += 10 * MINUTE;
    expect(w.registry.deviceIdFor('192.168.7.50')).toBe(old);
    w.registry.flushSeen();
    expect(await w.people.checkRejoins()).toEqual([]);
    expect(w.registry.get(other)?.id).toBe(other);
    const [suggestion] = w.people.suggestions();
    expect(suggestion).toMatchObject({ deviceId: other, candidateId: old, automatic: false });

    w.people.dismiss(other, old);
    expect(w.people.suggestions()).toEqual([]);
    expect(w.registry.get(other)?.id).toBe(other);
  });

  it('a new device somebody already named is not joined without asking', async () => {
    const w = world;
    const old = await arrive(w, '192.168.7.60', MUM_OLD, 'kids-ipad', []);
    w.clock.now += 86_400_000 / 2;
    w.neighbours.delete('192.168.7.60');
    const id = w.registry.deviceIdFor('192.168.7.61');
    w.registry.update(id, { name: 'Visitor iPad' });
    w.neighbours.set('192.168.7.61', MUM_NEW);
    writeFileSync(w.leases, `1764600000 ${MUM_NEW} 192.168.7.61 kids-ipad *\n`);
    await w.registry.refresh();
    await w.settle();
    expect(w.registry.get(id)?.id).toBe(id);
    expect(w.people.suggestions().map((s) => [s.deviceId, s.candidateId, s.automatic])).toEqual([
      [id, old, false],
    ]);
  });
});
