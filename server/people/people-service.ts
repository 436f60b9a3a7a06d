/**
 * People: a person ("Mum") owns devices (phone, laptop, work phone) and may have a profile that applies
 * to each of their devices without a profile of its own (GroupsRepo.memberships(true) gives the policy
 * engine that view). Re-joins devices whose private MAC rotated (rejoin.ts): automatically when clear,
 * else as suggestions the dashboard offers with one click.
 *
 * Every change that moves devices between profiles or merges devices calls `onChange`, which services.ts
 * wires to push device groups, rules and pauses into the policy engine and refresh the schedules.
 */
import { readFile } from 'node:fs/promises';
import type { Device } from '../devices/device.js';
import { parseLeases } from '../devices/leases.js';
import type { Logger } from '../logger.js';
import { PeopleRepo, type PersonRecord } from '../store/repos/people-repo.js';
import type { Db } from '../store/sqlite.js';
import { findRejoins, type RejoinMatch } from './rejoin.js';

export { PersonNameTakenError } from '../store/repos/people-repo.js';
export type Person = PersonRecord;

/** What the service needs of the device registry (devices/registry.ts). */
export interface PeopleDevices {
  list(): Device[];
  get(id: number): Device | null;
  /** Folds a device whose private MAC rotated into the device it was (it takes the new MAC). */
  rejoin(fromId: number, intoId: number): void;
}

export interface PeopleServiceOptions {
  db: Db;
  devices: PeopleDevices;
  /** The DHCP leases file the registry names devices from ('' or undefined = none). */
  leasesFile?: string;
  logger: Pick<Logger, 'info' | 'warn'>;
  /** Devices changed person, profile or were merged: push groups, rules and schedules to the policy. */
  onChange?: () => void;
  now?: () => number;
}

/** Bad input, said in words that name the field (the API answers 400 with it). */
export class PeopleInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PeopleInputError';
  }
}

export class PersonNotFoundError extends Error {
  constructor(id: number) {
    super(`there is no person ${id}`);
    this.name = 'PersonNotFoundError';
  }
}

export interface PersonInput {
  name?: string;
  profileId?: number | null;
  deviceIds?: number[];
}

export interface RejoinSuggestion extends RejoinMatch {
  device: Device;
  candidate: Device;
  /** The person who owns the older device, when someone does. */
  person: { id: number; name: string } | null;
}

const MAX_NAME = 60;

export class PeopleService {
  private readonly repo: PeopleRepo;
  private readonly now: () => number;
  private checkQueued = false;
  /** The queued or running re-join check (tests and shutdown wait for it). */
  private checking: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly options: PeopleServiceOptions) {
    this.repo = new PeopleRepo(options.db);
    this.now = options.now ?? Date.now;
  }

  list(): Person[] {
    return this.repo.list();
  }

  get(id: number): Person {
    const person = this.repo.get(id);
    if (person === null) throw new PersonNotFoundError(id);
    return person;
  }

  /** device id → person id. */
  owners(): Map<number, number> {
    return this.repo.owners();
  }

  create(input: PersonInput): Person {
    const name = this.checkName(input.name);
    const profileId = this.checkProfile(input.profileId ?? null);
    const deviceIds = this.checkDevices(input.deviceIds ?? []);
    const id = this.options.db.transaction(() => {
      const created = this.repo.create({ name, groupId: profileId, now: this.now() });
      this.repo.setDevices(created, deviceIds);
      return created;
    })();
    this.options.onChange?.();
    return this.get(id);
  }

  update(id: number, input: PersonInput): Person {
    this.get(id);
    const name = input.name === undefined ? undefined : this.checkName(input.name);
    const profileId = input.profileId === undefined ? undefined : this.checkProfile(input.profileId);
    const deviceIds = input.deviceIds === undefined ? undefined : this.checkDevices(input.deviceIds);
    this.options.db.transaction(() => {
      this.repo.update(id, { name, groupId: profileId });
      if (deviceIds !== undefined) this.repo.setDevices(id, deviceIds);
    })();
    this.options.onChange?.();
    return this.get(id);
  }

  delete(id: number): void {
    if (!this.repo.delete(id)) throw new PersonNotFoundError(id);
    this.options.onChange?.();
  }

  /** Gives a device to a person (taking it from whoever had it), or to nobody (null). */
  setOwner(deviceId: number, personId: number | null): void {
    this.checkDevices([deviceId], 'deviceId');
    if (personId !== null) this.get(personId);
    this.repo.setOwner(deviceId, personId);
    this.options.onChange?.();
  }

  /** Re-join suggestions (automatic ones are already done by checkRejoins). */
  suggestions(): RejoinSuggestion[] {
    const devices = new Map(this.options.devices.list().map((device) => [device.id, device]));
    const people = new Map(this.repo.list().map((person) => [person.id, person]));
    const owners = this.repo.owners();
    return this.matches([...devices.values()], new Map()).flatMap((match) => {
      const device = devices.get(match.deviceId);
      const candidate = devices.get(match.candidateId);
      if (device === undefined || candidate === undefined) return [];
      const owner = people.get(owners.get(candidate.id) ?? -1);
      return [{ ...match, device, candidate, person: owner ? { id: owner.id, name: owner.name } : null }];
    });
  }

  /** Merges device `deviceId` (the new one) into `intoId` (the one it was): one device, one history. */
  join(deviceId: number, intoId: number): Device {
    if (deviceId === intoId) throw new PeopleInputError('body.intoId: a device cannot be joined to itself');
    this.checkDevices([deviceId], 'deviceId');
    this.checkDevices([intoId], 'intoId');
    this.repo.prepareRejoin(deviceId, intoId);
    this.options.devices.rejoin(deviceId, intoId);
    this.options.logger.info({ from: deviceId, into: intoId }, 'device re-joined (its private MAC changed)');
    this.options.onChange?.();
    return this.options.devices.get(intoId)!;
  }

  /** "Not the same device": the suggestion is not offered again. */
  dismiss(deviceId: number, candidateId: number): void {
    this.checkDevices([deviceId], 'deviceId');
    this.checkDevices([candidateId], 'intoId');
    this.repo.dismissRejoin(deviceId, candidateId);
  }

  /**
   * Joins the clear cases (rejoin.ts). Called after the registry's identity changes (a refresh pass named
   * new devices from the leases file); queued, so a join's own reload does not re-enter it.
   */
  scheduleRejoinCheck(): void {
    if (this.checkQueued) return;
    this.checkQueued = true;
    const previous = this.checking;
    this.checking = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => previous)
      .then(async () => {
        this.checkQueued = false;
        if (!this.stopped) await this.checkRejoins();
      })
      .catch((error: unknown) =>
        this.options.logger.warn({ err: error }, 'could not re-join devices whose private MAC changed'),
      );
  }

  /** Resolves when no re-join check is queued or running. */
  async idle(): Promise<void> {
    let current: Promise<void>;
    do {
      current = this.checking;
      await current;
    } while (current !== this.checking);
  }

  /** No more re-join checks; waits for one that is running (the database is about to close). */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.idle();
  }

  /** Joins every automatic match now (the leases file read first); returns them. */
  async checkRejoins(): Promise<RejoinMatch[]> {
    const leases = await this.leasesByHostName();
    const joined: RejoinMatch[] = [];
    if (this.stopped) return joined;
    for (const match of this.matches(this.options.devices.list(), leases)) {
      if (!match.automatic) continue;
      this.join(match.deviceId, match.candidateId);
      joined.push(match);
    }
    return joined;
  }

  private matches(devices: Device[], leasesByHostName: ReadonlyMap<string, number>): RejoinMatch[] {
    return findRejoins(devices, {
      owners: this.repo.owners(),
      withClientIds: this.repo.devicesWithClientIds(),
      dismissed: this.repo.dismissals(),
      leasesByHostName,
      now: this.now(),
    });
  }

  /** Host name → leases carrying it now (a name on two leases is two devices at home). */
  private async leasesByHostName(): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    if (!this.options.leasesFile) return counts;
    let text: string;
    try {
      text = await readFile(this.options.leasesFile, 'utf8');
    } catch {
      return counts; // the registry logs an unreadable leases file; without it nothing is named from it
    }
    const macsByName = new Map<string, Set<string>>();
    for (const lease of parseLeases(text)) {
      // DHCPv6 leases carry no MAC: a dual-stack phone is one holder, counted by its IPv4 lease's MAC.
      if (lease.hostname === null || lease.mac === null) continue;
      const name = lease.hostname.toLowerCase();
      const macs = macsByName.get(name) ?? new Set<string>();
      macs.add(lease.mac);
      macsByName.set(name, macs);
    }
    for (const [name, macs] of macsByName) counts.set(name, macs.size);
    return counts;
  }

  private checkName(raw: unknown): string {
    if (typeof raw !== 'string') throw new PeopleInputError('body.name: a person needs a name');
    const name = raw.trim();
    if (name === '') throw new PeopleInputError('body.name: must not be blank');
    if (name.length > MAX_NAME)
      throw new PeopleInputError(`body.name: too long (${name.length} characters, at most ${MAX_NAME})`);
    return name;
  }

  private checkProfile(profileId: number | null): number | null {
    if (profileId !== null && !this.repo.groupExists(profileId))
      throw new PeopleInputError(`body.profileId: there is no profile ${profileId}`);
    return profileId;
  }

  private checkDevices(deviceIds: number[], field = 'deviceIds'): number[] {
    const missing = deviceIds.find((id) => this.options.devices.get(id) === null);
    if (missing !== undefined) throw new PeopleInputError(`body.${field}: there is no device ${missing}`);
    return [...new Set(deviceIds)];
  }
}
