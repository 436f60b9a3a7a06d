/** A device as the API and the rest of the server see it (the registry builds it from the repository). */
import { isIP } from 'node:net';
import type { QueryLogMode } from '../config/schema.js';
import type { DeviceAddress, DeviceRecord } from '../store/repos/devices-repo.js';

export interface Device {
  id: number;
  /** What to show: the user's name, else the automatic one, else null (the UI shows vendor/address). */
  name: string | null;
  userName: string | null;
  autoName: string | null;
  /** 'leases', 'reverse-dns' or 'client-id' (named after its ClientID) when autoName is set. */
  nameSource: string | null;
  mac: string | null;
  macRandom: boolean;
  vendor: string | null;
  type: string;
  firstSeen: number;
  lastSeen: number;
  pausedUntil: number | null;
  /** Query log privacy for this device; null = the global setting. */
  privacy: QueryLogMode | null;
  /** Current address first (null when none yet). */
  address: string | null;
  addresses: string[];
  addressHistory: DeviceAddress[];
  groupIds: number[];
}

export class DeviceNotFoundError extends Error {
  constructor(id: number) {
    super(`device ${id} does not exist`);
    this.name = 'DeviceNotFoundError';
  }
}

/** One text form per address: IPv4-mapped IPv6 unwrapped, IPv6 lower case, no zone. */
export function normalizeAddress(address: string): string {
  let text = address.trim();
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  if (text.startsWith('::ffff:') && isIP(text.slice(7)) === 4) return text.slice(7);
  return text.toLowerCase();
}

export function toDevice(record: DeviceRecord, groupIds: number[]): Device {
  const addresses = record.addresses.map((a) => a.address);
  return {
    id: record.id,
    name: record.userName ?? record.autoName,
    userName: record.userName,
    autoName: record.autoName,
    nameSource: record.nameSource,
    mac: record.mac,
    macRandom: record.macRandom,
    vendor: record.vendor,
    type: record.type,
    firstSeen: record.firstSeen,
    lastSeen: record.lastSeen,
    pausedUntil: record.pausedUntil,
    privacy: record.privacy,
    address: addresses[0] ?? null,
    addresses,
    addressHistory: record.addresses,
    groupIds,
  };
}
