/**
 * Ships the query log into PostgreSQL's day-partitioned query_log, from the log writer thread
 * (log-writer-worker.ts) beside its SQLite writing. push() copies a batch of decoded events into a
 * bounded in-memory buffer (columns, not objects); a loop sends the buffer in multi-row INSERTs of up
 * to ROWS_PER_STATEMENT rows (one statement over unnest()ed arrays: 19 parameters, whatever the row
 * count) every SHIP_INTERVAL_MS, so a row reaches PostgreSQL well within a second.
 *
 * While PostgreSQL is away the buffer holds up to `maxBuffered` rows; more are counted as dropped, and the
 * rows held are sent when it is back (retried every RETRY_MS). Retention drops whole day partitions.
 */
import type { QueryLogMode } from '../../config/schema.js';
import { anonymizeAddress } from '../client-anonymizer.js';
import type { DecodedEvent } from '../query-queue.js';
import { createPool, explainPgError, type PgPool } from './pg-connect.js';
import type { PgTarget } from './pg-url.js';
import { pruneRollups, withRollups } from './pg-rollups.js';
import {
  dayPartition,
  dropExpiredPartitions,
  ensureDayPartitions,
  registerReplica,
} from './log-partitions.js';

const ROWS_PER_STATEMENT = 10_000;
const SHIP_INTERVAL_MS = 100;
const RETRY_MS = 1000;
const RETENTION_EVERY_MS = 60 * 60 * 1000;
const DAY_MS = 86_400_000;

export interface ShipperOptions {
  target: PgTarget;
  replica: string;
  retentionDays: number;
  anonymizeClients: boolean;
  /** Rows held while PostgreSQL is away (default 500,000, about 100 MB). */
  maxBuffered?: number;
  notify?: (level: 'info' | 'warn' | 'error', message: string) => void;
}

export interface ShipperStats {
  /** Rows committed to PostgreSQL. */
  shipped: number;
  /** Rows waiting in memory. */
  buffered: number;
  /** Rows lost because the buffer was full. */
  dropped: number;
  /** Why shipping is failing, or null while it works. */
  error: string | null;
}

/** One statement's worth of rows, column by column (the unnest() parameters). */
class Chunk {
  size = 0;
  /** Being sent: push() starts a new chunk (the arrays are serialised when a connection is free). */
  sealed = false;
  readonly time: number[] = [];
  readonly ints: number[][] = Array.from({ length: 14 }, () => []);
  readonly client: string[] = [];
  readonly name: string[] = [];
  readonly cname: string[] = [];
}

const INT_COLUMNS = [
  ['device_id', 'int4'],
  ['qtype', 'int4'],
  ['protocol', 'int2'],
  ['status', 'int2'],
  ['reason', 'int2'],
  ['list_id', 'int4'],
  ['rule_id', 'int4'],
  ['company_id', 'int4'],
  ['category_id', 'int4'],
  ['app_id', 'int4'],
  ['kind', 'int2'],
  ['rcode', 'int2'],
  ['duration_us', 'int4'],
  ['upstream_id', 'int4'],
] as const;

const INSERT_SQL = (() => {
  const columns = ['time', ...INT_COLUMNS.map(([name]) => name), 'client', 'name', 'cname'];
  const params = [
    '$1::int8[]',
    ...INT_COLUMNS.map(([, type], i) => `$${i + 2}::${type}[]`),
    `$${INT_COLUMNS.length + 2}::text[]`,
    `$${INT_COLUMNS.length + 3}::text[]`,
    `$${INT_COLUMNS.length + 4}::text[]`,
  ];
  const replica = `$${INT_COLUMNS.length + 5}::int2`;
  // The rows and the dashboard's rollups of them in one statement (pg-rollups.ts).
  return withRollups(columns, `unnest(${params.join(', ')})`, replica);
})();

export class PgLogShipper {
  shipped = 0;
  dropped = 0;
  error: string | null = null;

  private readonly chunks: Chunk[] = [];
  private buffered = 0;
  private readonly maxBuffered: number;
  private readonly pool: PgPool;
  private replicaId: number | null = null;
  private readonly partitions = new Set<number>();
  private globalMode: QueryLogMode = 'all';
  private readonly deviceModes = new Map<number, QueryLogMode>();
  private timer: NodeJS.Timeout | null = null;
  private sending: Promise<void> | null = null;
  private retryAt = 0;
  private lastRetention = 0;
  private closed = false;

  constructor(private readonly options: ShipperOptions) {
    this.maxBuffered = options.maxBuffered ?? 500_000;
    this.pool = createPool(options.target, {
      applicationName: `tracksink ${options.replica} log`,
      max: 2,
      connectTimeoutMs: 3000,
      onIdleError: (message) => this.fail(message),
    });
  }

  get stats(): ShipperStats {
    return { shipped: this.shipped, buffered: this.buffered, dropped: this.dropped, error: this.error };
  }

  setPrivacy(global: QueryLogMode, devices: Array<[number, QueryLogMode]>): void {
    this.globalMode = global;
    this.deviceModes.clear();
    for (const [id, mode] of devices) this.deviceModes.set(id, mode);
  }

  start(): void {
    const tick = (): void => {
      if (this.closed) return;
      void this.ship().finally(() => {
        if (!this.closed) this.timer = setTimeout(tick, SHIP_INTERVAL_MS);
      });
    };
    this.timer = setTimeout(tick, SHIP_INTERVAL_MS);
  }

  /** Copies the events into the buffer (privacy modes and anonymisation as the SQLite writer applies them). */
  push(events: readonly DecodedEvent[]): void {
    for (const ev of events) {
      const mode = this.deviceModes.get(ev.deviceId) ?? this.globalMode;
      if (mode === 'none') continue;
      if (this.buffered >= this.maxBuffered) {
        this.dropped++;
        continue;
      }
      let chunk = this.chunks.at(-1);
      if (chunk === undefined || chunk.sealed || chunk.size >= ROWS_PER_STATEMENT) {
        chunk = new Chunk();
        this.chunks.push(chunk);
      }
      const hide = mode === 'hide-names';
      chunk.time.push(Math.trunc(ev.timeMs));
      const ints = chunk.ints;
      ints[0]!.push(ev.deviceId);
      ints[1]!.push(ev.qtype);
      ints[2]!.push(ev.protocol);
      ints[3]!.push(ev.status);
      ints[4]!.push(ev.reason);
      ints[5]!.push(ev.listId);
      ints[6]!.push(ev.ruleId);
      ints[7]!.push(ev.companyId);
      ints[8]!.push(ev.categoryId);
      ints[9]!.push(ev.appId);
      ints[10]!.push(ev.kind);
      ints[11]!.push(ev.rcode);
      ints[12]!.push(ev.durationUs);
      ints[13]!.push(ev.upstreamId);
      chunk.client.push(
        this.options.anonymizeClients ? anonymizeAddress(ev.clientAddress) : ev.clientAddress,
      );
      chunk.name.push(hide ? '' : ev.name);
      chunk.cname.push(hide ? '' : ev.cnameTarget);
      chunk.size++;
      this.buffered++;
    }
  }

  /** Sends what is buffered now; resolves when sent or when PostgreSQL failed (rows kept). */
  ship(now = Date.now()): Promise<void> {
    this.sending ??= this.sendAll(now).finally(() => {
      this.sending = null;
    });
    return this.sending;
  }

  /** Ships until the buffer is empty or `timeoutMs` passed (PostgreSQL away). */
  async flush(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.buffered > 0 && Date.now() < deadline) {
      this.retryAt = 0;
      await this.ship();
      if (this.buffered > 0) await new Promise((wake) => setTimeout(wake, 50));
    }
  }

  async close(timeoutMs = 3000): Promise<void> {
    if (this.timer !== null) clearTimeout(this.timer);
    await this.flush(timeoutMs);
    this.closed = true;
    await this.sending;
    await this.pool.end().catch(() => {});
  }

  private async sendAll(now: number): Promise<void> {
    if (now < this.retryAt) return;
    try {
      this.replicaId ??= await registerReplica(this.pool, this.options.replica);
      if (now - this.lastRetention >= RETENTION_EVERY_MS) {
        this.lastRetention = now;
        const dropped = await dropExpiredPartitions(this.pool, now - this.options.retentionDays * DAY_MS);
        if (dropped.length > 0) this.notify('info', `query log retention dropped ${dropped.join(', ')}`);
        await pruneRollups(this.pool, now - this.options.retentionDays * DAY_MS, now);
      }
      while (this.chunks.length > 0) {
        const chunk = this.chunks[0] as Chunk;
        chunk.sealed = true;
        const size = chunk.size;
        await this.ensurePartitions(chunk);
        await this.pool.query(INSERT_SQL, [
          intArray(chunk.time),
          ...chunk.ints.map(intArray),
          textArray(chunk.client),
          textArray(chunk.name),
          textArray(chunk.cname),
          this.replicaId,
        ]);
        this.chunks.shift();
        this.buffered -= size;
        this.shipped += size;
      }
      if (this.error !== null) {
        this.notify('info', `query log shipping to PostgreSQL ${this.options.target.describe} resumed`);
        this.error = null;
      }
    } catch (error) {
      this.retryAt = Date.now() + RETRY_MS;
      this.fail(explainPgError(error, this.options.target));
    }
  }

  private async ensurePartitions(chunk: Chunk): Promise<void> {
    let last = -1;
    for (const time of chunk.time) {
      const day = dayPartition(time);
      if (day === last) continue;
      last = day;
      if (this.partitions.has(day)) continue;
      await ensureDayPartitions(this.pool, [day]);
      this.partitions.add(day);
    }
  }

  private fail(reason: string): void {
    const message = `query log shipping to PostgreSQL ${this.options.target.describe} is failing: ${reason}; rows are held in memory (up to ${this.maxBuffered}) and sent when it is back`;
    if (message !== this.error) this.notify('warn', message);
    this.error = message;
    // A partition may have been dropped meanwhile (retention on another replica): look again.
    this.partitions.clear();
  }

  private notify(level: 'info' | 'warn' | 'error', message: string): void {
    this.options.notify?.(level, message);
  }
}

/*
 * Array literals built here, not by node-postgres: its generic serialiser took ~130 ms per 10,000 rows
 * (19 arrays), these ~13 ms. Text elements are always quoted, with `"` and `\` escaped; NUL, which a
 * PostgreSQL text value cannot hold, is dropped (a hostile name must not fail a whole batch).
 */
function intArray(values: number[]): string {
  return `{${values.join(',')}}`;
}

const NUL = String.fromCharCode(0);
const NEEDS_ESCAPE = new RegExp(`["\\\\${NUL}]`);

function textArray(values: string[]): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    const value = values[i] as string;
    const safe = NEEDS_ESCAPE.test(value) ? value.split(NUL).join('').replace(/["\\]/g, '\\$&') : value;
    out += i === 0 ? `"${safe}"` : `,"${safe}"`;
  }
  return `${out}}`;
}
