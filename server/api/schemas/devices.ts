import { Type, type Static } from 'typebox';
import { DEVICE_TYPES, type DeviceType as DeviceTypeName } from '../../devices/device-types.js';
import { NAME_SOURCES } from '../../devices/name-suggestions.js';
import { Duration, Nullable } from './common.js';

export { DEVICE_TYPES };
export const DeviceType = Type.Enum(DEVICE_TYPES, { description: 'What kind of device it is' });
export type DeviceType = DeviceTypeName;

/** Per-device query-log privacy, as the global `log.queries` setting; null = follow the global one. */
export const DevicePrivacy = Nullable(Type.Enum(['all', 'hide-names', 'none'] as const));
export type DevicePrivacy = Static<typeof DevicePrivacy>;

export const Device = Type.Object({
  id: Type.Integer(),
  /** What to show: the user's name, else the automatic one, else vendor + address. */
  name: Type.String(),
  userName: Nullable(Type.String()),
  autoName: Nullable(Type.String()),
  mac: Nullable(Type.String({ description: 'aa:bb:cc:dd:ee:ff, null when unknown' })),
  macRandom: Type.Boolean({ description: 'Locally administered (randomised) MAC' }),
  vendor: Nullable(Type.String()),
  type: DeviceType,
  addresses: Type.Array(Type.String()),
  firstSeen: Type.Integer(),
  lastSeen: Type.Integer(),
  pausedUntil: Nullable(Type.Integer()),
  groupIds: Type.Array(Type.Integer()),
  privacy: DevicePrivacy,
  /** Counts over the period asked for (24h unless ?period=). */
  queries: Type.Integer(),
  blocked: Type.Integer(),
  /** Queries for tracker endpoints (blocked or not). */
  trackingAttempts: Type.Integer(),
  /** Queries for the services of known companies: what the device uses, not tracking. */
  serviceUses: Type.Integer(),
  /** Who tracks this device: companies ranked by their tracker endpoints' queries. */
  topCompanies: Type.Array(
    Type.Object({
      id: Type.Integer(),
      key: Type.String(),
      name: Type.String(),
      owner: Nullable(Type.String()),
      queries: Type.Integer(),
      trackingAttempts: Type.Integer(),
    }),
  ),
});
export type Device = Static<typeof Device>;

export const DeviceList = Type.Object({ items: Type.Array(Device) });
export type DeviceList = Static<typeof DeviceList>;

export const DeviceUpdateBody = Type.Object(
  {
    name: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 100 }))),
    type: Type.Optional(DeviceType),
    groupIds: Type.Optional(Type.Array(Type.Integer({ minimum: 1 }), { maxItems: 100, uniqueItems: true })),
    privacy: Type.Optional(DevicePrivacy),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type DeviceUpdateBody = Static<typeof DeviceUpdateBody>;

export const DevicePauseBody = Type.Object(
  { duration: Nullable(Duration) },
  { additionalProperties: false, description: 'null resumes blocking now' },
);
export type DevicePauseBody = Static<typeof DevicePauseBody>;

/** Where a suggested name came from (devices/name-suggestions.ts). */
export const NameSuggestionSource = Type.Enum(NAME_SOURCES, {
  description:
    'leases: the DHCP host name; reverse-dns: the router’s name for its address; mdns: the name it announces (.local); maker: its vendor and kind; lookups: what its DNS lookups point to',
});

export const NameSuggestion = Type.Object({
  name: Type.String(),
  source: NameSuggestionSource,
  /** Why this name, in a household's words. */
  why: Type.String(),
});
export type NameSuggestion = Static<typeof NameSuggestion>;

export const DeviceNameSuggestions = Type.Object({
  /** The device's own id (a merged id answers for the device it became). */
  deviceId: Type.Integer(),
  items: Type.Array(NameSuggestion),
});
export type DeviceNameSuggestions = Static<typeof DeviceNameSuggestions>;

/** A device as the naming list shows it: who it is, without the period's counts. */
export const DeviceIdentity = Type.Omit(Device, [
  'queries',
  'blocked',
  'trackingAttempts',
  'serviceUses',
  'topCompanies',
]);

/** Devices nobody has named yet, most recently seen first, each with its suggestions. */
export const UnnamedDevices = Type.Object({
  items: Type.Array(Type.Object({ device: DeviceIdentity, suggestions: Type.Array(NameSuggestion) })),
  /** Unnamed devices in all (the list stops at `limit`). */
  total: Type.Integer(),
});
export type UnnamedDevices = Static<typeof UnnamedDevices>;
