/**
 * Re-joining a device whose private MAC rotated. Phones and laptops pick a new locally administered
 * ("private") MAC per network, and again from time to time; tracksink then sees a new device. Its DHCP
 * host name (from the leases file: the registry names it) usually stays the same ("Mums-iPhone"), so a
 * new private-MAC device whose host name an older device had is probably that device again:
 *
 * - joined automatically when the case is clear: the host name belongs to exactly one older device, that
 *   device had a private MAC too, only one lease in the leases file carries the name now (the old MAC's
 *   lease is gone: not two phones called "iPhone" at home), the new one appeared within a day and nobody
 *   has touched it yet (no name, person, profile or ClientID of its own), and the two were not seen
 *   answering at the same time;
 * - otherwise suggested ("This looks like Mum's phone again — join it?") until joined or dismissed.
 *
 * A device named by its ClientID (encrypted DNS) needs none of this: the ClientID is the device, whatever
 * its MAC or address (devices/client-id-directory.ts).
 */

/** What re-joining reads of a device (devices/device.ts Device has all of it). */
export interface RejoinDevice {
  id: number;
  name: string | null;
  userName: string | null;
  autoName: string | null;
  nameSource: string | null;
  mac: string | null;
  macRandom: boolean;
  firstSeen: number;
  lastSeen: number;
  groupIds: number[];
}

export interface RejoinMatch {
  /** The new device (private MAC). */
  deviceId: number;
  /** The older device it looks like. */
  candidateId: number;
  /** The DHCP host name they share. */
  hostName: string;
  /** True when it is joined without asking. */
  automatic: boolean;
}

export interface RejoinContext {
  /** device id → person id. */
  owners: ReadonlyMap<number, number>;
  /** Devices with a ClientID. */
  withClientIds: ReadonlySet<number>;
  /** "device:candidate" pairs a person said are not the same. */
  dismissed: ReadonlySet<string>;
  /** Lower-cased host name → how many leases in the leases file carry it now. */
  leasesByHostName: ReadonlyMap<string, number>;
  now: number;
}

const DAY_MS = 86_400_000;
/** A new device is suggested for this long after it first appeared. */
export const SUGGEST_FOR_MS = 14 * DAY_MS;
/** ... and joined automatically only within this (later, somebody may have started using it as it is). */
export const AUTO_JOIN_WITHIN_MS = DAY_MS;
/**
 * Both devices answering queries for longer than this after the new one appeared means two devices (a
 * minute or two of overlap is normal: the old device keeps the address until the neighbour table shows
 * the new MAC).
 */
export const SEEN_TOGETHER_MS = 5 * 60_000;

/** Lower-cased host name a device got from the leases file, or null. */
function leaseName(device: RejoinDevice): string | null {
  if (device.nameSource !== 'leases' || device.autoName === null) return null;
  const name = device.autoName.trim().toLowerCase();
  return name === '' ? null : name;
}

export function findRejoins(devices: readonly RejoinDevice[], context: RejoinContext): RejoinMatch[] {
  const byHostName = new Map<string, RejoinDevice[]>();
  for (const device of devices) {
    // Any device that carries the host name counts (a named one too: "Mum's phone" had it from DHCP).
    const name = device.autoName?.trim().toLowerCase();
    if (!name) continue;
    const list = byHostName.get(name);
    if (list === undefined) byHostName.set(name, [device]);
    else list.push(device);
  }
  const matches: RejoinMatch[] = [];
  for (const device of devices) {
    const hostName = leaseName(device);
    if (hostName === null || !device.macRandom) continue;
    if (context.now - device.firstSeen > SUGGEST_FOR_MS) continue;
    const sharing = (byHostName.get(hostName) ?? []).filter((other) => other.id !== device.id);
    const older = sharing.filter(
      (other) =>
        other.firstSeen < device.firstSeen || (other.firstSeen === device.firstSeen && other.id < device.id),
    );
    const untouched =
      device.userName === null &&
      device.groupIds.length === 0 &&
      !context.owners.has(device.id) &&
      !context.withClientIds.has(device.id);
    for (const candidate of older) {
      if (context.dismissed.has(`${device.id}:${candidate.id}`)) continue;
      const automatic =
        sharing.length === 1 &&
        candidate.macRandom &&
        (context.leasesByHostName.get(hostName) ?? 0) <= 1 &&
        untouched &&
        context.now - device.firstSeen <= AUTO_JOIN_WITHIN_MS &&
        candidate.lastSeen <= device.firstSeen + SEEN_TOGETHER_MS;
      matches.push({ deviceId: device.id, candidateId: candidate.id, hostName: device.autoName!, automatic });
    }
  }
  return matches;
}
