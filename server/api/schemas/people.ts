/** People (a person owns devices; their profile applies to those without one) and device re-joins. */
import { Type, type Static } from 'typebox';
import { CompanyRef, Nullable, TimeMs } from './common.js';

const PersonName = Type.String({ minLength: 1, maxLength: 60, description: 'What the household calls them' });
const ProfileId = Nullable(
  Type.Integer({ minimum: 1, description: 'Their profile (a device group); null = none' }),
);
const DeviceIds = Type.Array(Type.Integer({ minimum: 1 }), {
  maxItems: 200,
  uniqueItems: true,
  description: 'Their devices (a device belongs to one person: it is taken from whoever had it)',
});

export const PersonDevice = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  type: Type.String(),
  macRandom: Type.Boolean(),
  lastSeen: TimeMs,
  /** True when the device has a profile of its own (the person's does not apply to it). */
  ownProfile: Type.Boolean(),
});
export type PersonDevice = Static<typeof PersonDevice>;

export const Person = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  profile: Nullable(Type.Object({ id: Type.Integer(), name: Type.String() })),
  devices: Type.Array(PersonDevice),
  /** Over the period asked for (24h unless ?period=), summed over their devices. */
  summary: Type.Object({
    queries: Type.Integer(),
    blocked: Type.Integer(),
    trackingAttempts: Type.Integer(),
    /** Who tracks this person: companies ranked by tracking attempts over all their devices. */
    topCompanies: Type.Array(Type.Object({ ...CompanyRef.properties, trackingAttempts: Type.Integer() })),
  }),
});
export type Person = Static<typeof Person>;

export const PersonList = Type.Object({
  items: Type.Array(Person),
  /** Whether the query log is running (else every summary is zero). */
  counted: Type.Boolean(),
});
export type PersonList = Static<typeof PersonList>;

export const PersonCreateBody = Type.Object(
  { name: PersonName, profileId: Type.Optional(ProfileId), deviceIds: Type.Optional(DeviceIds) },
  { additionalProperties: false },
);
export type PersonCreateBody = Static<typeof PersonCreateBody>;

export const PersonUpdateBody = Type.Object(
  {
    name: Type.Optional(PersonName),
    profileId: Type.Optional(ProfileId),
    deviceIds: Type.Optional(DeviceIds),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type PersonUpdateBody = Static<typeof PersonUpdateBody>;

export const DeviceOwnerBody = Type.Object(
  { personId: Nullable(Type.Integer({ minimum: 1, description: 'null = belongs to nobody' })) },
  { additionalProperties: false },
);
export type DeviceOwnerBody = Static<typeof DeviceOwnerBody>;

export const DeviceOwner = Type.Object({
  deviceId: Type.Integer(),
  person: Nullable(Type.Object({ id: Type.Integer(), name: Type.String() })),
  /** The profile that applies to the device through its person (null when it has its own or none). */
  personProfile: Nullable(Type.Object({ id: Type.Integer(), name: Type.String() })),
});
export type DeviceOwner = Static<typeof DeviceOwner>;

const RejoinDeviceRef = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  mac: Nullable(Type.String()),
  firstSeen: TimeMs,
  lastSeen: TimeMs,
});

export const RejoinSuggestion = Type.Object({
  /** The new device (a private MAC it had not used before). */
  device: RejoinDeviceRef,
  /** The device it looks like (same DHCP host name). */
  candidate: RejoinDeviceRef,
  hostName: Type.String(),
  person: Nullable(Type.Object({ id: Type.Integer(), name: Type.String() })),
});
export type RejoinSuggestion = Static<typeof RejoinSuggestion>;

export const RejoinSuggestionList = Type.Object({ items: Type.Array(RejoinSuggestion) });
export type RejoinSuggestionList = Static<typeof RejoinSuggestionList>;

export const RejoinBody = Type.Object(
  {
    deviceId: Type.Integer({ minimum: 1, description: 'The new device' }),
    intoId: Type.Integer({ minimum: 1, description: 'The device it was: it keeps its id and history' }),
  },
  { additionalProperties: false },
);
export type RejoinBody = Static<typeof RejoinBody>;
