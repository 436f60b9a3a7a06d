/**
 * The log writer's loop, wherever it runs: drains the shared rings (query-queue.ts: the main thread's, and
 * one per DNS worker thread, added with a 'ring' message) into querylog.db through LogWriter, prunes old
 * rows in small steps between batches, runs app inference's passes, retries a failed database once a
 * second, ships to PostgreSQL when configured, and reports counters with `post`.
 *
 * It runs in one of two places (`log.writer`, store/writer-place.ts): its own thread
 * (log-writer-worker.ts: one big transaction per drain, no yielding needed) or the main isolate
 * (log-writer-inline.ts), where every SQLite step runs on the thread that answers DNS. There the work is
 * cut into slices (`HostTuning`: a bounded number of rows per transaction, one app pass of a few thousand
 * rows, one small retention chunk), and between slices it yields with setImmediate, so the datagrams that
 * arrived meanwhile are answered before the next slice. Nothing on the DNS path waits for it: DNS only
 * copies into the ring.
 */
import { dirname } from 'node:path';
import type { QueryLogMode } from '../config/schema.js';
import { AppHostIndex, type AppHostTable } from './app-hosts.js';
import { WriterAppInference } from './app-inference.js';
import type { AppRollupsOptions } from './app-rollups.js';
import { LogWriter, type WriterOptions } from './log-writer.js';
import type { PgLogShipper, ShipperStats } from './pg/log-shipper.js';
import type { PgTarget } from './pg/pg-url.js';
import { type DecodedEvent, QueueReader, type QueueMemory } from './query-queue.js';

export interface WorkerInit {
  memory: QueueMemory;
  writer: WriterOptions;
  /** Drain period; at 100,000 events/s a 50 ms tick is a 5,000-row transaction. */
  intervalMs: number;
  /** Upper bound on one transaction, so a backlog is written in bounded steps. */
  maxBatch: number;
  /** With TRACKSINK_DATABASE_URL: the log also goes to PostgreSQL (pg/log-shipper.ts). */
  pg?: { target: PgTarget; replica: string; maxBuffered?: number };
}

export type ToWorker =
  | { type: 'flush'; id: number; head: number }
  | { type: 'privacy'; global: QueryLogMode; devices: Array<[number, QueryLogMode]> }
  /** Another producer's ring (a DNS worker thread: dns/workers/), drained beside the first. */
  | { type: 'ring'; memory: QueueMemory }
  /** Start app inference in this thread (app-inference.ts) with the app catalog's hosts (app-hosts.ts). */
  | { type: 'apps'; table: AppHostTable }
  | { type: 'close'; id: number };

export type FromWorker =
  | {
      type: 'stats';
      written: number;
      dropped: number;
      skipped: number;
      error: string | null;
      pg: ShipperStats | null;
    }
  | { type: 'notice'; level: 'info' | 'warn' | 'error'; message: string }
  | { type: 'flushed'; id: number }
  | { type: 'closed'; id: number };

/** What one blocking step of the writer did (for the bench's longest-step figures). */
export type SliceKind = 'write' | 'rollups' | 'apps' | 'prune';

/** How the loop cuts its work: the thread's defaults write whole drains; the main isolate's slice them. */
export interface HostTuning {
  /** Events per transaction at most (the thread: init.maxBatch). */
  sliceRows: number;
  /** Yield to the event loop (setImmediate) between slices. */
  yieldBetweenSlices: boolean;
  /** Retention steps at most this often (ms), and how many steps a tick runs while more waits. */
  pruneEveryMs: number;
  pruneStepsPerTick: number;
  /** Name rollup slices a tick runs while a pass is under way (rollup-names.ts). */
  rollupSlicesPerTick: number;
  /** App inference: rows per pass, and how long one tick may run passes back to back. */
  appChunkRows?: number;
  appBudgetMs?: number;
  /** Told how long each blocking step took (bench/inline-writer.ts). */
  onSlice?: (kind: SliceKind, ms: number) => void;
}

const PG_FLUSH_MS = 3000;

export const THREAD_TUNING = (init: WorkerInit): HostTuning => ({
  sliceRows: init.maxBatch,
  yieldBetweenSlices: false,
  pruneEveryMs: 1000,
  pruneStepsPerTick: 1,
  rollupSlicesPerTick: 1,
});

/**
 * In the main isolate: at 2,000 q/s a 50 ms tick is ~100 rows, one slice; a backlog (40,000 q/s, a
 * reopened database) goes 100 rows a transaction (~1 ms); the rollups go in their own steps (rollupsApart). Retention runs every tick in 100-row chunks, up to 40
 * per tick while rows wait (80,000 rows/s), name rollups pass every 250 ms in slices of 250 keys, up to 40
 * a tick, app inference one 1,000-row pass at a time (MAIN_WRITER_OPTIONS), each with a yield between.
 */
export const MAIN_TUNING: HostTuning = {
  sliceRows: 100,
  yieldBetweenSlices: true,
  pruneEveryMs: 0,
  pruneStepsPerTick: 40,
  rollupSlicesPerTick: 40,
  appChunkRows: 1000,
  appBudgetMs: 0,
};
export const MAIN_WRITER_OPTIONS = {
  pruneChunk: 100,
  nameSliceKeys: 250,
  nameRollMs: 250,
  rollupsApart: true,
} as const;

/** The PostgreSQL shipper, loaded only when configured (node-postgres stays out of a SQLite-only writer). */
async function startShipper(
  init: WorkerInit,
  post: (message: FromWorker) => void,
): Promise<PgLogShipper | null> {
  if (init.pg === undefined) return null;
  const { PgLogShipper } = await import('./pg/log-shipper.js');
  const shipper = new PgLogShipper({
    ...init.pg,
    retentionDays: init.writer.retentionDays,
    anonymizeClients: init.writer.anonymizeClients,
    notify: (level, message) => post({ type: 'notice', level, message }),
  });
  shipper.setPrivacy(init.writer.queries, init.writer.devicePrivacy ?? []);
  shipper.start();
  return shipper;
}

/** With PostgreSQL: each app inference pass's sums go with the log (pg/pg-apps.ts), under names not ids. */
function shipAppSums(shipper: PgLogShipper | null, catalog: AppHostIndex): AppRollupsOptions['onCounted'] {
  if (shipper === null) return undefined;
  return (sums, db) => {
    const name = db.prepare('SELECT name FROM names WHERE id = ?').pluck();
    shipper.pushApps(
      sums,
      (app) => catalog.apps[app]?.key ?? '',
      (nameId) => (name.get(nameId) as string | undefined) ?? '',
    );
  };
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class WriterHost {
  private readonly readers: QueueReader[];
  private readonly writer: LogWriter;
  /** App inference starts when the main thread sends the app catalog's hosts ('apps'). */
  private apps: WriterAppInference | null = null;
  /** QueryLog.open's first flush waits for the shipper (handle()), so DNS starts after it is there. */
  private shipper: PgLogShipper | null = null;
  private readonly shipperReady: Promise<void>;
  private lastStats = '';
  private lastAppsError: string | null = null;
  private lastPrune = 0;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  /** Drains and messages run one at a time (a drain yields between its slices). */
  private turn: Promise<void> = Promise.resolve();

  constructor(
    private readonly init: WorkerInit,
    private readonly post: (message: FromWorker) => void,
    private readonly tuning: HostTuning = THREAD_TUNING(init),
  ) {
    this.readers = [new QueueReader(init.memory)];
    this.writer = new LogWriter(init.writer, (notice) => post({ type: 'notice', ...notice }));
    this.writer.open();
    this.shipperReady = startShipper(init, post).then(
      (started) => {
        this.shipper = started;
      },
      (error: unknown) => {
        post({
          type: 'notice',
          level: 'error',
          message: `query log shipping to PostgreSQL did not start: ${String(error)}`,
        });
      },
    );
    this.tick();
  }

  /** Handles one message from QueryLog (query-log.ts), in turn with the drains. */
  handle(message: ToWorker): Promise<void> {
    return this.inTurn(async () => {
      await this.shipperReady;
      switch (message.type) {
        case 'flush':
          this.writer.recover(Date.now(), 0);
          await this.drain(true);
          await this.shipper?.flush(PG_FLUSH_MS);
          this.postStats();
          this.post({ type: 'flushed', id: message.id });
          break;
        case 'ring':
          this.readers.push(new QueueReader(message.memory));
          break;
        case 'apps':
          this.startApps(message.table);
          break;
        case 'privacy':
          this.writer.setPrivacy(message.global, message.devices);
          this.shipper?.setPrivacy(message.global, message.devices);
          break;
        case 'close':
          this.stopped = true;
          if (this.timer !== null) clearTimeout(this.timer);
          await this.drain(true);
          this.writer.close();
          await this.shipper?.close(PG_FLUSH_MS);
          this.postStats();
          this.post({ type: 'closed', id: message.id });
          break;
      }
    });
  }

  private inTurn(work: () => Promise<void>): Promise<void> {
    const done = this.turn.then(work);
    this.turn = done.catch((error: unknown) => {
      this.post({
        type: 'notice',
        level: 'error',
        message: `query log writer step failed: ${String(error)}`,
      });
    });
    return this.turn;
  }

  private tick(): void {
    this.timer = null;
    void this.inTurn(async () => {
      if (this.stopped) return;
      const now = Date.now();
      this.writer.recover(now);
      await this.drain(false);
      if (now - this.lastPrune >= this.tuning.pruneEveryMs) {
        this.lastPrune = now;
        for (let step = 0; step < this.tuning.pruneStepsPerTick; step++) {
          if (step > 0) await this.between();
          let more = false;
          this.timed('prune', () => {
            more = this.writer.prune(Date.now());
          });
          if (!more) break;
        }
      }
      this.postStats();
    }).then(() => {
      if (!this.stopped) this.timer = setTimeout(() => this.tick(), this.init.intervalMs);
    });
  }

  /** Writes everything waiting, a slice at a time; `force` also commits the in-memory sums (flush, close). */
  private async drain(force: boolean): Promise<void> {
    for (;;) {
      // take() releases the records' bytes only after decoding them, so the producer never overwrites
      // unread data.
      const events = takeAll(this.readers, this.tuning.sliceRows);
      if (events.length === 0) break;
      this.timed('write', () => this.writer.write(events, Date.now(), force));
      this.shipper?.push(events);
      await this.between();
    }
    // The rollup flush and the name rollups' slices (with `force`, all of them in one go).
    for (let slice = 0; ; slice++) {
      this.timed('rollups', () => this.writer.write([], Date.now(), force));
      if (force || slice + 1 >= this.tuning.rollupSlicesPerTick || !this.writer.rollupsWaiting(Date.now()))
        break;
      await this.between();
    }
    if (this.apps !== null) {
      await this.between();
      const apps = this.apps;
      this.timed('apps', () => apps.tick(Date.now(), force));
      if (apps.error !== this.lastAppsError) {
        this.lastAppsError = apps.error;
        if (apps.error !== null)
          this.post({ type: 'notice', level: 'warn', message: `app inference pass failed: ${apps.error}` });
      }
    }
  }

  private async between(): Promise<void> {
    if (this.tuning.yieldBetweenSlices) await nextTurn();
  }

  private timed(kind: SliceKind, step: () => void): void {
    const onSlice = this.tuning.onSlice;
    if (onSlice === undefined) {
      step();
      return;
    }
    const started = performance.now();
    step();
    onSlice(kind, performance.now() - started);
  }

  private startApps(table: AppHostTable): void {
    if (this.apps !== null) return;
    const catalog = new AppHostIndex(table);
    this.apps = new WriterAppInference({
      catalog,
      db: () => this.writer.handle,
      dataDir: dirname(this.init.writer.dbPath),
      onCounted: shipAppSums(this.shipper, catalog),
      ...(this.tuning.appChunkRows === undefined ? {} : { chunkRows: this.tuning.appChunkRows }),
      ...(this.tuning.appBudgetMs === undefined ? {} : { budgetMs: this.tuning.appBudgetMs }),
    });
    this.writer.attachFeed(this.apps.feed);
  }

  private postStats(): void {
    const stats = {
      written: this.writer.written,
      dropped: this.writer.dropped,
      skipped: this.writer.skipped,
      error: this.writer.error,
      pg: this.shipper?.stats ?? null,
    };
    const key = JSON.stringify(stats);
    if (key === this.lastStats) return;
    this.lastStats = key;
    this.post({ type: 'stats', ...stats });
  }
}

/**
 * Up to `max` events from every ring. With several rings (DNS workers) the batch is put in time order, so
 * the raw log's rowid keeps following time as closely as with one ring (a forwarded query is recorded when
 * it is answered, so neither is exact).
 */
function takeAll(readers: QueueReader[], max: number): DecodedEvent[] {
  if (readers.length === 1) return readers[0]!.take(max);
  const share = Math.max(1, Math.floor(max / readers.length));
  const events = readers.flatMap((reader) => reader.take(share));
  return events.sort((a, b) => a.timeMs - b.timeMs);
}
