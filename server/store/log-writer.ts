/**
 * The query log's writing side, run inside the writer worker (log-writer-worker.ts) but free of any
 * thread plumbing so tests can drive it directly.
 *
 * One write() = one transaction: raw rows through a 100-row multi-value INSERT prepared once, names and
 * client addresses interned to integer ids (with an in-memory cache), and rollups summed in memory for
 * the batch and then upserted. Pruning (retention) is done in small steps by prune(), called between
 * batches, so the writer never stalls on a big DELETE.
 *
 * Storage faults never escape: a failed batch is counted as dropped, the error is kept in `error` and
 * reported once, and recover() reopens the database on a later tick. A corrupt file is moved aside and a
 * new log is created, because the log is disposable and DNS must keep its memory working.
 */
import { existsSync, renameSync } from 'node:fs';
import type { QueryLogMode } from '../config/schema.js';
import type { RowFeed } from './app-feed.js';
import { anonymizeAddress } from './client-anonymizer.js';
import { NameIndex } from './name-index.js';
import type { DecodedEvent } from './query-queue.js';
import {
  COLUMNS,
  ROWS_PER_INSERT,
  prepareWriterStatements,
  type Statements,
} from './log-writer-statements.js';
import { LogRetention } from './log-writer-retention.js';
import { NameRollups } from './rollup-names.js';
import { ALL_DEVICES, DAY_MS, HOUR_MS, MINUTE_MS, RollupSums, SHORT_ROLLUP_KEEP_MS } from './rollup-sums.js';
import {
  migrationsDir,
  openDatabase,
  type Db,
  WRITER_LARGE_CACHE_FROM_NAMES,
  writerCacheKib,
} from './sqlite.js';
import type Database from 'better-sqlite3';

export { ALL_DEVICES, DAY_MS, HOUR_MS, MINUTE_MS, SHORT_ROLLUP_KEEP_MS };

const INTERN_CACHE_MAX = 200_000;
/** Count rollups are upserted at most this often (and on flush). */
const ROLLUP_FLUSH_MS = 1000;

export interface WriterOptions {
  dbPath: string;
  retentionDays: number;
  rollupRetentionDays: number;
  queries: QueryLogMode;
  anonymizeClients: boolean;
  /** Per-device overrides of `queries`. */
  devicePrivacy?: Array<[number, QueryLogMode]>;
  /** Raw rows one retention step deletes at most (default 5,000; log-writer-retention.ts). */
  pruneChunk?: number;
  /** Name rollups (rollup-names.ts): keys per slice and the period of small passes (main isolate). */
  nameSliceKeys?: number;
  nameRollMs?: number;
  /**
   * Rollups only in write([]) calls, never in a batch of rows (the main isolate's writer: its steps stay
   * short; log-writer-host.ts calls write([]) after each drain). Sums past 100,000 keys still flush.
   */
  rollupsApart?: boolean;
}

export interface WriterNotice {
  level: 'info' | 'warn' | 'error';
  message: string;
}

export class LogWriter {
  written = 0;
  dropped = 0;
  /** Events not stored because privacy mode 'none' applies to them. */
  skipped = 0;
  error: string | null = null;

  private db: Db | null = null;
  private st: Statements | null = null;
  private readonly names = new NameIndex();
  private readonly clients = new Map<string, number>();
  private globalMode: QueryLogMode;
  private readonly deviceModes = new Map<number, QueryLogMode>();
  private lastRecoverAttempt = 0;
  private readonly retention: LogRetention;
  private pending = new RollupSums();
  private lastRollupFlush = 0;
  /** The name rollups' passes (rollup-names.ts), on the open database. */
  private nameRollups: NameRollups | null = null;

  /**
   * The id of the last raw row written. Rows are given their ids (lastRowId + 1, …) rather than SQLite's
   * max(id) + 1, which restarts at 1 when retention empties the table: the name and app rollups resume
   * from a row id in rollup_state and would wait until the new ids passed the old ones.
   */
  private lastRowId = 0;

  /** Told every stored row with its id (app inference in this thread: app-feed.ts). */
  private feed: RowFeed | null = null;

  constructor(
    private readonly options: WriterOptions,
    private readonly notify: (notice: WriterNotice) => void = () => {},
  ) {
    this.globalMode = options.queries;
    this.retention = new LogRetention(options);
    for (const [id, mode] of options.devicePrivacy ?? []) this.deviceModes.set(id, mode);
  }

  get isOpen(): boolean {
    return this.db !== null;
  }

  setPrivacy(global: QueryLogMode, devices: Array<[number, QueryLogMode]>): void {
    this.globalMode = global;
    this.deviceModes.clear();
    for (const [id, mode] of devices) this.deviceModes.set(id, mode);
  }

  /** Opens (creating or migrating) the database; a corrupt file is moved aside once and recreated. */
  open(): boolean {
    try {
      this.openOnce();
      return true;
    } catch (error) {
      if (isCorruption(error) && existsSync(this.options.dbPath)) {
        try {
          const aside = this.moveAside();
          this.notify({
            level: 'warn',
            message: `query log ${this.options.dbPath} was corrupt (${(error as Error).message}); moved it to ${aside} and started a new log`,
          });
          this.openOnce();
          return true;
        } catch (second) {
          this.fail(second, 'recreating the corrupt query log');
          return false;
        }
      }
      this.fail(error, 'opening the query log');
      return false;
    }
  }

  /** While failed, retries opening at most every `everyMs`. The next successful write clears the error. */
  recover(now: number, everyMs = 1000): void {
    if (this.db !== null || now - this.lastRecoverAttempt < everyMs) return;
    this.lastRecoverAttempt = now;
    this.open();
  }

  /**
   * Writes one batch of raw rows in one transaction. Rollup sums are kept in memory across batches and
   * upserted every ROLLUP_FLUSH_MS (or when `forceRollups`), in the same transaction as a batch: at 100,000
   * events/s a one-second window turns most upserts into in-memory additions. The name rollups are
   * summed by SQLite from the raw rows (rollup-names.ts). Never throws: a failed batch is counted as dropped.
   */
  write(events: DecodedEvent[], now = Date.now(), forceRollups = false): void {
    if (this.db === null || this.st === null) {
      this.dropped += events.length;
      return;
    }
    const apart = this.options.rollupsApart === true && events.length > 0 && !forceRollups;
    const flushRollups =
      forceRollups ||
      (!apart && now - this.lastRollupFlush >= ROLLUP_FLUSH_MS) ||
      this.pending.size() > 100_000;
    const rollNames = forceRollups || (!apart && (this.nameRollups?.wantsTurn(now, this.lastRowId) ?? false));
    if (events.length === 0 && (!flushRollups || this.pending.size() === 0) && !rollNames) return;
    const batch = new RollupSums();
    try {
      // IMMEDIATE: take the write lock at BEGIN. A deferred transaction that reads first (a client id) and
      // writes later fails with SQLITE_BUSY_SNAPSHOT instead of waiting when the app rollups (another
      // connection, store/app-rollups.ts) committed in between.
      const stored = this.db
        .transaction(() => {
          const count = this.writeRows(events, batch);
          if (flushRollups) {
            this.upsertRollups(this.pending);
            this.upsertRollups(batch);
          }
          if (!apart) this.nameRollups?.step(now, forceRollups);
          return count;
        })
        .immediate();
      if (flushRollups) {
        this.pending = new RollupSums();
        this.lastRollupFlush = now;
      } else {
        this.pending.merge(batch);
      }
      this.written += stored;
      this.skipped += events.length - stored;
      if (this.error !== null) {
        this.notify({ level: 'info', message: `query log resumed writing to ${this.options.dbPath}` });
        this.error = null;
      }
    } catch (error) {
      // The transaction rolled back: ids cached during it may not exist, so both paths below close the
      // database and the next open() reloads the name index. Pending sums belong to committed rows and
      // are kept for the next attempt.
      this.dropped += events.length;
      if (isCorruption(error)) {
        this.pending = new RollupSums();
        this.closeDb();
        this.open();
      } else {
        this.fail(error, 'writing the query log');
        this.closeDb();
      }
    }
  }

  /**
   * One small retention step: a chunk of old raw rows and/or one (table, device) of old rollups. Returns
   * whether more is waiting (a whole chunk was deleted, or rollup steps are planned).
   */
  prune(now: number): boolean {
    if (this.db === null || this.st === null) return false;
    try {
      return this.retention.step(this.db, this.st, now);
    } catch (error) {
      this.fail(error, 'pruning the query log');
      this.closeDb();
      return false;
    }
  }

  /** Whether the name rollups have a slice to apply now (a pass under way or due). */
  rollupsWaiting(now: number): boolean {
    return this.nameRollups?.wantsTurn(now, this.lastRowId) ?? false;
  }

  /** Forces the next prune() to plan a rollup pass (tests, and after a retention change). */
  scheduleRollupPrune(): void {
    this.retention.schedule();
  }

  close(): void {
    this.closeDb();
  }

  private openOnce(): void {
    const db = openDatabase(this.options.dbPath, { migrations: migrationsDir('querylog') });
    try {
      this.st = prepareWriterStatements(db);
    } catch (error) {
      db.close();
      throw error;
    }
    this.db = db;
    this.loadNames();
    // Index and rollup pages stay in memory between batches: 4 MB, or 32 MB for a large names table.
    db.pragma(`cache_size = -${writerCacheKib(this.names.size)}`);
    this.clients.clear();
    this.nameRollups = new NameRollups(db, {
      ...(this.options.nameSliceKeys === undefined ? {} : { sliceKeys: this.options.nameSliceKeys }),
      ...(this.options.nameRollMs === undefined ? {} : { rollMs: this.options.nameRollMs }),
    });
    this.lastRowId = (this.st as Statements).lastRowId.get() as number;
    this.feed?.begin(this.lastRowId);
  }

  /** From now on, every stored row is told to `feed` (it starts after the last row already written). */
  attachFeed(feed: RowFeed): void {
    this.feed = feed;
    if (this.db !== null) feed.begin(this.lastRowId);
  }

  /** The writer's database handle, for work that shares this thread (app inference); null while closed. */
  get handle(): Db | null {
    return this.db;
  }

  /** Fills the in-memory name index from the names table (about a second per million names). */
  private loadNames(): void {
    this.names.clear();
    const rows = (this.db as Db).prepare('SELECT id, name FROM names').raw().iterate() as IterableIterator<
      [number, string]
    >;
    for (const [id, name] of rows) this.names.set(name, id);
  }

  /** The id of `name`, appending it to the names table when new. */
  private internName(name: string): number {
    const known = this.names.find(name);
    if (known !== 0) return known;
    const id = Number((this.st as Statements).insertName.run(name).lastInsertRowid);
    this.names.add(id);
    if (this.names.size === WRITER_LARGE_CACHE_FROM_NAMES)
      this.db?.pragma(`cache_size = -${writerCacheKib(this.names.size)}`);
    return id;
  }

  private moveAside(): string {
    const path = this.options.dbPath;
    const aside = `${path}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    renameSync(path, aside);
    for (const suffix of ['-wal', '-shm']) {
      if (existsSync(path + suffix)) renameSync(path + suffix, aside + suffix);
    }
    return aside;
  }

  private fail(error: unknown, doing: string): void {
    const code = (error as { code?: string }).code;
    const message = `query log stopped while ${doing} (${this.options.dbPath}): ${code ? `${code}: ` : ''}${(error as Error).message}; DNS keeps answering, events are counted as dropped until writing works again`;
    if (message !== this.error) this.notify({ level: 'error', message });
    this.error = message;
  }

  private closeDb(): void {
    const db = this.db;
    this.db = null;
    this.st = null;
    this.nameRollups = null;
    this.names.clear();
    this.clients.clear();
    this.retention.reset();
    this.feed?.suspend();
    if (db !== null) {
      try {
        db.close();
      } catch {
        // Closing a database whose disk failed can fail too; the handle is gone either way.
      }
    }
  }

  private intern(
    cache: Map<string, number>,
    select: Database.Statement,
    insert: Database.Statement,
    text: string,
  ): number {
    const cached = cache.get(text);
    if (cached !== undefined) return cached;
    let id = select.get(text) as number | undefined;
    if (id === undefined) id = Number(insert.run(text).lastInsertRowid);
    if (cache.size >= INTERN_CACHE_MAX) cache.clear();
    cache.set(text, id);
    return id;
  }

  /** Inserts the raw rows and sums the batch's rollups; returns how many events were stored. */
  private writeRows(events: DecodedEvent[], sums: RollupSums): number {
    const st = this.st as Statements;
    const params: number[] = [];
    let stored = 0;
    let pending = 0;
    for (const ev of events) {
      const mode = this.deviceModes.get(ev.deviceId) ?? this.globalMode;
      if (mode === 'none') continue;
      stored++;
      const time = Math.trunc(ev.timeMs);
      const hideNames = mode === 'hide-names';
      const nameId = hideNames ? 0 : this.internName(ev.name);
      const cnameId = hideNames || ev.cnameTarget === '' ? 0 : this.internName(ev.cnameTarget);
      const address = this.options.anonymizeClients ? anonymizeAddress(ev.clientAddress) : ev.clientAddress;
      const clientId =
        address === '' ? 0 : this.intern(this.clients, st.selectClient, st.insertClient, address);
      this.lastRowId++;
      params.push(
        this.lastRowId,
        time,
        ev.deviceId,
        clientId,
        nameId,
        ev.qtype,
        ev.protocol,
        ev.status,
        ev.reason,
        ev.listId,
        ev.ruleId,
        ev.companyId,
        ev.categoryId,
        ev.appId,
        ev.kind,
        ev.rcode,
        ev.durationUs,
        ev.upstreamId,
        cnameId,
      );
      pending++;
      this.feed?.add(this.lastRowId, ev, nameId);
      if (pending === ROWS_PER_INSERT) {
        st.insertMany.run(params);
        params.length = 0;
        pending = 0;
      }
      sums.add(ev, time);
    }
    for (let i = 0; i < pending; i++) st.insertOne.run(params.slice(i * COLUMNS, (i + 1) * COLUMNS));
    return stored;
  }

  /** Minute sums → minute, hour and day rows of counts_* and totals_*. */
  private upsertRollups(sums: RollupSums): void {
    if (sums.size() === 0) return;
    const st = this.st as Statements;
    for (const { level, counts, totals } of sums.levels()) {
      const upsertCount = st.upsertCounts[`counts_${level}`];
      for (const c of counts)
        upsertCount.run(c.device, c.bucket, c.company, c.category, c.app, c.kind, c.status, c.count);
      const upsertTotal = st.upsertTotals[`totals_${level}`];
      for (const t of totals) upsertTotal.run(t.device, t.bucket, t.category, t.kind, t.status, t.count);
    }
  }
}

export function isCorruption(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB');
}
