/**
 * Vendors and automatic names of devices, off DNS's path (the registry's background pass): the vendor
 * from the OUI registry (a 5 MB file searched on disk), the name from the DHCP leases file first, then
 * reverse DNS to the router.
 */
import { readFile } from 'node:fs/promises';
import type { Logger } from '../logger.js';
import type { DevicesRepo } from '../store/repos/devices-repo.js';
import { parseLeases, type Lease } from './leases.js';
import { vendorsFor, type VendorLookupFactory } from './oui-registry.js';
import type { ReverseLookup } from './reverse-dns.js';

export interface AutoNamesOptions {
  devices: DevicesRepo;
  logger: Logger;
  /** DHCP leases file; null = none. */
  leasesFile: string | null;
  /** Reverse DNS to the router; null = off. */
  reverse: ReverseLookup | null;
  vendors: VendorLookupFactory;
}

export class AutoNames {
  constructor(private readonly options: AutoNamesOptions) {}

  /** The leases file now ([] when none is set or it cannot be read: names are a nicety). */
  async readLeases(): Promise<Lease[]> {
    const file = this.options.leasesFile;
    if (file === null) return [];
    try {
      return parseLeases(await readFile(file, 'utf8'));
    } catch (error) {
      this.options.logger.warn({ err: error, file }, 'could not read the DHCP leases file');
      return [];
    }
  }

  /** Looks up vendors and automatic names for these devices and stores what it finds. */
  async resolve(ids: number[]): Promise<void> {
    const { devices, reverse } = this.options;
    if (ids.length === 0) return;
    const leases = await this.readLeases();
    const pending = ids.map((id) => devices.get(id));
    const macs = pending.flatMap((r) => (r?.mac && r.vendor === null ? [r.mac] : []));
    const vendors = await vendorsFor(macs, this.options.vendors);
    for (const found of pending) {
      const record = found && devices.get(found.id);
      if (!record) continue;
      const vendor = record.mac === null ? undefined : vendors.get(record.mac);
      if (vendor !== undefined) devices.setMac(record.id, record.mac!, record.macRandom, vendor);
      const addresses = record.addresses.map((a) => a.address);
      const lease = leases.find(
        (l) =>
          l.hostname !== null &&
          ((record.mac !== null && l.mac === record.mac) || addresses.includes(l.address)),
      );
      if (lease?.hostname) {
        if (record.autoName !== lease.hostname) devices.setAutoName(record.id, lease.hostname, 'leases');
        continue;
      }
      if (reverse === null || record.nameSource === 'leases') continue;
      for (const address of addresses) {
        const name = await reverse(address);
        if (name !== null) {
          devices.setAutoName(record.id, name, 'reverse-dns');
          break;
        }
      }
    }
  }
}
