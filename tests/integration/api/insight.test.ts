/**
 * The insight through real DNS traffic, as issue "tracking insight that is true" reproduced it: a device
 * that only uses ordinary services shows no tracking attempts (its use of the companies' services is
 * shown apart), each tracker contact counts once, and Trackers → Categories names the companies whose
 * trackers made each category's queries.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dig } from '../../helpers/dns-clients.js';
import type { Session } from './harness.js';
import { startStack, type Stack } from './stack.js';

/** Ordinary use of ten services (the list): none of these is a tracker endpoint. */
const ORDINARY = [
  'www.pinterest.com',
  'i.pinimg.com',
  'www.instagram.com',
  'scontent.cdninstagram.com',
  'mail.google.com',
  'www.youtube.com',
  'www.tiktok.com',
  'www.facebook.com',
  'web.whatsapp.com',
  'www.amazon.com',
];
/** Tracker endpoints, each asked once by another device. */
const TRACKERS = [
  'ct.pinterest.com',
  'connect.facebook.net',
  'analytics.tiktok.com',
  'www.google-analytics.com',
  'device-metrics-us.amazon.com',
];

describe('insight: tracking attempts are tracker contacts, not ordinary use', () => {
  let s: Stack;
  let session: Session;
  let ordinaryId: number;
  let trackedId: number;

  beforeAll(async () => {
    s = await startStack();
    session = await s.login();
    for (const name of ORDINARY) await dig(s.dnsPort, name, 'A', ['-b', '127.0.0.4']);
    for (const name of TRACKERS) await dig(s.dnsPort, name, 'A', ['-b', '127.0.0.5']);
    await s.queryLog.flush();
    const devices = (await session.request({ method: 'GET', url: '/api/devices' })).json().items as Array<{
      id: number;
      addresses: string[];
    }>;
    ordinaryId = devices.find((d) => d.addresses.includes('127.0.0.4'))!.id;
    trackedId = devices.find((d) => d.addresses.includes('127.0.0.5'))!.id;
  }, 60_000);
  afterAll(async () => {
    await s?.close();
  });

  it('a device that only used services: 0 tracking attempts, its uses counted apart', async () => {
    const device = (await session.request({ method: 'GET', url: `/api/devices/${ordinaryId}` })).json();
    expect(device).toMatchObject({ queries: ORDINARY.length, trackingAttempts: 0 });
    expect(device.serviceUses).toBe(ORDINARY.length);
    expect(device.topCompanies).toEqual([]);
    const summary = (
      await session.request({ method: 'GET', url: `/api/stats/summary?device=${ordinaryId}` })
    ).json();
    expect(summary).toMatchObject({ total: ORDINARY.length, trackingAttempts: 0, trackingAttemptsToday: 0 });
    const log = (await session.request({ method: 'GET', url: `/api/queries?device=${ordinaryId}` })).json();
    expect(log.items.map((row: { kind: string }) => row.kind)).toEqual(ORDINARY.map(() => 'service'));
  });

  it('each tracker contact counts once, overall and for the device', async () => {
    const device = (await session.request({ method: 'GET', url: `/api/devices/${trackedId}` })).json();
    expect(device).toMatchObject({
      queries: TRACKERS.length,
      trackingAttempts: TRACKERS.length,
      serviceUses: 0,
    });
    expect(device.topCompanies.map((c: { trackingAttempts: number }) => c.trackingAttempts)).toEqual([
      1, 1, 1,
    ]);
    const summary = (await session.request({ method: 'GET', url: '/api/stats/summary' })).json();
    expect(summary).toMatchObject({
      total: ORDINARY.length + TRACKERS.length,
      trackingAttempts: TRACKERS.length,
      serviceUses: ORDINARY.length,
    });
  });

  it('a company card separates its trackers from its services', async () => {
    const companies = (await session.request({ method: 'GET', url: '/api/companies' })).json()
      .items as Array<{
      key: string;
      queries: number;
      trackingAttempts: number;
      serviceUses: number;
    }>;
    const pinterest = companies.find((c) => c.key === 'pinterest')!;
    // www.pinterest.com and i.pinimg.com were used; ct.pinterest.com (the Pinterest tag) was contacted once.
    expect(pinterest).toMatchObject({ queries: 3, trackingAttempts: 1, serviceUses: 2 });
    // Ranked by tracking: no company with zero tracking attempts comes before one that tracked.
    const firstIdle = companies.findIndex((c) => c.trackingAttempts === 0);
    if (firstIdle >= 0) expect(companies.slice(firstIdle).every((c) => c.trackingAttempts === 0)).toBe(true);
    const detail = (await session.request({ method: 'GET', url: '/api/companies/pinterest' })).json();
    const byKind = (kind: string) =>
      detail.names
        .filter((n: { kind: string }) => n.kind === kind)
        .map((n: { name: string }) => n.name)
        .sort();
    expect(byKind('tracker')).toEqual(['ct.pinterest.com']);
    expect(byKind('service')).toEqual(['i.pinimg.com', 'www.pinterest.com']);
    expect(detail.devices).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: ordinaryId, trackingAttempts: 0, serviceUses: 2 }),
        expect.objectContaining({ id: trackedId, trackingAttempts: 1, serviceUses: 0 }),
      ]),
    );
  });

  it('Trackers → Categories lists the companies that made each category’s queries', async () => {
    const categories = (await session.request({ method: 'GET', url: '/api/categories' })).json()
      .items as Array<{
      key: string;
      queries: number;
      companies: Array<{ key: string; queries: number }>;
      devices: Array<{ id: number }>;
    }>;
    const telemetry = categories.find((c) => c.key === 'telemetry');
    expect(telemetry).toBeDefined();
    // Only Amazon sent telemetry (device-metrics-us.amazon.com); Pinterest and Meta did not.
    expect(telemetry!.companies.map((c) => c.key)).toEqual(['amazon']);
    expect(telemetry!.queries).toBe(1);
    expect(telemetry!.devices.map((d) => d.id)).toEqual([trackedId]);
    // Ordinary use makes no category of tracking: every category's companies made tracker queries.
    const total = categories.reduce((n, c) => n + c.queries, 0);
    expect(total).toBe(TRACKERS.length);
    for (const category of categories) {
      expect(category.companies.reduce((n, c) => n + c.queries, 0)).toBe(category.queries);
    }
  });

  it('explain names the tracker people know, its owner, and where the fact comes from', async () => {
    const explain = async (name: string) =>
      (await session.request({ method: 'GET', url: `/api/explain?name=${name}` })).json();
    const pinterest = await explain('ct.pinterest.com');
    expect(pinterest.company).toMatchObject({ key: 'pinterest', name: 'Pinterest' });
    expect(pinterest.attribution).toMatchObject({ kind: 'tracker', matchedDomain: 'ct.pinterest.com' });
    expect(pinterest.attribution.source).toMatch(/^blocklists\/companies\/pinterest\.yaml:\d+$/);
    const mopub = await explain('ads.mopub.com');
    expect(mopub.company.name).toMatch(/AppLovin/);
    expect(mopub.attribution.kind).toBe('tracker');
    const instagram = await explain('www.instagram.com');
    expect(instagram.attribution).toMatchObject({ kind: 'service', matchedDomain: 'instagram.com' });
    // A third party's subdomain of a shared cloud is not the cloud's owner.
    const cloud = await explain('some-startup-tracker.azureedge.net');
    expect(cloud.company).toBeNull();
    expect(cloud.attribution).toBeNull();
  });
});
