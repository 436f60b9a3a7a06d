/** Maps the device registry's records to the API's Device shape (tolerant of field naming). */
import { brandOf, makerName } from '../../devices/name-suggestions.js';
import { DEVICE_TYPES, type Device, type DeviceType } from '../schemas/devices.js';

type Raw = Record<string, unknown>;
const num = (value: unknown): number | null =>
  typeof value === 'number' && Number.isFinite(value) ? value : null;
const str = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);
function pick(row: Raw, ...keys: string[]): unknown {
  for (const key of keys) if (row[key] !== undefined) return row[key];
  return undefined;
}

function addressesOf(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  return value
    .map((item) => (typeof item === 'string' ? item : str((item as Raw | null)?.address)))
    .filter((item): item is string => item !== null);
}

export type DeviceBase = Omit<
  Device,
  'queries' | 'blocked' | 'trackingAttempts' | 'serviceUses' | 'topCompanies'
>;

export function toDeviceBase(raw: unknown): DeviceBase {
  const row = (raw ?? {}) as Raw;
  const id = num(row.id) ?? 0;
  const userName = str(pick(row, 'userName', 'name_user', 'customName'));
  const autoName = str(pick(row, 'autoName', 'auto_name'));
  const vendor = str(row.vendor);
  const addresses = addressesOf(pick(row, 'addresses', 'currentAddresses'));
  const type = str(row.type);
  const privacy = pick(row, 'privacy', 'queryPrivacy');
  const display =
    str(pick(row, 'displayName')) ??
    userName ??
    str(row.name) ??
    autoName ??
    unnamedLabel(vendor, type, addresses[0], id);
  return {
    id,
    name: display,
    userName: userName ?? (pick(row, 'userName') === undefined ? str(row.name) : null),
    autoName,
    mac: str(row.mac),
    macRandom: Boolean(pick(row, 'macRandom', 'mac_random', 'randomMac') ?? false),
    vendor,
    type: (DEVICE_TYPES as readonly string[]).includes(type ?? '') ? (type as DeviceType) : 'unknown',
    addresses,
    firstSeen: num(pick(row, 'firstSeen', 'first_seen')) ?? 0,
    lastSeen: num(pick(row, 'lastSeen', 'last_seen')) ?? 0,
    pausedUntil: num(pick(row, 'pausedUntil', 'paused_until')),
    groupIds: (Array.isArray(row.groupIds) ? row.groupIds : []).filter(
      (g): g is number => typeof g === 'number',
    ),
    privacy: privacy === 'all' || privacy === 'hide-names' || privacy === 'none' ? privacy : null,
  };
}

/**
 * What to call a device nobody named and no lease or router names: its maker and kind with its address
 * ("Samsung TV at 192.168.1.20", "Phone at 192.168.1.21"), never a bare address.
 */
function unnamedLabel(
  vendor: string | null,
  type: string | null,
  address: string | undefined,
  id: number,
): string {
  const brand = brandOf(vendor);
  const kind = brand !== null ? makerName(brand, type ?? 'unknown') : kindWord(type);
  return address ? `${kind} at ${address}` : `${kind} ${id}`;
}

function kindWord(type: string | null): string {
  const word = makerName('', type ?? 'unknown').trim();
  return word === 'device' ? 'Device' : word.charAt(0).toUpperCase() + word.slice(1);
}
