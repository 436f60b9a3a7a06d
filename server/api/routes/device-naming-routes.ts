/**
 * Naming devices (issue 15 item 5): suggested names for one device, and the devices nobody has named
 * yet with theirs (the "name your devices" step of the first hour). Registered by devices-routes.ts.
 */
import { Type } from 'typebox';
import { toDeviceBase } from '../adapters/devices-adapter.js';
import type { App, RouteContext } from '../context.js';
import { notFound, unavailable } from '../http/errors.js';
import { ErrorResponse, IdParams } from '../schemas/common.js';
import { DeviceNameSuggestions, UnnamedDevices } from '../schemas/devices.js';

/** A week of lookups says enough about a device's platform. */
const LOOKUPS_MS = 7 * 24 * 3600_000;
const LOOKUPS_PER_DEVICE = 100;

const UnnamedQuery = Type.Object(
  { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 50, description: 'default 12' })) },
  { additionalProperties: false },
);

export function deviceNamingRoutes(app: App, context: RouteContext): void {
  const registry = () => {
    if (!context.deps.devices) throw unavailable('the device registry');
    return context.deps.devices;
  };

  /** Names the device asked for lately (none when the query log is not running). */
  const lookedUp = async (deviceId: number): Promise<string[]> => {
    const analytics = context.deps.analytics;
    if (!analytics) return [];
    const to = context.now();
    try {
      return (
        await analytics.topNames({ from: to - LOOKUPS_MS, to }, { deviceId, limit: LOOKUPS_PER_DEVICE })
      ).map((row) => row.name);
    } catch {
      return []; // a hint, never a reason to fail the page
    }
  };

  app.get(
    '/api/devices/:id/name-suggestions',
    {
      schema: {
        tags: ['devices'],
        description: 'Names to offer for a device, best first, each with where it came from.',
        params: IdParams,
        response: { 200: DeviceNameSuggestions, 404: ErrorResponse, 503: ErrorResponse },
      },
    },
    async (request) => {
      const devices = registry();
      const id = devices.resolveId(request.params.id);
      if (id === null) throw notFound(`there is no device ${request.params.id}`);
      return { deviceId: id, items: (await devices.nameSuggestions(id, await lookedUp(id))) ?? [] };
    },
  );

  app.get(
    '/api/devices/unnamed',
    {
      schema: {
        tags: ['devices'],
        description: 'Devices nobody has named yet, most recently seen first, with suggested names.',
        querystring: UnnamedQuery,
        response: { 200: UnnamedDevices, 503: ErrorResponse },
      },
    },
    async (request) => {
      const devices = registry();
      const unnamed = devices
        .list()
        .map(toDeviceBase)
        .filter((device) => device.userName === null)
        .sort((a, b) => b.lastSeen - a.lastSeen || a.id - b.id);
      const shown = unnamed.slice(0, request.query.limit ?? 12);
      const items = await Promise.all(
        shown.map(async (device) => ({
          device,
          suggestions: (await devices.nameSuggestions(device.id, await lookedUp(device.id))) ?? [],
        })),
      );
      return { items, total: unnamed.length };
    },
  );
}
