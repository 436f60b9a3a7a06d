/**
 * Device identity. deviceIdFor(address) is on the DNS hot path: a Map lookup plus a batched last-seen
 * mark, never a wait. A new address is identified at once from the last neighbour-table snapshot (its
 * MAC → an existing or new device) or becomes an IP-only device; then the neighbour table is refreshed
 * in the background, and an IP-only device whose MAC becomes known is re-identified (merged into the
 * MAC's device when one exists). So one phone with IPv4 and IPv6 addresses is one device, and a laptop
 * that gets a new IP from DHCP stays the same device.
 *
 * Names, in order: the user's name, the DHCP leases file, reverse DNS to the router. Vendor from the OUI;
 * locally administered (randomised) MACs are flagged. Encrypted DNS names devices by ClientID instead.
 */
import { readFile } from 'node:fs/promises';
import type { QueryLogMode } from '../config/schema.js';
import type { Logger } from '../logger.js';
import { DevicesRepo } from '../store/repos/devices-repo.js';
import { GroupsRepo, type Group } from '../store/repos/groups-repo.js';
import type { Db } from '../store/sqlite.js';
import { ClientIdDirectory } from './client-id-directory.js';
import { type Device, DeviceNotFoundError, normalizeAddress, toDevice } from './device.js';
import type { DeviceResolver } from './device-resolver.js';
import { parseLeases, type Lease } from './leases.js';
import { isRandomizedMac, normalizeMac } from './mac-address.js';
import { openOuiRegistry, vendorsFor, type VendorLookupFactory } from './oui-registry.js';
import { kernelNeighbours, type NeighbourSource, type NeighbourTable } from './neighbour-table.js';
import { reverseDnsLookup, type ReverseLookup } from './reverse-dns.js';
import { DEVICE_TYPES } from './device-types.js';

export { type Device, DeviceNotFoundError } from './device.js';
/** How often a new device is tried again while tracksink.db cannot be written. */
const NEW_DEVICE_RETRY_MS = 5_000;

export interface DeviceUpdate {
  name?: string | null;
  type?: string;
  groupIds?: number[];
  pausedUntil?: number | null;
  privacy?: QueryLogMode | null;
}

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
  /** Called after a device's privacy setting changes, with every override (wire to QueryLog). */
  onPrivacyChange?: (overrides: Map<number, QueryLogMode>) => void;
  /** Called after names or devices changed (rename, merge, reload, names found): `$client` rules re-read them. */
  onIdentityChange?: () => void;
}

export class DeviceRegistry implements DeviceResolver {
  private readonly devices: DevicesRepo;
  private readonly groups: GroupsRepo;
  private readonly logger: Logger;
  private readonly neighbourSource: NeighbourSource;
  private readonly reverse: ReverseLookup | null;
  private readonly leasesFile: string | null;
  private readonly vendors: VendorLookupFactory;
  private readonly now: () => number;
  private readonly onPrivacyChange: ((overrides: Map<number, QueryLogMode>) => void) | undefined;
  private readonly onIdentityChange: (() => void) | undefined;
  /** ClientID → device (encrypted DNS): see client-id-directory.ts. */
  readonly clientIds: ClientIdDirectory;

  /** address → device id: the hot lookup. */
  private readonly byAddress = new Map<string, number>();
  private readonly byMac = new Map<string, number>();
  /** device id → MAC (null for IP-only devices). */
  private readonly macOf = new Map<number, string | null>();
  private neighbours: NeighbourTable = new Map();
  private readonly seenDevices = new Map<number, number>();
  private readonly seenAddresses = new Map<string, { deviceId: number; time: number }>();
  /** Devices created or changed since the last name pass. */
  private readonly needNames = new Set<number>();
  private refreshing: Promise<void> | null = null;
  private refreshAgain = false;
  private readonly timers: NodeJS.Timeout[] = [];
  private closed = false;
  /**
   * While tracksink.db cannot be written (read-only or full disk), new addresses are answered as the
   * unknown device without trying again on every query: one attempt per NEW_DEVICE_RETRY_MS and one
   * log line per distinct error, not one per query (a storage fault logged 1,333 lines in 10 s).
   */
  private newDeviceRetryAt = 0;
  private newDeviceError: string | null = null;

  constructor(options: DeviceRegistryOptions) {
    this.devices = new DevicesRepo(options.db);
    this.groups = new GroupsRepo(options.db);
    this.logger = options.logger;
    this.neighbourSource = options.neighbourTable ?? kernelNeighbours;
    this.reverse = options.reverseDnsServer ? reverseDnsLookup(options.reverseDnsServer) : null;
    this.leasesFile = options.leasesFile ? options.leasesFile : null;
    this.vendors = options.vendors ?? openOuiRegistry;
    this.now = options.now ?? Date.now;
    this.onPrivacyChange = options.onPrivacyChange;
    this.onIdentityChange = options.onIdentityChange;
    this.clientIds = new ClientIdDirectory({
      db: options.db,
      logger: this.logger,
      now: this.now,
      markSeen: (id) => this.seenDevices.set(id, this.now()),
      onChange: () => this.onIdentityChange?.(),
    });
    this.loadFromDb();
    const flush = setInterval(() => this.flushSeen(), options.flushIntervalMs ?? 10_000);
    const refresh = setInterval(() => {
      // Retry names for devices that have none yet (a lease may have appeared, the router may answer now).
      for (const record of this.devices.all()) if (record.autoName === null) this.needNames.add(record.id);
      void this.refresh();
    }, options.refreshIntervalMs ?? 60_000);
    flush.unref();
    refresh.unref();
    this.timers.push(flush, refresh);
  }

  /** Hot path: synchronous, in memory. An unknown address is identified now and refined later. */
  deviceIdFor(address: string): number {
    const known = this.byAddress.get(address);
    if (known !== undefined) {
      this.markSeen(known, address);
      return known;
    }
    const normalized = normalizeAddress(address);
    const existing = this.byAddress.get(normalized);
    if (existing !== undefined) {
      this.byAddress.set(address, existing); // remember the raw spelling too
      this.markSeen(existing, normalized);
      return existing;
    }
    if (this.newDeviceError !== null && this.now() < this.newDeviceRetryAt) return 0;
    try {
      const id = this.identify(normalized);
      if (address !== normalized) this.byAddress.set(address, id);
      if (this.newDeviceError !== null) {
        this.newDeviceError = null;
        this.logger.info('new devices are recorded again');
      }
      return id;
    } catch (error) {
      // tracksink.db unwritable: DNS must still answer; the device stays unknown for now.
      const message = (error as Error).message;
      if (message !== this.newDeviceError) {
        this.logger.error(
          { err: error, address: normalized },
          `could not record a new device; it is answered as an unknown device, retrying every ${NEW_DEVICE_RETRY_MS / 1000} s`,
        );
      }
      this.newDeviceError = message;
      this.newDeviceRetryAt = this.now() + NEW_DEVICE_RETRY_MS;
      return 0;
    }
  }

  list(): Device[] {
    const memberships = this.groups.memberships();
    this.flushSeen();
    return this.devices.all().map((record) => toDevice(record, memberships.get(record.id) ?? []));
  }

  get(id: number): Device | null {
    this.flushSeen();
    const record = this.devices.get(id);
    if (record === null) return null;
    return toDevice(record, this.groups.memberships().get(id) ?? []);
  }

  update(id: number, update: DeviceUpdate): Device {
    if (this.devices.get(id) === null) throw new DeviceNotFoundError(id);
    const fields: Parameters<DevicesRepo['update']>[1] = {};
    if (update.name !== undefined) {
      if (update.name !== null && typeof update.name !== 'string')
        throw new Error('device name must be a string or null');
      const name = update.name === null ? null : update.name.trim();
      if (name !== null && name.length > 64)
        throw new Error(`device name is too long (${name.length} characters, at most 64)`);
      fields.name = name === '' ? null : name;
    }
    if (update.type !== undefined) {
      if (!(DEVICE_TYPES as readonly string[]).includes(update.type)) {
        throw new Error(`device type must be one of ${DEVICE_TYPES.join(', ')}; got "${update.type}"`);
      }
      fields.type = update.type;
    }
    if (update.pausedUntil !== undefined) {
      if (update.pausedUntil !== null && !Number.isFinite(update.pausedUntil)) {
        throw new Error('pausedUntil must be a time in ms since the epoch, or null');
      }
      fields.pausedUntil = update.pausedUntil;
    }
    if (update.privacy !== undefined) {
      if (update.privacy !== null && !['all', 'hide-names', 'none'].includes(update.privacy)) {
        throw new Error(`privacy must be all, hide-names, none or null; got "${String(update.privacy)}"`);
      }
      fields.privacy = update.privacy;
    }
    if (update.groupIds !== undefined) this.groups.setDeviceGroups(id, update.groupIds);
    this.devices.update(id, fields);
    if (update.privacy !== undefined) this.onPrivacyChange?.(this.devicePrivacy());
    if (update.name !== undefined) this.onIdentityChange?.();
    return this.get(id) as Device;
  }

  /** Per-device query log privacy overrides (devices without one use the global setting). */
  devicePrivacy(): Map<number, QueryLogMode> {
    const map = new Map<number, QueryLogMode>();
    for (const record of this.devices.all()) if (record.privacy !== null) map.set(record.id, record.privacy);
    return map;
  }

  /** Devices whose blocking is paused, with the time it ends (for the policy engine). */
  pauses(now = this.now()): Map<number, number> {
    const map = new Map<number, number>();
    for (const record of this.devices.all()) {
      if (record.pausedUntil !== null && record.pausedUntil > now) map.set(record.id, record.pausedUntil);
    }
    return map;
  }

  listGroups(): Group[] {
    return this.groups.list();
  }

  createGroup(input: { name: string; description?: string }): Group {
    return this.groups.create(input);
  }

  updateGroup(id: number, input: { name?: string; description?: string }): Group {
    return this.groups.update(id, input);
  }

  deleteGroup(id: number): void {
    this.groups.delete(id);
  }

  /** device id → group ids (the policy engine's view: a person's profile for devices without their own). */
  deviceGroups(): Map<number, number[]> {
    return this.groups.memberships(true);
  }

  /**
   * Reads the neighbour table, re-identifies devices whose MAC became known (or whose address now
   * belongs to another MAC), then names new devices. Concurrent calls share one pass (plus one more if
   * asked during it).
   */
  refresh(): Promise<void> {
    if (this.refreshing !== null) {
      this.refreshAgain = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      do {
        this.refreshAgain = false;
        await this.refreshOnce();
      } while (this.refreshAgain && !this.closed);
    })()
      .catch((error: unknown) => this.logger.warn({ err: error }, 'device refresh failed'))
      .finally(() => {
        this.refreshing = null;
      });
    return this.refreshing;
  }

  /**
   * After the devices tables were replaced behind the registry's back (a configuration import): forgets
   * the address and MAC maps and the unsaved last-seen times (they name the old ids), reads the new
   * devices, and hands the query log their privacy settings.
   */
  reload(): void {
    this.byAddress.clear();
    this.byMac.clear();
    this.macOf.clear();
    this.seenDevices.clear();
    this.seenAddresses.clear();
    this.needNames.clear();
    this.loadFromDb();
    this.clientIds.reload();
    this.onPrivacyChange?.(this.devicePrivacy());
    this.onIdentityChange?.();
  }

  /** Writes batched last-seen times now. */
  flushSeen(): void {
    if (this.seenDevices.size === 0 && this.seenAddresses.size === 0) return;
    const devices = new Map(this.seenDevices);
    const addresses = new Map(this.seenAddresses);
    this.seenDevices.clear();
    this.seenAddresses.clear();
    try {
      this.devices.touchMany(devices, addresses);
    } catch (error) {
      this.logger.warn({ err: error }, 'could not save device last-seen times');
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers) clearInterval(timer);
    await this.refreshing;
    this.flushSeen();
  }

  private loadFromDb(): void {
    for (const record of this.devices.all()) {
      this.macOf.set(record.id, record.mac);
      if (record.mac !== null) this.byMac.set(record.mac, record.id);
    }
    // Oldest first, so the device that used an address most recently wins it.
    const rows = this.devices
      .all()
      .flatMap((record) => record.addresses.map((a) => ({ id: record.id, ...a })))
      .sort((a, b) => a.lastSeen - b.lastSeen);
    for (const row of rows) this.byAddress.set(row.address, row.id);
  }

  private markSeen(id: number, address: string): void {
    const now = this.now();
    this.seenDevices.set(id, now);
    const entry = this.seenAddresses.get(address);
    if (entry === undefined) this.seenAddresses.set(address, { deviceId: id, time: now });
    else {
      entry.deviceId = id;
      entry.time = now;
    }
  }

  private identify(address: string): number {
    const now = this.now();
    const mac = this.neighbours.get(address) ?? null;
    let id = mac === null ? undefined : this.byMac.get(mac);
    if (id === undefined) id = this.createDevice(mac, now);
    this.devices.touchAddress(id, address, now);
    this.byAddress.set(address, id);
    this.seenDevices.set(id, now);
    void this.refresh();
    return id;
  }

  private createDevice(mac: string | null, now: number): number {
    // The vendor is looked up in the background name pass: the OUI registry is a 5 MB file.
    const id = this.devices.create({
      mac,
      macRandom: mac !== null && isRandomizedMac(mac),
      vendor: null,
      now,
    });
    this.macOf.set(id, mac);
    if (mac !== null) this.byMac.set(mac, id);
    this.needNames.add(id);
    this.logger.info({ deviceId: id, mac }, 'new device');
    return id;
  }

  private async refreshOnce(): Promise<void> {
    this.neighbours = await this.neighbourSource.read();
    if (this.closed) return;
    this.flushSeen();
    for (const [address, rawMac] of this.neighbours) {
      const mac = normalizeMac(rawMac);
      const id = this.byAddress.get(address);
      if (mac === null || id === undefined) continue;
      const currentMac = this.macOf.get(id) ?? null;
      if (currentMac === mac) continue;
      const owner = this.byMac.get(mac);
      if (currentMac === null) {
        if (owner !== undefined && owner !== id) this.mergeInto(id, owner);
        else this.assignMac(id, mac);
      } else {
        // The address now answers with another MAC: DHCP gave it to a different device.
        const target = owner ?? this.createDevice(mac, this.now());
        this.devices.touchAddress(target, address, this.now());
        this.byAddress.set(address, target);
      }
    }
    await this.resolveNames();
    if (!this.closed) this.onIdentityChange?.();
  }

  private assignMac(id: number, mac: string): void {
    this.devices.setMac(id, mac, isRandomizedMac(mac), null);
    this.macOf.set(id, mac);
    this.byMac.set(mac, id);
    this.needNames.add(id);
  }

  private mergeInto(fromId: number, intoId: number): void {
    this.devices.merge(fromId, intoId);
    for (const [address, id] of this.byAddress) if (id === fromId) this.byAddress.set(address, intoId);
    this.macOf.delete(fromId);
    this.seenDevices.delete(fromId);
    this.needNames.delete(fromId);
    this.clientIds.reload();
    this.logger.info({ from: fromId, into: intoId }, 'device identified by MAC; merged');
  }

  /** Vendors (searched on disk, off DNS's path) and automatic names: leases first, then reverse DNS. */
  private async resolveNames(): Promise<void> {
    if (this.needNames.size === 0) return;
    const leases = await this.readLeases();
    const pending = [...this.needNames].map((id) => this.devices.get(id));
    this.needNames.clear();
    const macs = pending.flatMap((r) => (r?.mac && r.vendor === null ? [r.mac] : []));
    const vendors = await vendorsFor(macs, this.vendors);
    for (const found of pending) {
      const record = found && this.devices.get(found.id);
      if (!record) continue;
      const vendor = record.mac === null ? undefined : vendors.get(record.mac);
      if (vendor !== undefined) this.devices.setMac(record.id, record.mac!, record.macRandom, vendor);
      const addresses = record.addresses.map((a) => a.address);
      const lease = leases.find(
        (l) =>
          l.hostname !== null &&
          ((record.mac !== null && l.mac === record.mac) || addresses.includes(l.address)),
      );
      if (lease?.hostname) {
        if (record.autoName !== lease.hostname) this.devices.setAutoName(record.id, lease.hostname, 'leases');
        continue;
      }
      if (this.reverse === null || record.nameSource === 'leases') continue;
      for (const address of addresses) {
        const name = await this.reverse(address);
        if (name !== null) {
          this.devices.setAutoName(record.id, name, 'reverse-dns');
          break;
        }
      }
    }
  }

  private async readLeases(): Promise<Lease[]> {
    if (this.leasesFile === null) return [];
    try {
      return parseLeases(await readFile(this.leasesFile, 'utf8'));
    } catch (error) {
      this.logger.warn({ err: error, file: this.leasesFile }, 'could not read the DHCP leases file');
      return [];
    }
  }
}
