/** What the device registry (registry.ts) is built with: its stores, name sources, clock and timings. */
import type { QueryLogMode } from '../config/schema.js';
import type { Logger } from '../logger.js';
import type { Db } from '../store/sqlite.js';
import type { NeighbourSource } from './neighbour-table.js';
import type { VendorLookupFactory } from './oui-registry.js';
import type { ReverseLookup } from './reverse-dns.js';

export interface DeviceRegistryOptions {
  db: Db;
  logger: Logger;
  /** DHCP leases file (dnsmasq, ISC dhcpd or odhcpd); '' or undefined = none. */
  leasesFile?: string;
  /** Router to ask PTR names of devices; '' or undefined = off. */
  reverseDnsServer?: string;
  /** Where MACs come from (tests pass their own); default: this host's kernel table. */
  neighbourTable?: NeighbourSource;
  /** Vendors (tests gate them; default: the IEEE registry, searched on disk) and the clock. */
  vendors?: VendorLookupFactory;
  now?: () => number;
  /** How often batched last-seen times are written (default 10 s). */
  flushIntervalMs?: number;
  /** How often the neighbour table and names are refreshed without a new address (default 60 s). */
  refreshIntervalMs?: number;
  /** When the table is read again after a new address without a MAC (neighbour-recheck.ts). */
  recheckDelaysMs?: readonly number[];
  /** A device's own mDNS name, for name suggestions (default: asked of the device; null = off). */
  mdns?: ReverseLookup | null;
  /** Called after a device's privacy setting changes, with every override (wire to QueryLog). */
  onPrivacyChange?: (overrides: Map<number, QueryLogMode>) => void;
  /** Called after names or devices changed (rename, merge, reload, names found): `$client` rules re-read them. */
  onIdentityChange?: () => void;
}
