/**
 * One device, not two, when two replicas met it at the same moment (issue 18). Each replica numbers new
 * devices in its own block (replica n from n·2^20, store/repos/device-aliases-repo.ts) without waiting for
 * PostgreSQL, so a phone that asks both replicas before either knows it is numbered twice; the shared
 * configuration (the backup document) then holds both. Before a replica imports that document, devices of
 * different blocks with the same identity (the same MAC; without a MAC, a shared address, unless a ClientID
 * names the device) are joined here: the lowest number wins and the others become its aliases, as when
 * the registry merges an IP-only device into its MAC's (devices-repo merge): names, addresses, groups, rules,
 * schedules, list assignments, ClientIDs and people follow it, and the query log's rows under the other
 * number are counted for it (the dashboard folds aliases). Every replica joins alike, so the result they
 * share back is the same; devices numbered by one replica are never joined here (that replica's registry
 * already keeps one device per MAC and per address).
 */
import type { BackupData } from '../store/repos/backup-file.js';
import { DEVICE_ID_BLOCK } from '../store/repos/device-aliases-repo.js';

type Device = BackupData['devices'][number];

export interface JoinedDevices<T extends BackupData> {
  data: T;
  /** [joined id, the device it became], lowest numbers first. */
  joined: Array<[number, number]>;
}

const blockOf = (id: number): number => Math.floor(id / DEVICE_ID_BLOCK);

/** Devices of different blocks that are one device: joined id → the lowest id of its kind. */
function duplicates(data: BackupData): Map<number, number> {
  const withClientId = new Set((data.clientIds ?? []).map((row) => row.deviceId));
  const parent = new Map<number, number>();
  const root = (id: number): number => {
    let at = id;
    while (parent.has(at)) at = parent.get(at) as number;
    return at;
  };
  const join = (a: number, b: number): void => {
    const [x, y] = [root(a), root(b)];
    if (x !== y) parent.set(Math.max(x, y), Math.min(x, y));
  };
  const first = new Map<string, Device>();
  for (const device of [...data.devices].sort((a, b) => a.id - b.id)) {
    const keys =
      device.mac !== null
        ? [`mac ${device.mac}`]
        : withClientId.has(device.id)
          ? []
          : device.addresses.map((a) => `ip ${a.address}`);
    for (const key of keys) {
      const seen = first.get(key);
      if (seen === undefined) first.set(key, device);
      else if (blockOf(seen.id) !== blockOf(device.id)) join(seen.id, device.id);
    }
  }
  const into = new Map<number, number>();
  for (const id of parent.keys()) into.set(id, root(id));
  // A device already joined elsewhere that a change here kept (its row and its alias both in the document).
  const ids = new Set(data.devices.map((device) => device.id));
  for (const alias of data.deviceAliases ?? []) {
    if (ids.has(alias.oldId) && ids.has(alias.deviceId) && !into.has(alias.oldId))
      into.set(alias.oldId, into.get(alias.deviceId) ?? alias.deviceId);
  }
  return into;
}

function joinDevice(into: Device, from: Device): Device {
  const addresses = new Map(into.addresses.map((a) => [a.address, { ...a }]));
  for (const a of from.addresses) {
    const had = addresses.get(a.address);
    if (had === undefined) addresses.set(a.address, { ...a });
    else {
      had.firstSeen = Math.min(had.firstSeen, a.firstSeen);
      had.lastSeen = Math.max(had.lastSeen, a.lastSeen);
    }
  }
  const extra = { ...from.extra, ...into.extra };
  for (const [key, value] of Object.entries(into.extra ?? {})) {
    if (value === null && from.extra?.[key] !== undefined) extra[key] = from.extra[key];
  }
  const paused = [into.pausedUntil, from.pausedUntil].filter((t): t is number => t !== null);
  return {
    ...into,
    mac: into.mac ?? from.mac,
    macRandom: into.mac !== null ? into.macRandom : from.macRandom,
    name: into.name ?? from.name,
    autoName: into.autoName ?? from.autoName,
    vendor: into.vendor ?? from.vendor,
    type: into.type === 'unknown' ? from.type : into.type,
    firstSeen: Math.min(into.firstSeen, from.firstSeen),
    lastSeen: Math.max(into.lastSeen, from.lastSeen),
    pausedUntil: paused.length === 0 ? null : Math.max(...paused),
    addresses: [...addresses.values()],
    groupIds: [...new Set([...into.groupIds, ...from.groupIds])],
    ...(into.extra !== undefined || from.extra !== undefined ? { extra } : {}),
  };
}

/** Every `deviceId` / `deviceIds` in the document (outside the device rows) follows the join. */
function followJoins(value: unknown, into: Map<number, number>): unknown {
  if (Array.isArray(value)) return value.map((item) => followJoins(item, into));
  if (typeof value !== 'object' || value === null) return value;
  const copy: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
    if (key === 'deviceId' && typeof inner === 'number') copy[key] = into.get(inner) ?? inner;
    else if (key === 'deviceIds' && Array.isArray(inner))
      copy[key] = [
        ...new Set(inner.map((id: unknown) => (typeof id === 'number' ? (into.get(id) ?? id) : id))),
      ];
    else copy[key] = followJoins(inner, into);
  }
  return copy;
}

/** The document with each device two replicas numbered joined into one (see the header). */
export function joinReplicaDuplicates<T extends BackupData>(data: T): JoinedDevices<T> {
  const into = duplicates(data);
  if (into.size === 0) return { data, joined: [] };
  const byId = new Map(data.devices.map((device) => [device.id, device]));
  const joinedRows = new Map<number, Device>();
  const joined: Array<[number, number]> = [];
  for (const [fromId, intoId] of [...into].sort((a, b) => a[0] - b[0])) {
    const target = joinedRows.get(intoId) ?? (byId.get(intoId) as Device);
    joinedRows.set(intoId, joinDevice(target, byId.get(fromId) as Device));
    joined.push([fromId, intoId]);
  }
  const { devices, deviceAliases, ...rest } = data;
  const followed = followJoins(rest, into) as Omit<T, 'devices' | 'deviceAliases'> & BackupData;
  // A list given to both devices is given once; a device that two people had stays with the first.
  const lists = followed.lists.map((list) => ({
    ...list,
    assignments: [...new Map(list.assignments.map((a) => [`${a.groupId} ${a.deviceId}`, a])).values()],
  }));
  const owned = new Set<number>();
  const people = followed.people?.map((person) => ({
    ...person,
    deviceIds: person.deviceIds.filter((id) => !owned.has(id) && owned.add(id)),
  }));
  const aliases = (deviceAliases ?? [])
    .filter((row) => !into.has(row.oldId))
    .map((row) => ({ ...row, deviceId: into.get(row.deviceId) ?? row.deviceId }));
  for (const [fromId, intoId] of joined) {
    const from = byId.get(fromId) as Device;
    aliases.push({ oldId: fromId, deviceId: intoId, mergedAt: from.lastSeen });
  }
  return {
    joined,
    data: {
      ...followed,
      lists,
      ...(people !== undefined ? { people } : {}),
      devices: devices.filter((d) => !into.has(d.id)).map((d) => joinedRows.get(d.id) ?? d),
      deviceAliases: aliases.sort((a, b) => a.oldId - b.oldId),
    } as T,
  };
}
