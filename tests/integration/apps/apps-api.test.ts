/**
 * Apps through the whole product: real DNS queries from a phone (TikTok's API, then TikTok's event log
 * and a blocklisted tracker moments later) logged by the real writer, summed by the inference pass, and
 * read back through GET /api/devices/:id/apps; the App Privacy Report import (all or nothing) and the
 * catalog route.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeviceApps, PrivacyReportResult } from '../../../server/api/schemas/apps.js';
import { AppRollups } from '../../../server/store/app-rollups.js';
import { shippedAppCatalog } from '../../../server/trackers/apps/app-catalog.js';
import { dig } from '../../helpers/dns-clients.js';
import type { Session } from '../api/harness.js';
import { startStack, type Stack } from '../api/stack.js';

const report = readFileSync(
  join(import.meta.dirname, '..', '..', 'fixtures', 'privacy-report', 'app-privacy-report.ndjson'),
  'utf8',
);

describe('apps over real DNS traffic and the API', () => {
  let s: Stack;
  let session: Session;
  let rollups: AppRollups;
  let phoneId = 0;

  beforeAll(async () => {
    s = await startStack();
    session = await s.login();
    rollups = new AppRollups({ dataDir: s.dir, catalog: shippedAppCatalog() });
    // The phone opens TikTok three times; each time TikTok's event log and a listed tracker follow.
    for (let i = 0; i < 3; i++) {
      await dig(s.dnsPort, `api${22 + i}-normal-c-useast1a.tiktokv.com`, 'A', ['-b', '127.0.0.2']);
      await dig(s.dnsPort, 'log.tiktokv.com', 'A', ['-b', '127.0.0.2']);
      await dig(s.dnsPort, 'ads.example.com', 'A', ['-b', '127.0.0.2']);
    }
    // A laptop only reads Instagram.
    await dig(s.dnsPort, 'i.instagram.com', 'A', ['-b', '127.0.0.3']);
    await s.queryLog.flush();
    // The pass counts rows whose 2 s window is over: run it as if a few seconds had passed.
    for (let i = 0; i < 10 && rollups.pass(Date.now() + 5000); i++);
    const devices = (await session.request({ method: 'GET', url: '/api/devices' })).json() as {
      items: Array<{ id: number; addresses: string[] }>;
    };
    phoneId = devices.items.find((d) => d.addresses.includes('127.0.0.2'))?.id ?? 0;
    expect(phoneId).toBeGreaterThan(0);
  }, 60_000);
  afterAll(async () => {
    rollups?.stop();
    await s?.close();
  });

  it('shows TikTok on the phone with its trackers, likely TikTok 3 of 3 times', async () => {
    const response = await session.request({ method: 'GET', url: `/api/devices/${phoneId}/apps` });
    expect(response.statusCode).toBe(200);
    const body = response.json() as DeviceApps;
    expect(body.windowMs).toBe(2000);
    expect(body.apps.map((a) => a.key)).toEqual(['tiktok']);
    const tiktok = body.apps[0]!;
    expect(tiktok).toMatchObject({ name: 'TikTok', company: 'ByteDance', queries: 3 });
    expect(tiktok.firstSeen).toBeLessThanOrEqual(tiktok.lastSeen);
    const byName = new Map(tiktok.trackers.map((t) => [t.name, t]));
    expect(byName.get('log.tiktokv.com')).toMatchObject({ together: 3, total: 3, likely: true });
    expect(byName.get('log.tiktokv.com')?.company?.name).toMatch(/ByteDance|TikTok/);
    expect(byName.get('ads.example.com')).toMatchObject({ together: 3, total: 3, likely: true });
    expect(body.otherTrackers).toEqual([]);
  });

  it('GET /api/apps lists the catalog with sources', async () => {
    const response = await session.request({ method: 'GET', url: '/api/apps' });
    expect(response.statusCode).toBe(200);
    const body = response.json() as { items: Array<{ key: string; source: string }>; hosts: number };
    expect(body.items.length).toBeGreaterThanOrEqual(100);
    expect(body.items.find((a) => a.key === 'netflix')?.source).toMatch(/^https:\/\//);
    expect(body.hosts).toBeGreaterThan(body.items.length);
  });

  it('refuses a corrupt privacy report whole, with the line, and changes nothing', async () => {
    const lines = report.split('\n');
    lines[9] = '{"domain":"www.pinterest.com","type":"networkActivity",'; // cut off mid-record
    const response = await session.request({
      method: 'POST',
      url: `/api/devices/${phoneId}/privacy-report`,
      payload: { fileName: 'broken.ndjson', report: lines.join('\n') },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().message).toMatch(/line 10: not JSON.*nothing was imported/);
    const after = (
      await session.request({ method: 'GET', url: `/api/devices/${phoneId}/apps` })
    ).json() as DeviceApps;
    expect(after.reported).toEqual([]);
    expect(after.reports).toEqual([]);
    expect(s.db.prepare('SELECT count(*) FROM privacy_report_network').pluck().get()).toBe(0);
  });

  it('imports a report and names the exact app behind each host; importing it again adds nothing', async () => {
    const post = () =>
      session.request({
        method: 'POST',
        url: `/api/devices/${phoneId}/privacy-report`,
        payload: { fileName: 'App_Privacy_Report.ndjson', report },
      });
    const first = await post();
    expect(first.statusCode).toBe(200);
    expect(first.json() as PrivacyReportResult).toMatchObject({
      networkRecords: 12,
      accessRecords: 4,
      newRecords: 16,
      skipped: 1,
      apps: 5,
    });
    const again = (await post()).json() as PrivacyReportResult;
    expect(again.newRecords).toBe(0);

    const body = (
      await session.request({ method: 'GET', url: `/api/devices/${phoneId}/apps` })
    ).json() as DeviceApps;
    expect(body.reports).toHaveLength(2);
    const tiktok = body.reported.find((a) => a.bundleId === 'com.zhiliaoapp.musically');
    expect(tiktok).toMatchObject({ appKey: 'tiktok', name: 'TikTok', hits: 89 });
    expect(tiktok?.dataAccess).toEqual([{ category: 'camera', count: 1, lastSeen: expect.any(Number) }]);
    const graph = tiktok?.hosts.find((h) => h.host === 'graph.facebook.com');
    expect(graph).toMatchObject({ hits: 4, owner: 'Facebook, Inc.' });
    expect(graph?.company?.key).toBe('meta');
    const unknown = body.reported.find((a) => a.bundleId === 'com.example.weatherly');
    expect(unknown).toMatchObject({ appKey: null, name: 'com.example.weatherly', hits: 20 });
    expect(unknown?.hosts.find((h) => h.host === 'inapps.appsflyer.com')?.tracker).toBe(true);
    const safari = body.reported.find((a) => a.bundleId === 'com.apple.mobilesafari');
    expect(safari?.hosts.find((h) => h.host === 'ct.pinterest.com')).toMatchObject({
      tracker: true,
      viaWebsite: true,
    });
  });

  it('answers 404 for an unknown device and 400 for a body without a report', async () => {
    expect((await session.request({ method: 'GET', url: '/api/devices/9999/apps' })).statusCode).toBe(404);
    const missing = await session.request({
      method: 'POST',
      url: `/api/devices/9999/privacy-report`,
      payload: { report },
    });
    expect(missing.statusCode).toBe(404);
    const bad = await session.request({
      method: 'POST',
      url: `/api/devices/${phoneId}/privacy-report`,
      payload: {},
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toMatch(/report/);
  });
});
