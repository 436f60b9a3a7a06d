/**
 * GET /api/devices/:id/apps for the mock API: an app with a likely and a "seen near" tracker, a tracker
 * no app was near, and an App Privacy Report app; with `hostile`, every name and text field carries
 * markup that must stay text.
 */
import type { DeviceApps } from '../../../server/api/schemas/apps.js';
import { HOSTILE } from './mock-api.js';

export function mockDeviceApps(deviceId: number, hostile: boolean): DeviceApps {
  const text = (plain: string) => (hostile ? `${plain} ${HOSTILE}` : plain);
  const host = (plain: string) => (hostile ? `${HOSTILE}.${plain}` : plain);
  const now = Date.now();
  const bytedance = { key: 'bytedance', name: text('ByteDance (TikTok)') };
  return {
    deviceId,
    windowMs: 2000,
    apps: [
      {
        key: 'tiktok',
        name: text('TikTok'),
        company: text('ByteDance'),
        platforms: ['phone'],
        firstSeen: now - 3 * 86_400_000,
        lastSeen: now - 60_000,
        queries: 1234,
        trackers: [
          {
            name: host('log.tiktokv.com'),
            company: bytedance,
            together: 38,
            total: 40,
            likely: true,
            lastSeen: now,
          },
          {
            name: 'app-measurement.com',
            company: null,
            together: 5,
            total: 40,
            likely: false,
            lastSeen: now,
          },
        ],
      },
    ],
    otherTrackers: [{ name: host('ads.example.net'), company: null, total: 7, lastSeen: now }],
    reported: [
      {
        bundleId: text('com.example.weatherly'),
        appKey: null,
        name: text('com.example.weatherly'),
        hits: 20,
        trackerHits: 8,
        lastSeen: now - 86_400_000,
        hosts: [
          {
            host: host('inapps.appsflyer.com'),
            hits: 3,
            lastSeen: now,
            owner: text('AppsFlyer'),
            tracker: true,
            company: { key: 'appsflyer', name: text('AppsFlyer') },
            viaWebsite: false,
          },
        ],
        dataAccess: [{ category: text('location'), count: 1, lastSeen: now }],
      },
    ],
    reports: [],
  };
}
