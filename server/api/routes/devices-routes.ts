/** Devices: list with their counts, one device, rename / set type / groups / privacy, pause. */
import { analyticsView, type DeviceCounts } from '../adapters/analytics-view.js';
import { deviceCountsWithAliases } from '../adapters/device-counts.js';
import { toDeviceBase } from '../adapters/devices-adapter.js';
import { NameResolver } from '../adapters/names.js';
import type { App, RouteContext } from '../context.js';
import { badRequest, notFound, unavailable } from '../http/errors.js';
import { syncPauses } from '../../filter/policy-sync.js';
import { ErrorResponse, IdParams, PeriodQuery } from '../schemas/common.js';
import {
  Device,
  DeviceList,
  DevicePauseBody,
  DeviceUpdateBody,
  type Device as DeviceT,
} from '../schemas/devices.js';
import { deviceNamingRoutes } from './device-naming-routes.js';
import { pauseDevice } from './pause-routes.js';

export function devicesRoutes(app: App, context: RouteContext): void {
  deviceNamingRoutes(app, context);
  const registry = () => {
    if (!context.deps.devices) throw unavailable('the device registry');
    return context.deps.devices;
  };

  /** Devices with their counts for the period (0 counts when the query log is not running). */
  const withCounts = async (
    raws: unknown[],
    period: '24h' | '7d' | '30d',
    onlyId?: number,
  ): Promise<DeviceT[]> => {
    // A merged id's rows count for the device it became (adapters/device-counts.ts).
    const counts: Map<number, DeviceCounts> = await deviceCountsWithAliases(
      analyticsView(context.deps.analytics, context.now),
      period,
      registry().aliases(),
      onlyId,
    );
    const names = new NameResolver(context);
    return raws.map((raw) => {
      const base = toDeviceBase(raw);
      const count = counts.get(base.id);
      return {
        ...base,
        queries: count?.queries ?? 0,
        blocked: count?.blocked ?? 0,
        trackingAttempts: count?.trackingAttempts ?? 0,
        serviceUses: count?.serviceUses ?? 0,
        topCompanies: (count?.topCompanies ?? []).flatMap((row) => {
          const company = names.company(row.companyId);
          return company
            ? [{ ...company, queries: row.queries, trackingAttempts: row.trackingAttempts }]
            : [];
        }),
      };
    });
  };

  /** One device; a merged id answers with the device it became (its own id in `id`: the web follows it). */
  const one = async (id: number, period: '24h' | '7d' | '30d' = '24h'): Promise<DeviceT> => {
    const raw = registry().get(id);
    if (!raw) throw notFound(`there is no device ${id}`);
    // Counts for this device only: the device page must not pay for ranking every device.
    return (await withCounts([raw], period, toDeviceBase(raw).id))[0] as DeviceT;
  };

  app.get(
    '/api/devices',
    {
      schema: {
        tags: ['devices'],
        querystring: PeriodQuery,
        response: { 200: DeviceList, 503: ErrorResponse },
      },
    },
    async (request) => ({ items: await withCounts(registry().list(), request.query.period ?? '24h') }),
  );

  app.get(
    '/api/devices/:id',
    {
      schema: {
        tags: ['devices'],
        params: IdParams,
        querystring: PeriodQuery,
        response: { 200: Device, 404: ErrorResponse, 503: ErrorResponse },
      },
    },
    async (request) => one(request.params.id, request.query.period),
  );

  app.patch(
    '/api/devices/:id',
    {
      schema: {
        tags: ['devices'],
        params: IdParams,
        body: DeviceUpdateBody,
        response: { 200: Device, 400: ErrorResponse, 404: ErrorResponse, 503: ErrorResponse },
      },
    },
    async (request) => {
      const devices = registry();
      // A merged id changes the device it became.
      const id = devices.resolveId(request.params.id);
      if (id === null) throw notFound(`there is no device ${request.params.id}`);
      const body = request.body;
      if (body.groupIds) {
        const known = new Set(context.deps.repos.groups.list().map((g) => g.id));
        const missing = body.groupIds.find((groupId) => !known.has(groupId));
        if (missing !== undefined) throw badRequest(`body.groupIds: there is no group ${missing}`);
      }
      try {
        devices.update(id, {
          ...body,
          ...(body.name !== undefined ? { name: body.name?.trim() || null } : {}),
        });
      } catch (error) {
        throw badRequest((error as Error).message);
      }
      if (body.groupIds && context.deps.policy?.setDeviceGroups) {
        const groupsOf = (devices as { deviceGroups?: () => Map<number, number[]> }).deviceGroups;
        if (typeof groupsOf === 'function') context.deps.policy.setDeviceGroups(groupsOf.call(devices));
      }
      return one(id);
    },
  );

  app.post(
    '/api/devices/:id/pause',
    {
      schema: {
        tags: ['devices'],
        params: IdParams,
        body: DevicePauseBody,
        response: { 200: Device, 400: ErrorResponse, 404: ErrorResponse, 503: ErrorResponse },
      },
    },
    async (request) => {
      // A merged id pauses the device it became.
      const id = registry().resolveId(request.params.id);
      if (id === null) throw notFound(`there is no device ${request.params.id}`);
      pauseDevice(context, id, request.body.duration);
      syncPauses(context.deps.policy, context.settings, context.deps.devices, context.now());
      return one(id);
    },
  );
}
