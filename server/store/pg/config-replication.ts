/**
 * Keeps replicas' configuration in step through PostgreSQL. The shared configuration is one document
 * (the backup document: rules, lists, devices, groups, policies, settings) in config_snapshot, the source
 * of truth; each replica works from its own tracksink.db, so DNS and the API stay synchronous and keep
 * the last good state while PostgreSQL is away.
 *
 * - A change made here (any write to tracksink.db: its connection's change counter moves, checked every
 *   POLL_MS, and a full comparison every COMPARE_MS as a safety net) is exported and, if it differs from
 *   the last shared document, written with the next version; a NOTIFY on channel tracksink_config tells
 *   the others at commit.
 * - A notification (LISTEN on its own connection), or the periodic re-read every REREAD_MS, reads the
 *   document; a newer version that differs is imported here (`apply`: replace tracksink.db and reload
 *   the modules).
 * Concurrent changes on two replicas: the later write wins whole (a first step; see the report of issue 18).
 * Device timestamps (first/last seen) are not a change worth sharing on their own.
 */
import pg from 'pg';
import type { Db } from '../sqlite.js';
import { explainPgError, type PgPool } from './pg-connect.js';
import type { PgTarget } from './pg-url.js';

export const CONFIG_CHANNEL = 'tracksink_config';
const POLL_MS = 200;
const COMPARE_MS = 5000;
const REREAD_MS = 5000;
const RECONNECT_MS = 1000;

export interface ReplicationPorts {
  /** The local configuration as a backup document. */
  exportLocal(): Record<string, unknown>;
  /** Replaces the local configuration with a shared document and reloads what uses it. */
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

/** The document without what changes by itself (export time, device first/last seen), as text. */
export function configKey(data: Record<string, unknown>): string {
  return JSON.stringify(data, (key, value: unknown) =>
    key === 'exportedAt' || key === 'firstSeen' || key === 'lastSeen' ? undefined : value,
  );
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

export class ConfigReplication {
  private version = 0;
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
    const shared = await this.read();
    const local = this.options.ports.exportLocal();
    if (shared === null) {
      await this.write(local);
      return 'shared';
    }
    this.version = shared.version;
    const key = configKey(shared.data);
    this.lastKey = key;
    if (key === configKey(local)) return 'same';
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
      const local = this.options.ports.exportLocal();
      if (configKey(local) !== this.lastKey) await this.write(local);
    }
    if (now - this.lastReread >= REREAD_MS) {
      this.lastReread = now;
      await this.pull();
    }
  }

  private async pull(): Promise<void> {
    const shared = await this.read();
    if (shared === null || shared.version <= this.version) return;
    const key = configKey(shared.data);
    this.version = shared.version;
    if (key === this.lastKey) return;
    this.lastKey = key;
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
    }
    // What the import wrote is not a local change to share back.
    this.lastChanges = this.options.changes();
  }

  private async read(): Promise<SharedConfig | null> {
    const shared = await readSharedConfig(this.options.pool);
    this.succeeded();
    return shared;
  }

  private async write(data: Record<string, unknown>): Promise<void> {
    const version = await writeSharedConfig(this.options.pool, this.options.replica, data);
    this.succeeded();
    this.version = version;
    this.lastKey = configKey(data);
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
      void this.serial(() => this.pull());
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
      void this.serial(() => this.pull());
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
