/**
 * The app catalog and the tracker database must agree on what an app's own hosts are: using an app is not
 * tracking. If the tracker database called an app's own host a tracker endpoint, ordinary use of that app
 * would count as tracking attempts and app inference could not see the app (it never takes a tracker host
 * as a sign that an app is open).
 */
import { describe, expect, it } from 'vitest';
import { NameKind, emptyAttributionResult } from '../../../server/trackers/attribution.js';
import { shippedAppCatalog } from '../../../server/trackers/apps/app-catalog.js';
import { loadCatalog } from '../../../server/trackers/catalog.js';

/**
 * App hosts that really are tracker endpoints too, with why they stay: the catalog marks them dual-use
 * (the app needs them, and they also carry tracking) or the database's telemetry label is right.
 */
const KNOWN_TRACKER_APP_HOSTS = new Map([
  ['play.googleapis.com', 'dual-use: Google Play services logging shares the host with the Play APIs'],
  ['samsungcloud.tv', 'Samsung TV telemetry (AdGuard companiesdb) on the same domain as Samsung TV Plus'],
]);

describe('app hosts are services, not tracker endpoints', () => {
  it('no app host of the shipped app catalog is a tracker endpoint, beyond the known dual-use ones', () => {
    const catalog = loadCatalog();
    const attribution = catalog.attribution();
    const out = emptyAttributionResult();
    const trackers: string[] = [];
    let hosts = 0;
    for (const app of shippedAppCatalog().apps) {
      for (const host of app.hosts) {
        hosts++;
        attribution.attribute(host, out);
        if (out.kind === NameKind.tracker && !KNOWN_TRACKER_APP_HOSTS.has(host)) {
          trackers.push(`${host} (${app.name}): ${catalog.describe(host).source ?? 'no source'}`);
        }
      }
    }
    expect(hosts).toBeGreaterThan(500);
    expect(trackers).toEqual([]);
  });

  it('the database’s brands for app companies keep their names and owners', () => {
    const catalog = loadCatalog();
    expect(catalog.describe('king.com')).toMatchObject({ kind: NameKind.service, owner: 'Microsoft' });
    expect(catalog.describe('line.me').company?.name).toBe('LINE');
    // Airbnb's image CDN is a service; its third-party measurement relay stays a tracker.
    expect(catalog.describe('a0.muscache.com').kind).toBe(NameKind.service);
    expect(catalog.describe('musthird.com').kind).toBe(NameKind.tracker);
  });
});
