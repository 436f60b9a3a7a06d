/**
 * Keeps replicas' configuration in step through PostgreSQL. The shared configuration is one document
 * (the backup document: rules, lists, devices, groups, policies, settings) in config_snapshot, the source
 * of truth; each replica works from its own tracksink.db, so DNS and the API stay synchronous and keep
 * the last good state while PostgreSQL is away.
 *
 * - A change made here (any write to tracksink.db: its connection's change counter moves, checked every
 *   POLL_MS, and a full comparison every COMPARE_MS as a safety net) is exported and, if it differs from
 *   the shared document this replica last had (`base`, at `version`), written as the next version only if
 *   the shared one is still `version` (compare-and-set); a NOTIFY on channel tracksink_config tells the
 *   others at commit.
 * - A notification (LISTEN on its own connection), or the periodic re-read every REREAD_MS, reads the
 *   document; a newer version is imported here (`apply`: replace tracksink.db and reload the modules).
 * - Both at once (the compare-and-set lost, or a newer version arrived while a change here was not yet
 *   written): this replica's change (base → local) is applied again on top of the newer document
 *   (config-merge.ts says what survives), imported here, and written with the same compare-and-set;
 *   repeated until it lands. Two changes to different rules made on two replicas in the same moment are
 *   both in force on both within about a second (tests/resilience/pg-config-merge.test.ts).
 * Device timestamps (first/last seen) are not a change worth sharing on their own.
 */
import pg from 'pg';
import type { Db } from '../sqlite.js';
import { canonicalJson, mergeConfig, VOLATILE_KEYS } from './config-merge.js';
import { explainPgError, type PgPool } from './pg-connect.js';
import type { PgTarget } from './pg-url.js';

export const CONFIG_CHANNEL = 'tracksink_config';
const POLL_MS = 200;
const COMPARE_MS = 5000;
const REREAD_MS = 5000;
const RECONNECT_MS = 1000;
/** Compare-and-set rounds before a change waits for the next check (each round reads the newer version). */
const MERGE_ROUNDS = 5;

export interface ReplicationPorts {
  /** The local configuration as a backup document. */
  exportLocal(): Record<string, unknown>;
  /**
   * Replaces the local configuration with a shared document and reloads what uses it; it may join what
   * the document holds twice (replica-config.ts: one device numbered on two replicas), a change shared back.
   */
  apply(data: Record<string, unknown>): Promise<void>;
}

export interface ReplicationStatus {
  /** PostgreSQL answered the last read or write. */
  reachable: boolean;
  /** Version of the shared document this replica has. */
  version: number;
  error: string | null;
}

/** A function that says how many rows this SQLite connection has changed so far. */
export function sqliteChangeCounter(db: Db): () => number {
  const statement = db.prepare('SELECT total_changes()').pluck();
  return () => statement.get() as number;
}

/**
 * The document without what changes by itself (VOLATILE_KEYS: export time, device first/last seen), as text with
 * every object's keys sorted: PostgreSQL's jsonb hands the document back with its keys in its own order.
 */
export function configKey(data: Record<string, unknown>): string {
  return canonicalJson(data, (key) => VOLATILE_KEYS.has(key));
}

export interface SharedConfig {
  version: number;
  /** The replica (or tool) that wrote it. */
  replica: string;
  data: Record<string, unknown>;
}

/** The shared configuration document, or null before any replica wrote one. */
export async function readSharedConfig(pool: PgPool): Promise<SharedConfig | null> {
  const result = await pool.query<{ version: string; replica: string; data: Record<string, unknown> }>(
    'SELECT version, replica, data FROM config_snapshot',
  );
  const row = result.rows[0];
  return row === undefined ? null : { version: Number(row.version), replica: row.replica, data: row.data };
}

/** Writes the next version of the shared document and tells the replicas (at commit); returns the version. */
export async function writeSharedConfig(
  pool: PgPool,
  writer: string,
  data: Record<string, unknown>,
): Promise<number> {
  const result = await pool.query<{ version: string }>(
    `WITH up AS (
       INSERT INTO config_snapshot (id, version, replica, data) VALUES (true, 1, $1, $2)
       ON CONFLICT (id) DO UPDATE SET version = config_snapshot.version + 1, replica = excluded.replica,
         data = excluded.data, updated_at = now()
       RETURNING version)
     SELECT version, pg_notify('${CONFIG_CHANNEL}', $1 || ' ' || version) FROM up`,
    [writer, JSON.stringify(data)],
  );
  return Number(result.rows[0]?.version ?? 0);
}

/**
 * Writes `data` as the next version only if the shared document is still version `expected` (0: none yet);
 * returns the new version, or null when another replica wrote first.
 */
export async function writeSharedConfigIf(
  pool: PgPool,
  writer: string,
  data: Record<string, unknown>,
  expected: number,
): Promise<number | null> {
  const change =
    expected === 0
      ? `INSERT INTO config_snapshot (id, version, replica, data) VALUES (true, 1, $1, $2)
         ON CONFLICT (id) DO NOTHING RETURNING version`
      : `UPDATE config_snapshot SET version = version + 1, replica = $1, data = $2, updated_at = now()
         WHERE id AND version = $3 RETURNING version`;
  const result = await pool.query<{ version: string }>(
    `WITH up AS (${change})
     SELECT version, pg_notify('${CONFIG_CHANNEL}', $1 || ' ' || version) FROM up`,
    expected === 0 ? [writer, JSON.stringify(data)] : [writer, JSON.stringify(data), expected],
  );
  const row = result.rows[0];
  return row === undefined ? null : Number(row.version);
}

export class ConfigReplication {
  private version = 0;
  /** The shared document at `version` as this replica last had it (the base of a merge). */
  private base: Record<string, unknown> = {};
  /** configKey(base). */
  private lastKey = '';
  private lastChanges = -1;
  private lastCompare = 0;
  private lastReread = 0;
  private reachable = true;
  private error: string | null = null;
  private listener: pg.Client | null = null;
  private timer: NodeJS.Timeout | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private busy: Promise<void> = Promise.resolve();
  private stopped = false;
  /** Other channels heard on the same connection (list-fetch.ts's): channel → handler of the payload. */
  private readonly channels = new Map<string, (payload: string) => void>();

  constructor(
    private readonly options: {
      pool: PgPool;
      target: PgTarget;
      replica: string;
      ports: ReplicationPorts;
      changes: () => number;
      log: (level: 'info' | 'warn' | 'error', message: string) => void;
    },
  ) {}

  status(): ReplicationStatus {
    return { reachable: this.reachable, version: this.version, error: this.error };
  }

  /**
   * At start-up, before the modules read tracksink.db: the shared document replaces the local
   * configuration (`importNow`, no reload needed yet), or, on a database that has none, this replica's
   * configuration becomes the shared one.
   */
  async startup(importNow: (data: Record<string, unknown>) => void): Promise<'imported' | 'shared' | 'same'> {
    const local = this.options.ports.exportLocal();
    let shared = await this.read();
    if (shared === null) {
      const version = await writeSharedConfigIf(this.options.pool, this.options.replica, local, 0);
      if (version !== null) {
        this.wrote(local, version);
        return 'shared';
      }
      // Another replica starting at the same moment shared its configuration first: take that one.
      shared = await this.read();
      if (shared === null) throw new Error('the shared configuration vanished while starting');
    }
    this.had(shared);
    if (this.lastKey === configKey(local)) return 'same';
    importNow(shared.data);
    return 'imported';
  }

  /** Hears `channel` too from start() on (one LISTEN connection per replica serves every channel). */
  onNotification(channel: string, handler: (payload: string) => void): void {
    this.channels.set(channel, handler);
  }

  /** Starts listening for other replicas' changes and watching for local ones. */
  start(): void {
    this.lastChanges = this.options.changes();
    this.lastCompare = Date.now();
    this.lastReread = Date.now();
    void this.listen();
    const tick = (): void => {
      if (this.stopped) return;
      void this.serial(() => this.check(Date.now())).finally(() => {
        if (!this.stopped) this.timer = setTimeout(tick, POLL_MS);
      });
    };
    this.timer = setTimeout(tick, POLL_MS);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer);
    await this.busy;
    const listener = this.listener;
    this.listener = null;
    await listener?.end().catch(() => {});
  }

  /** One step at a time: a local push and a remote pull never interleave. */
  private serial(step: () => Promise<void>): Promise<void> {
    this.busy = this.busy.then(step, step).catch((error: unknown) => {
      this.failed(error);
    });
    return this.busy;
  }

  private async check(now: number): Promise<void> {
    const changes = this.options.changes();
    const due = now - this.lastCompare >= COMPARE_MS;
    if (changes !== this.lastChanges || due) {
      this.lastChanges = changes;
      this.lastCompare = now;
      if (configKey(this.options.ports.exportLocal()) !== this.lastKey) {
        this.lastReread = now;
        return this.sync();
      }
    }
    if (now - this.lastReread >= REREAD_MS) {
      this.lastReread = now;
      await this.sync();
    }
  }

  /**
   * Brings this replica and the shared document together: takes a newer version, writes a change made
   * here (compare-and-set on the version), or both (merge), until one write lands or nothing is left.
   */
  private async sync(): Promise<void> {
    for (let round = 0; round < MERGE_ROUNDS; round++) {
      const local = this.options.ports.exportLocal();
      const localKey = configKey(local);
      const changedHere = localKey !== this.lastKey;
      const shared = await this.read();
      if (shared === null || shared.version === this.version) {
        if (!changedHere) return;
        const version = await writeSharedConfigIf(
          this.options.pool,
          this.options.replica,
          local,
          shared === null ? 0 : this.version,
        );
        this.succeeded();
        if (version !== null) return this.wrote(local, version);
        continue;
      }
      if (!changedHere) return this.take(shared);
      const merge = mergeConfig(this.base, local, shared.data);
      const mergedKey = configKey(merge.data);
      if (mergedKey !== localKey && !(await this.applyMerged(shared, merge.data))) return;
      this.had(shared);
      for (const what of merge.renumbered) this.options.log('info', `kept both, renumbered ${what}`);
      for (const what of merge.joined) this.options.log('info', `added on both, kept as one: ${what}`);
      for (const what of merge.lost) {
        this.options.log('warn', `${what} added here and on replica ${shared.replica} at once: theirs kept`);
      }
      if (mergedKey === this.lastKey) return;
      // Written next round, on top of this version (or merged again if another replica was quicker).
    }
  }

  /** Imports a merge here; when it cannot be imported, takes the other replica's document whole. */
  private async applyMerged(shared: SharedConfig, merged: Record<string, unknown>): Promise<boolean> {
    try {
      await this.options.ports.apply(merged);
      this.lastChanges = this.options.changes();
      return true;
    } catch (error) {
      this.options.log(
        'warn',
        `this replica's change could not be joined with version ${shared.version} from replica ${shared.replica} (${(error as Error).message}); that version is taken whole`,
      );
      await this.take(shared, true);
      return false;
    }
  }

  /** Takes a newer shared document (no change here to keep). */
  private async take(shared: SharedConfig, force = false): Promise<void> {
    const same = configKey(shared.data) === this.lastKey;
    this.had(shared);
    if (same && !force) return;
    try {
      await this.options.ports.apply(shared.data);
      this.options.log(
        'info',
        `configuration version ${shared.version} from replica ${shared.replica} applied`,
      );
    } catch (error) {
      this.options.log(
        'error',
        `configuration version ${shared.version} from replica ${shared.replica} could not be applied here: ${(error as Error).message}; this replica keeps its configuration`,
      );
      // What the import wrote is not a local change to share back.
      this.lastChanges = this.options.changes();
      return;
    }
    // The import may have joined what it found twice (ports.apply: one device two replicas each
    // numbered): that is a change of this replica's, shared at the next check (POLL_MS), not in 5 s.
    const joined = configKey(this.options.ports.exportLocal()) !== this.lastKey;
    this.lastChanges = joined ? -1 : this.options.changes();
  }

  /** This replica now has `shared` as its base. */
  private had(shared: SharedConfig): void {
    this.version = shared.version;
    this.base = shared.data;
    this.lastKey = configKey(shared.data);
  }

  private wrote(data: Record<string, unknown>, version: number): void {
    this.had({ version, replica: this.options.replica, data });
  }

  private async read(): Promise<SharedConfig | null> {
    const shared = await readSharedConfig(this.options.pool);
    this.succeeded();
    return shared;
  }

  private async listen(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client({
      connectionString: this.options.target.url,
      application_name: `tracksink ${this.options.replica} listen`.slice(0, 63),
      connectionTimeoutMillis: 3000,
      keepAlive: true,
    });
    const retry = (): void => {
      if (this.listener === client) this.listener = null;
      client.end().catch(() => {});
      if (this.stopped || this.reconnectTimer !== null) return;
      this.reconnectTimer = setTimeout(() => {
        this.reconnectTimer = null;
        void this.listen();
      }, RECONNECT_MS);
    };
    client.on('error', (error) => {
      this.failed(error);
      retry();
    });
    client.on('end', retry);
    client.on('notification', (message) => {
      const other = this.channels.get(message.channel);
      if (other !== undefined) return other(message.payload ?? '');
      const [from] = (message.payload ?? '').split(' ');
      if (from === this.options.replica) return;
      void this.serial(() => this.sync());
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${CONFIG_CHANNEL}`);
      for (const channel of this.channels.keys()) await client.query(`LISTEN ${channel}`);
      this.listener = client;
      if (this.stopped) {
        await client.end().catch(() => {});
        return;
      }
      // Changes made while this replica was not listening.
      void this.serial(() => this.sync());
    } catch (error) {
      this.failed(error);
      retry();
    }
  }

  private succeeded(): void {
    if (!this.reachable)
      this.options.log('info', `PostgreSQL ${this.options.target.describe} is reachable again`);
    this.reachable = true;
    this.error = null;
  }

  private failed(error: unknown): void {
    const message = `PostgreSQL ${this.options.target.describe}: ${explainPgError(error, this.options.target)}`;
    if (message !== this.error) {
      this.options.log('warn', `${message}; DNS keeps answering from this replica's last configuration`);
    }
    this.reachable = false;
    this.error = message;
  }
}
