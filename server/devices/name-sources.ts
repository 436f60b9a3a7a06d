/**
 * Gathers what name-suggestions.ts ranks, for one device, when the dashboard asks: host names from the
 * DHCP leases file, the router's reverse DNS name and the device's own mDNS name (both asked now, with
 * short timeouts), and its vendor and kind. Never on DNS's path.
 */
import type { DeviceRecord } from '../store/repos/devices-repo.js';
import type { AutoNames } from './auto-names.js';
import { suggestNames, type NameSuggestion } from './name-suggestions.js';
import type { ReverseLookup } from './reverse-dns.js';

export interface NameSourcesOptions {
  autoNames: AutoNames;
  /** Reverse DNS to the router; null = off. */
  reverse: ReverseLookup | null;
  /** mDNS name of a device by its address; null = off. */
  mdns: ReverseLookup | null;
}

/** Addresses asked per device (its newest ones). */
const ADDRESSES_ASKED = 2;

export class NameSources {
  constructor(private readonly options: NameSourcesOptions) {}

  async suggest(record: DeviceRecord, lookedUp: string[]): Promise<NameSuggestion[]> {
    const addresses = record.addresses.map((a) => a.address);
    const asked = addresses.slice(0, ADDRESSES_ASKED);
    const [leases, reverseName, mdnsName] = await Promise.all([
      this.options.autoNames.readLeases(),
      record.nameSource === 'reverse-dns' && record.autoName !== null
        ? record.autoName
        : firstName(asked, this.options.reverse),
      firstName(asked, this.options.mdns),
    ]);
    const leaseNames = new Set<string>();
    if (record.nameSource === 'leases' && record.autoName !== null) leaseNames.add(record.autoName);
    for (const lease of leases) {
      if (lease.hostname === null) continue;
      if ((record.mac !== null && lease.mac === record.mac) || addresses.includes(lease.address)) {
        leaseNames.add(lease.hostname);
      }
    }
    return suggestNames({
      vendor: record.vendor,
      macRandom: record.macRandom,
      type: record.type,
      leaseNames: [...leaseNames],
      reverseName,
      mdnsName,
      lookedUp,
    });
  }
}

async function firstName(addresses: string[], lookup: ReverseLookup | null): Promise<string | null> {
  if (lookup === null) return null;
  const names = await Promise.all(addresses.map((address) => lookup(address)));
  return names.find((name) => name !== null) ?? null;
}
