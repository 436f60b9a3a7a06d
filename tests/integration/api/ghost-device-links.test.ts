/**
 * Issue 15 item 4 through the API: queries logged under a ghost device (an address seen before its MAC
 * was known) link to the device it was merged into: the device itself (GET, PATCH, pause by the old
 * id), the query log's rows and a company's device list (one row per device, counts added up).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dig } from '../../helpers/dns-clients.js';
import type { Session } from './harness.js';
import { startStack, type Stack } from './stack.js';

const MAC = '00:00:5e:00:53:31';

describe('ghost device ids after a merge', () => {
  let s: Stack;
  let session: Session;
  const table = new Map<string, string>();
  let deviceId: number;
  let ghostId: number;

  beforeAll(async () => {
    s = await startStack({ neighbourTable: { read: async () => new Map(table) } });
    session = await s.login();
    // The device at its first address, MAC known.
    table.set('127.0.0.2', MAC);
    await dig(s.dnsPort, 'connect.facebook.net', 'A', ['-b', '127.0.0.2']);
    await s.devices.refresh();
    // Its new address, before the kernel knows the MAC: a ghost device logs two queries.
    await dig(s.dnsPort, 'connect.facebook.net', 'A', ['-b', '127.0.0.3']);
    await dig(s.dnsPort, 'www.facebook.com', 'A', ['-b', '127.0.0.3']);
    await s.queryLog.flush();
    const devices = (await session.request({ method: 'GET', url: '/api/devices' })).json().items as Array<{
      id: number;
      addresses: string[];
    }>;
    expect(devices).toHaveLength(2);
    deviceId = devices.find((d) => d.addresses.includes('127.0.0.2'))!.id;
    ghostId = devices.find((d) => d.addresses.includes('127.0.0.3'))!.id;
    // Now the MAC is known for the new address too: the ghost is merged.
    table.set('127.0.0.3', MAC);
    await s.devices.refresh();
  }, 60_000);
  afterAll(async () => {
    await s?.close();
  });

  it('the old id answers with the device it became (its own id), for reading and changing', async () => {
    const list = (await session.request({ method: 'GET', url: '/api/devices' })).json().items;
    expect(list.map((d: { id: number }) => d.id)).toEqual([deviceId]);
    const old = await session.request({ method: 'GET', url: `/api/devices/${ghostId}` });
    expect(old.statusCode).toBe(200);
    expect(old.json()).toMatchObject({ id: deviceId, mac: MAC });
    expect(old.json().addresses.sort()).toEqual(['127.0.0.2', '127.0.0.3']);

    const renamed = await session.request({
      method: 'PATCH',
      url: `/api/devices/${ghostId}`,
      payload: { name: 'Study laptop' },
    });
    expect(renamed.statusCode).toBe(200);
    expect(renamed.json()).toMatchObject({ id: deviceId, name: 'Study laptop' });
    const paused = await session.request({
      method: 'POST',
      url: `/api/devices/${ghostId}/pause`,
      payload: { duration: '15m' },
    });
    expect(paused.statusCode).toBe(200);
    expect(paused.json().id).toBe(deviceId);
    await session.request({
      method: 'POST',
      url: `/api/devices/${deviceId}/pause`,
      payload: { duration: null },
    });

    const missing = await session.request({ method: 'GET', url: `/api/devices/${ghostId + 50}` });
    expect(missing.statusCode).toBe(404);
  });

  it('log rows and company cards name and link the merged device, once', async () => {
    const rows = (await session.request({ method: 'GET', url: '/api/queries?limit=10' })).json()
      .items as Array<{
      device: { id: number; name: string } | null;
      company: { key: string } | null;
      name: string;
    }>;
    expect(rows).toHaveLength(3);
    for (const row of rows) expect(row.device).toEqual({ id: deviceId, name: 'Study laptop' });

    const key = rows.find((row) => row.name === 'connect.facebook.net')?.company?.key;
    expect(key).toBeTruthy();
    const company = (await session.request({ method: 'GET', url: `/api/companies/${key}` })).json();
    expect(company.devices).toHaveLength(1);
    expect(company.devices[0]).toMatchObject({ id: deviceId, name: 'Study laptop' });
    expect(company.devices[0].queries).toBe(company.queries);

    const tops = (await session.request({ method: 'GET', url: '/api/stats/tops?period=24h' })).json();
    expect(tops.devices.map((d: { id: number }) => d.id)).toEqual([deviceId]);
  });
});
