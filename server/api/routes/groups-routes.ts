/** Device groups (Kids, TVs, Guests …): CRUD through the device registry, which owns them. */
import type { App, RouteContext } from '../context.js';
import { HttpError, badRequest, notFound, unavailable } from '../http/errors.js';
import { ErrorResponse, IdParams, Ok } from '../schemas/common.js';
import {
  Group,
  GroupCreateBody,
  GroupList,
  GroupUpdateBody,
  type Group as GroupT,
} from '../schemas/groups.js';

function groupError(error: unknown): never {
  const message = (error as Error).message ?? String(error);
  if (/UNIQUE|already exists/i.test(message)) {
    throw new HttpError(409, 'conflict', 'body.name: a group with this name already exists');
  }
  if (/does not exist|not found|FOREIGN KEY/i.test(message)) throw badRequest(message);
  throw error;
}

export function groupsRoutes(app: App, context: RouteContext): void {
  const registry = () => {
    if (!context.deps.devices) throw unavailable('the device registry (groups)');
    return context.deps.devices;
  };
  /** Devices that are members themselves (not those whose person's profile it is: see people/). */
  const membersOf = (): Map<number, number[]> => {
    const members = new Map<number, number[]>();
    for (const device of registry().list()) {
      for (const groupId of device.groupIds)
        members.set(groupId, [...(members.get(groupId) ?? []), device.id]);
    }
    return members;
  };
  const find = (id: number): GroupT => {
    const group = registry()
      .listGroups()
      .find((g) => g.id === id);
    if (!group) throw notFound(`there is no group ${id}`);
    return { ...group, deviceIds: (membersOf().get(id) ?? []).sort((a, b) => a - b) };
  };
  /** Makes exactly `deviceIds` the members of group `id` (through each device's group list). */
  const setMembers = (id: number, deviceIds: number[]) => {
    const devices = registry();
    const missing = deviceIds.find((deviceId) => !devices.get(deviceId));
    if (missing !== undefined) throw badRequest(`body.deviceIds: there is no device ${missing}`);
    const wanted = new Set(deviceIds);
    for (const device of devices.list()) {
      const has = device.groupIds.includes(id);
      if (has === wanted.has(device.id)) continue;
      const groupIds = has ? device.groupIds.filter((g) => g !== id) : [...device.groupIds, id];
      devices.update(device.id, { groupIds });
    }
  };
  // The schedule timer too: a deleted profile's schedules (and its company policies) end now, not at
  // the next boundary.
  const syncPolicy = () => {
    context.deps.policy?.setDeviceGroups?.(registry().deviceGroups());
    context.deps.schedules?.refresh();
  };

  app.get(
    '/api/groups',
    { schema: { tags: ['groups'], response: { 200: GroupList, 503: ErrorResponse } } },
    async () => {
      const members = membersOf();
      return {
        items: registry()
          .listGroups()
          .map((group) => ({ ...group, deviceIds: (members.get(group.id) ?? []).sort((a, b) => a - b) })),
      };
    },
  );

  app.post(
    '/api/groups',
    {
      schema: {
        tags: ['groups'],
        body: GroupCreateBody,
        response: { 201: Group, 400: ErrorResponse, 409: ErrorResponse, 503: ErrorResponse },
      },
    },
    async (request, reply) => {
      const name = request.body.name.trim();
      if (!name) throw badRequest('body.name: must not be blank');
      const devices = registry();
      const missing = (request.body.deviceIds ?? []).find((deviceId) => !devices.get(deviceId));
      if (missing !== undefined) throw badRequest(`body.deviceIds: there is no device ${missing}`);
      let created: { id: number };
      try {
        created = devices.createGroup({ name, description: request.body.description });
      } catch (error) {
        groupError(error);
      }
      if (request.body.deviceIds) setMembers(created.id, request.body.deviceIds);
      syncPolicy();
      return reply.status(201).send(find(created.id));
    },
  );

  app.patch(
    '/api/groups/:id',
    {
      schema: {
        tags: ['groups'],
        params: IdParams,
        body: GroupUpdateBody,
        response: {
          200: Group,
          400: ErrorResponse,
          404: ErrorResponse,
          409: ErrorResponse,
          503: ErrorResponse,
        },
      },
    },
    async (request) => {
      const id = request.params.id;
      find(id);
      const { deviceIds, ...fields } = request.body;
      if (fields.name !== undefined && !fields.name.trim()) throw badRequest('body.name: must not be blank');
      if (deviceIds) {
        const missing = deviceIds.find((deviceId) => !registry().get(deviceId));
        if (missing !== undefined) throw badRequest(`body.deviceIds: there is no device ${missing}`);
      }
      try {
        if (fields.name !== undefined || fields.description !== undefined) {
          registry().updateGroup(id, { ...fields, ...(fields.name ? { name: fields.name.trim() } : {}) });
        }
      } catch (error) {
        groupError(error);
      }
      if (deviceIds) setMembers(id, deviceIds);
      syncPolicy();
      return find(id);
    },
  );

  app.delete(
    '/api/groups/:id',
    {
      schema: {
        tags: ['groups'],
        params: IdParams,
        response: { 200: Ok, 404: ErrorResponse, 503: ErrorResponse },
      },
    },
    async (request) => {
      find(request.params.id);
      registry().deleteGroup(request.params.id);
      syncPolicy();
      return { ok: true as const };
    },
  );
}
