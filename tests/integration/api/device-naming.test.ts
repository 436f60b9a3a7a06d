/**
 * Issue 15 item 5 through the API: suggested names for a device, with where each came from (the DHCP
 * lease's host name, the name the device announces, its maker and kind, its lookups), and the list of
 * devices nobody named yet, which a name takes a device off. An unnamed device without any name source
 * reads as its maker and kind at its address, never a bare address.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dig } from '../../helpers/dns-clients.js';
import type { Session } from './harness.js';
import { startStack, type Stack } from './stack.js';

const SAMSUNG = '8c:71:f8:00:00:01'; // a Samsung Electronics OUI
const PRIVATE = 'da:a1:19:00:00:02'; // locally administered: a phone's private Wi-Fi address

describe('naming devices', () => {
  let s: Stack;
  let session: Session;
  const table = new Map<string, string>([
    ['127.0.0.2', SAMSUNG],
    ['127.0.0.3', PRIVATE],
  ]);
  let tv: number;
  let phone: number;
  let laptop: number;

  beforeAll(async () => {
    const leasesFile = join(process.env.TMPDIR ?? '/tmp', `tracksink-naming-${process.pid}.leases`);
    writeFileSync(leasesFile, `1763900000 ${PRIVATE} 127.0.0.3 annas-iphone *\n`);
    s = await startStack({
      neighbourTable: { read: async () => new Map(table) },
      leasesFile,
      // The laptop answers mDNS with its own name; nothing else does.
      mdns: async (address) => (address === '127.0.0.4' ? 'Study-MacBook' : null),
    });
    session = await s.login();
    await dig(s.dnsPort, 'www.example.org', 'A', ['-b', '127.0.0.2']);
    await dig(s.dnsPort, 'p12-caldav.icloud.com', 'A', ['-b', '127.0.0.3']);
    await dig(s.dnsPort, 'www.example.org', 'A', ['-b', '127.0.0.4']);
    await s.devices.refresh();
    await s.queryLog.flush();
    const items = (await session.request({ method: 'GET', url: '/api/devices' })).json().items as Array<{
      id: number;
      addresses: string[];
    }>;
    const at = (address: string) => items.find((d) => d.addresses.includes(address))!.id;
    [tv, phone, laptop] = [at('127.0.0.2'), at('127.0.0.3'), at('127.0.0.4')];
  }, 60_000);
  afterAll(async () => {
    await s?.close();
  });

  it('suggests names with their source, best first', async () => {
    await session.request({ method: 'PATCH', url: `/api/devices/${tv}`, payload: { type: 'tv' } });
    const forTv = (
      await session.request({ method: 'GET', url: `/api/devices/${tv}/name-suggestions` })
    ).json();
    expect(forTv.deviceId).toBe(tv);
    expect(forTv.items[0]).toMatchObject({ name: 'Samsung TV', source: 'maker' });

    const forPhone = (
      await session.request({ method: 'GET', url: `/api/devices/${phone}/name-suggestions` })
    ).json();
    expect(forPhone.items.map((i: { name: string; source: string }) => [i.name, i.source])).toEqual([
      ['Annas iPhone', 'leases'],
      ['Apple device', 'lookups'],
    ]);
    expect(forPhone.items[0].why).toContain('annas-iphone');

    const forLaptop = (
      await session.request({ method: 'GET', url: `/api/devices/${laptop}/name-suggestions` })
    ).json();
    expect(forLaptop.items[0]).toMatchObject({ name: 'Study MacBook', source: 'mdns' });

    const missing = await session.request({ method: 'GET', url: '/api/devices/999/name-suggestions' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().message).toContain('there is no device 999');
  });

  it('an unnamed device reads as its maker and kind at its address, not a bare address', async () => {
    const device = (await session.request({ method: 'GET', url: `/api/devices/${tv}` })).json();
    expect(device.name).toBe('Samsung TV at 127.0.0.2');
    const laptopDevice = (await session.request({ method: 'GET', url: `/api/devices/${laptop}` })).json();
    expect(laptopDevice.name).toBe('Device at 127.0.0.4');
  });

  it('lists the unnamed devices with their suggestions; a name takes a device off the list', async () => {
    const before = (await session.request({ method: 'GET', url: '/api/devices/unnamed' })).json();
    expect(before.total).toBe(3);
    expect(before.items.map((i: { device: { id: number } }) => i.device.id).sort()).toEqual(
      [tv, phone, laptop].sort(),
    );
    const phoneItem = before.items.find((i: { device: { id: number } }) => i.device.id === phone);
    expect(phoneItem.suggestions[0].name).toBe('Annas iPhone');

    const named = await session.request({
      method: 'PATCH',
      url: `/api/devices/${phone}`,
      payload: { name: phoneItem.suggestions[0].name },
    });
    expect(named.json()).toMatchObject({ id: phone, name: 'Annas iPhone', userName: 'Annas iPhone' });
    const after = (await session.request({ method: 'GET', url: '/api/devices/unnamed?limit=1' })).json();
    expect(after.total).toBe(2);
    expect(after.items).toHaveLength(1);
    expect(after.items[0].device.id).not.toBe(phone);

    const bad = await session.request({ method: 'GET', url: '/api/devices/unnamed?limit=500' });
    expect(bad.statusCode).toBe(400);
  });
});
