/**
 * Device identity. deviceIdFor(address) is on the DNS hot path: a Map lookup plus a batched last-seen
 * mark, never a wait. A new address is identified at once from the last neighbour-table snapshot (its
 * MAC → an existing or new device) or becomes an IP-only device; then the neighbour table is refreshed
 * in the background, and read again moments after the answer went out (neighbour-recheck.ts: sending it
 * makes the kernel learn the MAC), so an IP-only device whose MAC becomes known is re-identified within
 * seconds (merged into the MAC's device when one exists; the merged id stays an alias of it, so old
 * links and query-log rows still find the device). So one phone with IPv4 and IPv6 addresses is one device, and a laptop
 * that gets a new IP from DHCP stays the same device.
 *
 * Names, in order: the user's name, the DHCP leases file, reverse DNS to the router. Vendor from the OUI;
 * locally administered (randomised) MACs are flagged. Encrypted DNS names devices by ClientID instead.
 */
import type { QueryLogMode } from '../config/schema.js';
import type { Logger } from '../logger.js';
import { DeviceAliasesRepo } from '../store/repos/device-aliases-repo.js';
import { DevicesRepo } from '../store/repos/devices-repo.js';
import { GroupsRepo, type Group } from '../store/repos/groups-repo.js';
import { ClientIdDirectory } from './client-id-directory.js';
import { type Device, DeviceNotFoundError, normalizeAddress, toDevice } from './device.js';
import type { DeviceResolver } from '../events/device-resolver.js';
import { AutoNames } from './auto-names.js';
import { isRandomizedMac, normalizeMac } from './mac-address.js';
import { openOuiRegistry } from './oui-registry.js';
import { kernelNeighbours, type NeighbourSource, type NeighbourTable } from './neighbour-table.js';
import type { DeviceRegistryOptions } from './registry-options.js';
import { NeighbourRecheck } from './neighbour-recheck.js';
import { mdnsNameLookup } from './mdns-name.js';
import { NameSources } from './name-sources.js';
import type { NameSuggestion } from './name-suggestions.js';
import { reverseDnsLookup } from './reverse-dns.js';
import { deviceFields, type DeviceUpdate } from './device-update.js';

export { type Device, DeviceNotFoundError } from './device.js';
/** How often a new device is tried again while tracksink.db cannot be written. */
const NEW_DEVICE_RETRY_MS = 5_000;

export type { DeviceUpdate } from './device-update.js';

export type { DeviceRegistryOptions } from './registry-options.js';

export class DeviceRegistry implements DeviceResolver {
  private readonly devices: DevicesRepo;
  private readonly groups: GroupsRepo;
  private readonly logger: Logger;
  private readonly neighbourSource: NeighbourSource;
  private readonly autoNames: AutoNames;
  private readonly nameSources: NameSources;
  private readonly aliasesRepo: DeviceAliasesRepo;
  private readonly recheck: NeighbourRecheck;
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
  /** Merged device id → the device it became (config 0010): old links and log rows still resolve. */
  private aliasMap = new Map<number, number>();
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
    this.now = options.now ?? Date.now;
    const reverse = options.reverseDnsServer ? reverseDnsLookup(options.reverseDnsServer) : null;
    this.autoNames = new AutoNames({
      devices: this.devices,
      logger: this.logger,
      leasesFile: options.leasesFile ? options.leasesFile : null,
      reverse,
      vendors: options.vendors ?? openOuiRegistry,
    });
    const mdns = options.mdns === undefined ? mdnsNameLookup() : options.mdns;
    this.nameSources = new NameSources({ autoNames: this.autoNames, reverse, mdns });
    this.aliasesRepo = new DeviceAliasesRepo(options.db);
    this.recheck = new NeighbourRecheck({
      reread: () => this.refresh(),
      resolved: (address) => (this.macOf.get(this.byAddress.get(address) ?? 0) ?? null) !== null,
      delaysMs: options.recheckDelaysMs,
      now: this.now,
    });
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

  /** The device, or the one a merged id became (its own id in `id`); null when neither exists. */
  get(id: number): Device | null {
    this.flushSeen();
    const record = this.devices.get(id) ?? this.devices.get(this.aliasMap.get(id) ?? 0);
    if (record === null) return null;
    return toDevice(record, this.groups.memberships().get(record.id) ?? []);
  }

  /** The live id for an id (itself, or what a merged id became); null when there is no such device. */
  resolveId(id: number): number | null {
    return this.get(id)?.id ?? null;
  }

  /**
   * Names to offer for a device, best first (name-sources.ts); `lookedUp` are names it asked for lately
   * (they hint at its platform). Null when there is no such device.
   */
  async nameSuggestions(id: number, lookedUp: string[] = []): Promise<NameSuggestion[] | null> {
    const record = this.devices.get(this.resolveId(id) ?? 0);
    return record === null ? null : this.nameSources.suggest(record, lookedUp);
  }

  /** Merged ids → the devices they became. */
  aliases(): ReadonlyMap<number, number> {
    return this.aliasMap;
  }

  /** Changes a device (a merged id changes the device it became). */
  update(requestedId: number, update: DeviceUpdate): Device {
    const id = this.resolveId(requestedId);
    if (id === null) throw new DeviceNotFoundError(requestedId);
    const fields = deviceFields(update);
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
    this.recheck.close();
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
    this.recheck.close();
    for (const timer of this.timers) clearInterval(timer);
    await this.refreshing;
    this.flushSeen();
  }

  private loadFromDb(): void {
    this.aliasMap = this.aliasesRepo.all();
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
    // No MAC yet: the answer about to be sent makes the kernel learn it; look again in a moment.
    if (mac === null) this.recheck.watch(address);
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
    // IPv6 neighbours cost a child process (neighbour-table.ts): only when an IPv6 client is known.
    const ipv6 = [...this.byAddress.keys()].some((address) => address.includes(':') && address !== '::1');
    this.neighbours = await this.neighbourSource.read({ ipv6 });
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

  /**
   * Joins a device whose private MAC rotated to the device it was (people/rejoin.ts decides when): merged
   * into it like any merge (its id an alias), and the old device takes the new MAC, so its next query is
   * the old device. No reload: the neighbour re-checks and last-seen times carry on.
   */
  rejoin(fromId: number, intoId: number): void {
    const from = this.devices.get(fromId);
    if (from === null || this.devices.get(intoId) === null) return;
    this.flushSeen();
    this.mergeInto(fromId, intoId);
    if (from.mac !== null) {
      this.devices.setMac(intoId, from.mac, from.macRandom, from.vendor);
      this.macOf.set(intoId, from.mac);
      this.byMac.set(from.mac, intoId);
    }
    this.onPrivacyChange?.(this.devicePrivacy());
    this.onIdentityChange?.();
  }

  private mergeInto(fromId: number, intoId: number): void {
    this.devices.merge(fromId, intoId, this.now());
    for (const [oldId, id] of this.aliasMap) if (id === fromId) this.aliasMap.set(oldId, intoId);
    this.aliasMap.set(fromId, intoId);
    for (const [address, id] of this.byAddress) if (id === fromId) this.byAddress.set(address, intoId);
    this.macOf.delete(fromId);
    this.seenDevices.delete(fromId);
    this.needNames.delete(fromId);
    this.clientIds.reload();
    this.logger.info({ from: fromId, into: intoId }, 'device identified by MAC; merged');
  }

  /** Vendors and automatic names of the devices that need them (auto-names.ts). */
  private async resolveNames(): Promise<void> {
    const ids = [...this.needNames];
    this.needNames.clear();
    await this.autoNames.resolve(ids);
  }
}
