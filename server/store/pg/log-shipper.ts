/**
 * Ships the query log into PostgreSQL's day-partitioned query_log, from the log writer thread
 * (log-writer-worker.ts) beside its SQLite writing. push() copies a batch of decoded events into a
 * bounded in-memory buffer (as COPY text, one line a row, not objects); a loop sends the buffer in
 * transactions every SHIP_INTERVAL_MS (COPY into a staging table, then one statement into query_log and
 * the rollups: STAGE_SQL below), so a row reaches PostgreSQL well within a second. COPY, not INSERT …
 * SELECT FROM unnest(): the server neither parses 19 array literals nor plans per batch. The rollups' sums
 * are counted here, not by the server (pg-batch-sums.ts): each key is upserted once a transaction. A backlog goes
 * up to CHUNKS_PER_TRANSACTION × ROWS_PER_COPY rows a transaction (measured, bench/pg-ingest.ts at load
 * ~2: 35 k rows/s with 10 k rows a transaction, 57 k with 50 k, 61 k with 200 k). One transaction is in
 * flight at a time: a failed one is sent again whole (it committed nothing), so the log keeps no
 * duplicates and no gaps.
 *
 * While PostgreSQL is away the buffer holds up to `maxBuffered` rows; more are counted as dropped, and the
 * rows held are sent when it is back (retried every RETRY_MS). Retention drops whole day partitions.
 */
import type { QueryLogMode } from '../../config/schema.js';
import { anonymizeAddress } from '../client-anonymizer.js';
import type { DecodedEvent } from '../query-queue.js';
import { createPool, explainPgError, type PgPool } from './pg-connect.js';
import { ChunkFields, sumChunks } from './pg-batch-sums.js';
import { copyIn, CopyRows } from './pg-copy.js';
import type { LinkSums } from '../../trackers/apps/app-linker.js';
import { shippedAppSums, type ShippedAppSums } from './pg-apps.js';
import { APP_COPIES, appsSql, pruneRollups, shipSql, stagingSql, SUM_COPIES } from './pg-rollups.js';
import type { PgTarget } from './pg-url.js';
import {
  dayPartition,
  dropExpiredPartitions,
  ensureDayPartitions,
  registerReplica,
} from './log-partitions.js';

const ROWS_PER_COPY = 10_000;
const CHUNKS_PER_TRANSACTION = 5;
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

/** One COPY's worth of rows, as COPY text (written as events arrive, so sending only sends bytes). */
class Chunk {
  /** Being sent: push() starts a new chunk. */
  sealed = false;
  readonly rows = new CopyRows();
  /** What the rollups read of the same rows (summed when the chunk is sent). */
  readonly fields = new ChunkFields(1024);
  /** The UTC days its rows fall on (their partitions must exist before the COPY). */
  readonly days = new Set<number>();
  /** App inference sums that travel with these rows (pushApps). */
  readonly apps: ShippedAppSums = { apps: [], trackers: [], links: [] };

  get size(): number {
    return this.rows.rows;
  }
}

/** The shipped columns, in the order push() writes them, with their types in the staging table. */
const COLUMNS = [
  ['time', 'bigint'],
  ['device_id', 'integer'],
  ['client', 'text'],
  ['name', 'text'],
  ['qtype', 'integer'],
  ['protocol', 'smallint'],
  ['status', 'smallint'],
  ['reason', 'smallint'],
  ['list_id', 'integer'],
  ['rule_id', 'integer'],
  ['company_id', 'integer'],
  ['category_id', 'integer'],
  ['app_id', 'integer'],
  ['kind', 'smallint'],
  ['rcode', 'smallint'],
  ['duration_us', 'integer'],
  ['upstream_id', 'integer'],
  ['cname', 'text'],
] as const;
const NAMES = COLUMNS.map(([name]) => name);

/**
 * A batch goes in one transaction: COPY of the rows and of their sums (counted here, pg-batch-sums.ts)
 * into session-private staging tables, then one statement moves the rows into query_log with this
 * replica's id and upserts the sums into the dashboard's rollups (pg-rollups.ts), so rows and sums
 * commit together or not at all.
 */
const STAGE_SQL = `BEGIN; ${stagingSql(COLUMNS)}`;
const COPY_SQL = `COPY ship_batch (${NAMES.join(', ')}) FROM STDIN`;
const MOVE_SQL = shipSql(NAMES, '$1::int2');
const APPS_SQL = appsSql('$1::int2');

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
      if (chunk === undefined || chunk.sealed || chunk.size >= ROWS_PER_COPY) {
        chunk = new Chunk();
        this.chunks.push(chunk);
      }
      const hide = mode === 'hide-names';
      const time = Math.trunc(ev.timeMs);
      const client = this.options.anonymizeClients ? anonymizeAddress(ev.clientAddress) : ev.clientAddress;
      const name = hide ? '' : ev.name;
      const cname = hide ? '' : ev.cnameTarget;
      // In COLUMNS' order.
      const rows = chunk.rows;
      rows.reserve(client.length + name.length + cname.length, 16);
      rows.int(time);
      rows.int(ev.deviceId);
      rows.text(client);
      rows.text(name);
      rows.int(ev.qtype);
      rows.int(ev.protocol);
      rows.int(ev.status);
      rows.int(ev.reason);
      rows.int(ev.listId);
      rows.int(ev.ruleId);
      rows.int(ev.companyId);
      rows.int(ev.categoryId);
      rows.int(ev.appId);
      rows.int(ev.kind);
      rows.int(ev.rcode);
      rows.int(ev.durationUs);
      rows.int(ev.upstreamId);
      rows.text(cname);
      rows.endRow();
      chunk.fields.add(time, ev.deviceId, ev.status, ev.companyId, ev.categoryId, ev.appId, ev.kind, name);
      chunk.days.add(dayPartition(time));
      this.buffered++;
    }
  }

  /**
   * An app inference pass's sums (app-rollups.ts), with the app keys (`appKey` of a catalog index) and
   * tracker names (`nameOf` a name id of this replica's log) they are shipped under: committed with the
   * next rows sent, once (a failed transaction is sent again whole). Kept even when the row buffer is
   * full: they are small.
   */
  pushApps(linkSums: LinkSums, appKey: (app: number) => string, nameOf: (nameId: number) => string): void {
    const sums = shippedAppSums(linkSums, appKey, nameOf);
    if (sums.apps.length + sums.trackers.length + sums.links.length === 0) return;
    let chunk = this.chunks.at(-1);
    if (chunk === undefined || chunk.sealed) {
      chunk = new Chunk();
      this.chunks.push(chunk);
    }
    chunk.apps.apps.push(...sums.apps);
    chunk.apps.trackers.push(...sums.trackers);
    chunk.apps.links.push(...sums.links);
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
    while ((this.buffered > 0 || this.chunks.length > 0) && Date.now() < deadline) {
      this.retryAt = 0;
      await this.ship();
      if (this.buffered > 0 || this.chunks.length > 0) await new Promise((wake) => setTimeout(wake, 50));
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
        // A backlog (a burst, PostgreSQL back after a while) goes several chunks to a transaction: the
        // rollups' upserts per row fall as the same keys repeat within a transaction.
        const batch = this.chunks.slice(0, CHUNKS_PER_TRANSACTION);
        let size = 0;
        for (const chunk of batch) {
          chunk.sealed = true;
          size += chunk.size;
          await this.ensurePartitions(chunk);
        }
        await this.send(batch, this.replicaId);
        this.chunks.splice(0, batch.length);
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

  private async send(chunks: Chunk[], replicaId: number): Promise<void> {
    // Summed again on a retry: the same sealed chunks give the same sums, committed once.
    const sums = sumChunks(chunks.map((chunk) => chunk.fields));
    const client = await this.pool.connect();
    try {
      await client.query(STAGE_SQL);
      for (const chunk of chunks) await copyIn(client, COPY_SQL, chunk.rows.data());
      await copyIn(client, SUM_COPIES.totals, sums.totalsText());
      await copyIn(client, SUM_COPIES.counts, sums.countsText());
      await copyIn(client, SUM_COPIES.names, sums.namesText());
      await client.query(MOVE_SQL, [replicaId]);
      const { apps, trackers, links } = chunks.reduce(
        (n, chunk) => ({
          apps: n.apps + chunk.apps.apps.length,
          trackers: n.trackers + chunk.apps.trackers.length,
          links: n.links + chunk.apps.links.length,
        }),
        { apps: 0, trackers: 0, links: 0 },
      );
      if (apps + trackers + links > 0) {
        for (const part of ['apps', 'trackers', 'links'] as const) {
          const text = chunks.map((chunk) => chunk.apps[part].join('')).join('');
          await copyIn(client, APP_COPIES[part], Buffer.from(text, 'utf8'));
        }
        await client.query(APPS_SQL, [replicaId]);
      }
      await client.query('COMMIT');
      client.release();
    } catch (error) {
      // Whatever failed, this connection is not handed out again (it may be mid-COPY or mid-transaction);
      // the transaction is rolled back by the server when it closes, so the batch is sent again whole.
      client.release(error instanceof Error ? error : new Error(String(error)));
      throw error;
    }
  }

  private async ensurePartitions(chunk: Chunk): Promise<void> {
    for (const day of chunk.days) {
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
