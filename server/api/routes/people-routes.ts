/**
 * People: CRUD, each with their devices and a summary over them (tracking attempts, who tracks them),
 * a device's person, and the re-join suggestions for devices whose private MAC changed.
 */
import type { Device as RegistryDevice } from '../../devices/device.js';
import {
  PeopleInputError,
  PersonNameTakenError,
  PersonNotFoundError,
  type Person as PersonRecord,
} from '../../people/people-service.js';
import { analyticsView } from '../adapters/analytics-view.js';
import { toDeviceBase } from '../adapters/devices-adapter.js';
import { NameResolver } from '../adapters/names.js';
import type { App, RouteContext } from '../context.js';
import { HttpError, badRequest, conflict, notFound, unavailable } from '../http/errors.js';
import { ErrorResponse, IdParams, Ok, PeriodQuery, type Period } from '../schemas/common.js';
import {
  DeviceOwner,
  DeviceOwnerBody,
  Person,
  PersonCreateBody,
  PersonList,
  PersonUpdateBody,
  RejoinBody,
  RejoinSuggestionList,
  type Person as PersonT,
} from '../schemas/people.js';

/** Companies per device read for a person's ranking (each device's top; merged, then cut to TOP). */
const PER_DEVICE_COMPANIES = 50;
const TOP = 5;

/** Service errors → HTTP: bad input 400 naming the field, a taken name 409, an unknown person 404. */
function translate(error: unknown): never {
  if (error instanceof PeopleInputError) throw badRequest(error.message);
  if (error instanceof PersonNameTakenError) throw conflict(`body.name: ${error.message}`);
  if (error instanceof PersonNotFoundError) throw notFound(error.message);
  throw error;
}

function attempt<T>(action: () => T): T {
  try {
    return action();
  } catch (error) {
    if (error instanceof HttpError) throw error;
    translate(error);
  }
}

export function peopleRoutes(app: App, context: RouteContext): void {
  const people = () => {
    if (!context.deps.people) throw unavailable('people (the device registry)');
    return context.deps.people;
  };
  const registry = () => {
    if (!context.deps.devices) throw unavailable('the device registry');
    return context.deps.devices;
  };
  const profileRef = (groupId: number | null) => {
    if (groupId === null) return null;
    const group = registry()
      .listGroups()
      .find((g) => g.id === groupId);
    return group ? { id: group.id, name: group.name } : null;
  };

  /** People with devices and summaries; the counts come from the rollups per device, summed. */
  const views = async (records: PersonRecord[], period: Period): Promise<PersonT[]> => {
    const devices = new Map(
      registry()
        .list()
        .map((d) => [d.id, d]),
    );
    const analytics = analyticsView(context.deps.analytics, context.now);
    const names = new NameResolver(context);
    // The log keeps a merged device's old id on its rows (a re-joined phone's days on its new MAC): a
    // person's counts take those ids too.
    const logIds = new Map<number, number[]>();
    for (const [oldId, deviceId] of registry().aliases())
      logIds.set(deviceId, [...(logIds.get(deviceId) ?? []), oldId]);
    return Promise.all(
      records.map(async (person) => {
        const mine = person.deviceIds.flatMap((id) => devices.get(id) ?? []);
        let queries = 0;
        let blocked = 0;
        let trackingAttempts = 0;
        const companies = new Map<number, number>();
        const ids = mine.flatMap((device) => [device.id, ...(logIds.get(device.id) ?? [])]);
        const counted = await Promise.all(
          (analytics ? ids : []).map((id) =>
            Promise.all([
              analytics!.summary(period, id),
              analytics!.topCompanies(period, id, PER_DEVICE_COMPANIES),
            ]),
          ),
        );
        for (const [summary, tops] of counted) {
          queries += summary.total;
          blocked += summary.blocked;
          trackingAttempts += summary.trackingAttempts;
          for (const row of tops) {
            if (row.trackingAttempts > 0)
              companies.set(row.companyId, (companies.get(row.companyId) ?? 0) + row.trackingAttempts);
          }
        }
        const topCompanies = [...companies]
          .sort((a, b) => b[1] - a[1] || a[0] - b[0])
          .slice(0, TOP)
          .flatMap(([companyId, attempts]) => {
            const company = names.company(companyId);
            return company ? [{ ...company, trackingAttempts: attempts }] : [];
          });
        return {
          id: person.id,
          name: person.name,
          profile: profileRef(person.groupId),
          devices: mine.map((device: RegistryDevice) => ({
            id: device.id,
            name: toDeviceBase(device).name,
            type: device.type,
            macRandom: device.macRandom,
            lastSeen: device.lastSeen,
            ownProfile: device.groupIds.length > 0,
          })),
          summary: { queries, blocked, trackingAttempts, topCompanies },
        };
      }),
    );
  };
  const one = async (id: number, period: Period = '24h'): Promise<PersonT> =>
    (await views([attempt(() => people().get(id))], period))[0]!;

  const errors = { 400: ErrorResponse, 404: ErrorResponse, 409: ErrorResponse, 503: ErrorResponse };

  app.get(
    '/api/people',
    {
      schema: {
        tags: ['people'],
        querystring: PeriodQuery,
        response: { 200: PersonList, 503: ErrorResponse },
      },
    },
    async (request) => ({
      items: await views(people().list(), request.query.period ?? '24h'),
      counted: context.deps.analytics !== undefined,
    }),
  );

  app.get(
    '/api/people/:id',
    {
      schema: {
        tags: ['people'],
        params: IdParams,
        querystring: PeriodQuery,
        response: { 200: Person, 404: ErrorResponse, 503: ErrorResponse },
      },
    },
    async (request) => one(request.params.id, request.query.period),
  );

  app.post(
    '/api/people',
    { schema: { tags: ['people'], body: PersonCreateBody, response: { 201: Person, ...errors } } },
    async (request, reply) => {
      const created = attempt(() => people().create(request.body));
      return reply.status(201).send(await one(created.id));
    },
  );

  app.patch(
    '/api/people/:id',
    {
      schema: {
        tags: ['people'],
        params: IdParams,
        body: PersonUpdateBody,
        response: { 200: Person, ...errors },
      },
    },
    async (request) => {
      attempt(() => people().update(request.params.id, request.body));
      return one(request.params.id);
    },
  );

  app.delete(
    '/api/people/:id',
    {
      schema: {
        tags: ['people'],
        params: IdParams,
        response: { 200: Ok, 404: ErrorResponse, 503: ErrorResponse },
      },
    },
    async (request) => {
      attempt(() => people().delete(request.params.id));
      return { ok: true as const };
    },
  );

  /** Whose a device is, and the profile it gets through them. */
  const ownerOf = (deviceId: number): DeviceOwner => {
    const device = registry().get(deviceId);
    if (!device) throw notFound(`there is no device ${deviceId}`);
    const personId = people().owners().get(deviceId);
    const person = personId === undefined ? null : attempt(() => people().get(personId));
    return {
      deviceId,
      person: person && { id: person.id, name: person.name },
      personProfile: person && device.groupIds.length === 0 ? profileRef(person.groupId) : null,
    };
  };

  app.get(
    '/api/devices/:id/person',
    {
      schema: {
        tags: ['people'],
        params: IdParams,
        response: { 200: DeviceOwner, 404: ErrorResponse, 503: ErrorResponse },
      },
    },
    async (request) => ownerOf(request.params.id),
  );

  app.put(
    '/api/devices/:id/person',
    {
      schema: {
        tags: ['people'],
        params: IdParams,
        body: DeviceOwnerBody,
        response: { 200: DeviceOwner, ...errors },
      },
    },
    async (request) => {
      const deviceId = request.params.id;
      if (!registry().get(deviceId)) throw notFound(`there is no device ${deviceId}`);
      const personId = request.body.personId;
      if (
        personId !== null &&
        !people()
          .list()
          .some((p) => p.id === personId)
      )
        throw badRequest(`body.personId: there is no person ${personId}`);
      attempt(() => people().setOwner(deviceId, personId));
      return ownerOf(deviceId);
    },
  );

  const deviceRef = (device: RegistryDevice) => ({
    id: device.id,
    name: toDeviceBase(device).name,
    mac: device.mac,
    firstSeen: device.firstSeen,
    lastSeen: device.lastSeen,
  });

  app.get(
    '/api/rejoin-suggestions',
    { schema: { tags: ['people'], response: { 200: RejoinSuggestionList, 503: ErrorResponse } } },
    async () => ({
      items: people()
        .suggestions()
        .map((s) => ({
          device: deviceRef(s.device),
          candidate: deviceRef(s.candidate),
          hostName: s.hostName,
          person: s.person,
        })),
    }),
  );

  app.post(
    '/api/rejoin-suggestions/join',
    { schema: { tags: ['people'], body: RejoinBody, response: { 200: Ok, ...errors } } },
    async (request) => {
      attempt(() => people().join(request.body.deviceId, request.body.intoId));
      return { ok: true as const };
    },
  );

  app.post(
    '/api/rejoin-suggestions/dismiss',
    { schema: { tags: ['people'], body: RejoinBody, response: { 200: Ok, ...errors } } },
    async (request) => {
      attempt(() => people().dismiss(request.body.deviceId, request.body.intoId));
      return { ok: true as const };
    },
  );
}
