/**
 * ClientID → device (encrypted DNS). `deviceIdFor(clientId)` is on the DNS hot path: one Map lookup and
 * a last-seen mark. An unknown ClientID becomes a new device named after it, at once (one insert, as a new
 * address does in the registry), so a phone set to Private DNS `kid-tablet.<domain>` shows up as
 * "kid-tablet" with its first query, whatever its MAC or address.
 */
import type { Logger } from '../logger.js';
import { ClientIdsRepo } from '../store/repos/client-ids-repo.js';
import type { Db } from '../store/sqlite.js';
import { parseClientId } from './client-ids.js';

/** How often a new ClientID device is tried again while tracksink.db cannot be written. */
const RETRY_MS = 5_000;

export interface ClientIdDirectoryOptions {
  db: Db;
  logger: Logger;
  now: () => number;
  /** Marks the device seen (batched by the registry). */
  markSeen: (deviceId: number) => void;
  /** A device was created or a ClientID moved: names and `$client` rules re-read. */
  onChange?: () => void;
}

export class ClientIdDirectory {
  private readonly repo: ClientIdsRepo;
  private readonly byClientId = new Map<string, number>();
  private retryAt = 0;
  private lastError: string | null = null;

  constructor(private readonly options: ClientIdDirectoryOptions) {
    this.repo = new ClientIdsRepo(options.db);
    this.reload();
  }

  /**
   * Hot path. `clientId` must already be a valid lower-case label (client-ids.ts); returns 0 (the
   * unknown device) only while tracksink.db cannot be written, and -1 for an unknown ClientID when
   * `mayCreate` is false (the address is outside DNS access control: no devices made from the internet).
   */
  deviceIdFor(clientId: string, mayCreate = true): number {
    const known = this.byClientId.get(clientId);
    if (known !== undefined) {
      this.options.markSeen(known);
      return known;
    }
    if (!mayCreate) return -1;
    const now = this.options.now();
    if (this.lastError !== null && now < this.retryAt) return 0;
    try {
      const id = this.repo.createDevice(clientId, now);
      this.byClientId.set(clientId, id);
      this.lastError = null;
      this.options.logger.info({ deviceId: id, clientId }, 'new device from its ClientID');
      this.options.onChange?.();
      return id;
    } catch (error) {
      const message = (error as Error).message;
      if (message !== this.lastError) {
        this.options.logger.error(
          { err: error, clientId },
          `could not record the device of a new ClientID; answered as an unknown device, retrying every ${RETRY_MS / 1000} s`,
        );
      }
      this.lastError = message;
      this.retryAt = now + RETRY_MS;
      return 0;
    }
  }

  /** device id → its ClientIDs. */
  byDevice(): Map<number, string[]> {
    const map = new Map<number, string[]>();
    for (const { clientId, deviceId } of this.repo.all()) {
      const list = map.get(deviceId);
      if (list === undefined) map.set(deviceId, [clientId]);
      else list.push(clientId);
    }
    return map;
  }

  /** The device a ClientID names, or null. */
  deviceOf(clientId: string): number | null {
    return this.byClientId.get(clientId) ?? null;
  }

  /**
   * Gives a device a ClientID typed by a person (validated: throws ClientIdError). A ClientID that named
   * another device moves only when `move` is set, so a typo cannot silently take a device's identity.
   */
  assign(deviceId: number, raw: unknown, move = false): string {
    const clientId = parseClientId(raw);
    const owner = this.byClientId.get(clientId);
    if (owner !== undefined && owner !== deviceId && !move) {
      throw new ClientIdInUseError(clientId, owner);
    }
    this.repo.assign(clientId, deviceId, this.options.now());
    this.byClientId.set(clientId, deviceId);
    this.options.onChange?.();
    return clientId;
  }

  remove(raw: unknown): boolean {
    const clientId = parseClientId(raw);
    const removed = this.repo.remove(clientId);
    this.byClientId.delete(clientId);
    if (removed) this.options.onChange?.();
    return removed;
  }

  /** Re-reads the table (start, after an import or a merge). */
  reload(): void {
    this.byClientId.clear();
    for (const { clientId, deviceId } of this.repo.all()) this.byClientId.set(clientId, deviceId);
  }
}

export class ClientIdInUseError extends Error {
  constructor(
    readonly clientId: string,
    readonly deviceId: number,
  ) {
    super(`ClientID "${clientId}" already names device ${deviceId}`);
    this.name = 'ClientIdInUseError';
  }
}
