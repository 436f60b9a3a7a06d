/**
 * The query log as the rest of the server sees it: a QueryLogSink whose record() is a synchronous copy
 * into a shared ring (query-queue.ts), and a writer that owns querylog.db: in its own thread
 * (log-writer-worker.ts) or in the main isolate in slices (log-writer-inline.ts), per `writer`
 * (store/writer-place.ts). Both run the same loop (log-writer-host.ts) and speak the same messages.
 * DNS never waits for the log; if the writer cannot keep up or storage fails, events are counted as
 * dropped and stats().error says why.
 */
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { workerEntry } from '../worker-entry.js';
import { LONG_LIVED_WORKER_LIMITS } from '../worker-limits.js';
import type { QueryEvent, QueryLogSink } from '../events/query-event.js';
import type { QueryLogMode } from '../config/schema.js';
import type { Logger } from '../logger.js';
import { appHostTable } from './app-hosts.js';
import type { FromWorker, SliceKind, ToWorker, WorkerInit } from './log-writer-host.js';
import { InlineWriter } from './log-writer-inline.js';
import type { ShipperStats } from './pg/log-shipper.js';
import {
  type QueueMemory,
  createQueueMemory,
  DEFAULT_QUEUE_BYTES,
  QueryQueue,
  ringDropped,
  ringQueued,
} from './query-queue.js';
import { QUERY_LOG_FILE } from './sqlite.js';
import type { WriterPlace } from './writer-place.js';

export interface QueryLogOptions {
  dataDir: string;
  retentionDays: number;
  rollupRetentionDays: number;
  queries: QueryLogMode;
  anonymizeClients: boolean;
  logger: Logger;
  /** Per-device overrides of `queries` (device id → mode). */
  devicePrivacy?: Map<number, QueryLogMode>;
  /**
   * Ring size in bytes, a power of two (default 8 MiB: ~85,000 typical events, two seconds at 40,000 q/s;
   * records are variable-length, ~96 bytes for an IPv4 client and a 25-character name).
   */
  queueBytes?: number;
  /** Writer drain period in ms (default 50). */
  intervalMs?: number;
  /** Largest transaction in events (default 20,000). */
  maxBatch?: number;
  /** With TRACKSINK_DATABASE_URL: ship the log to PostgreSQL too (store/pg/log-shipper.ts). */
  pg?: WorkerInit['pg'];
  /** Where the writer runs (default its own thread; `log.writer` resolved by writer-place.ts). */
  writer?: WriterPlace;
  /** Main isolate only: told how long each of the writer's blocking steps took (bench/inline-writer.ts). */
  onWriterSlice?: (kind: SliceKind, ms: number) => void;
}

/** The writer as QueryLog talks to it: a thread's port, or the loop in this isolate. */
interface WriterLink {
  readonly place: WriterPlace;
  post(message: ToWorker): void;
  /** Ends it after 'close' was answered. */
  stop(): Promise<void>;
}

export interface QueryLogStats {
  /** Events committed to querylog.db. */
  written: number;
  /** Events lost: the ring was full, or storage failed. */
  dropped: number;
  /** Events waiting in the ring. */
  queued: number;
  /** Why logging is stopped, or null while it works. */
  error: string | null;
  /** Shipping to PostgreSQL (null without TRACKSINK_DATABASE_URL). */
  pg?: ShipperStats | null;
}

export class QueryLog implements QueryLogSink {
  private readonly queue: QueryQueue;
  /** Rings of other producers (DNS worker threads), drained by the same writer. */
  private readonly rings: QueueMemory[] = [];
  private written = 0;
  private writerDropped = 0;
  private skipped = 0;
  private error: string | null = null;
  private pg: ShipperStats | null = null;
  private nextRequest = 1;
  private readonly pending = new Map<number, () => void>();
  private closed = false;
  /** The writer thread is gone: requests resolve at once instead of waiting for an answer. */
  private exited = false;
  private globalMode: QueryLogMode;
  private devicePrivacy: Map<number, QueryLogMode>;

  private readonly link: WriterLink;

  private constructor(
    init: WorkerInit,
    queue: QueryQueue,
    private readonly logger: Logger,
    options: QueryLogOptions,
  ) {
    this.queue = queue;
    this.globalMode = options.queries;
    this.devicePrivacy = new Map(options.devicePrivacy ?? []);
    this.link = options.writer === 'main' ? this.inline(init, options.onWriterSlice) : this.thread(init);
  }

  /** Where the writer runs. */
  get writerPlace(): WriterPlace {
    return this.link.place;
  }

  private thread(init: WorkerInit): WriterLink {
    const worker = new Worker(workerEntry(import.meta.url, 'log-writer-worker'), {
      workerData: init,
      resourceLimits: LONG_LIVED_WORKER_LIMITS,
    });
    worker.on('message', (message: FromWorker) => this.onMessage(message));
    worker.on('error', (error) => {
      this.error = `query log writer thread failed: ${error.message}`;
      this.logger.error({ err: error }, this.error);
      this.releaseAll();
    });
    worker.on('exit', (code) => {
      this.exited = true;
      if (!this.closed && code !== 0) this.error ??= `query log writer thread exited with code ${code}`;
      this.releaseAll();
    });
    return {
      place: 'thread',
      post: (message) => worker.postMessage(message),
      stop: async () => {
        await worker.terminate();
      },
    };
  }

  private inline(init: WorkerInit, onSlice: QueryLogOptions['onWriterSlice']): WriterLink {
    const writer = new InlineWriter(init, (message) => this.onMessage(message), onSlice);
    return {
      place: 'main',
      post: (message) => writer.post(message),
      stop: () => {
        this.exited = true;
        return Promise.resolve();
      },
    };
  }

  /** Starts the writer and resolves once it has opened (or failed to open) the database. */
  static async open(options: QueryLogOptions): Promise<QueryLog> {
    const log = QueryLog.start(options);
    await log.ready;
    return log;
  }

  /**
   * Starts the writer thread and returns at once: record() copies into the ring from now on, and the
   * writer drains whatever waits once it has opened the database. Start-up lets DNS answer meanwhile
   * (services.ts); `ready` resolves when the writer has opened (or failed to open) the database.
   */
  static start(options: QueryLogOptions): QueryLog {
    const queue = new QueryQueue(createQueueMemory(options.queueBytes ?? DEFAULT_QUEUE_BYTES));
    const init: WorkerInit = {
      memory: queue.memory,
      writer: {
        dbPath: join(options.dataDir, QUERY_LOG_FILE),
        retentionDays: options.retentionDays,
        rollupRetentionDays: options.rollupRetentionDays,
        queries: options.queries,
        anonymizeClients: options.anonymizeClients,
        devicePrivacy: [...(options.devicePrivacy ?? new Map<number, QueryLogMode>())],
      },
      intervalMs: options.intervalMs ?? 50,
      maxBatch: options.maxBatch ?? 20_000,
      ...(options.pg ? { pg: options.pg } : {}),
    };
    const log = new QueryLog(init, queue, options.logger, options);
    // The first flush returns once the worker has opened (or failed to open) the database.
    log.ready = log.flush();
    return log;
  }

  /** Resolves once the writer thread has opened (or failed to open) the database. */
  ready: Promise<void> = Promise.resolve();

  /** Hot path: a synchronous copy into the ring; never blocks, never throws. */
  record(ev: QueryEvent): void {
    this.queue.record(ev);
  }

  stats(): QueryLogStats {
    return {
      written: this.written,
      dropped: this.rings.reduce(
        (sum, ring) => sum + ringDropped(ring),
        this.queue.dropped + this.writerDropped,
      ),
      queued: this.rings.reduce((sum, ring) => sum + ringQueued(ring), this.queue.queued),
      error: this.error,
      pg: this.pg,
    };
  }

  /** Events skipped because privacy mode 'none' applies to them (neither written nor dropped). */
  get skippedForPrivacy(): number {
    return this.skipped;
  }

  /**
   * A new ring of the same size for another producer thread (a DNS worker: dns/workers/), drained by the
   * same writer into the same database. The producer writes it with `new QueryQueue(memory)`.
   */
  addRing(): QueueMemory {
    const memory = createQueueMemory(this.queue.memory.bytes);
    this.rings.push(memory);
    this.post({ type: 'ring', memory });
    return memory;
  }

  /**
   * Starts app inference in the writer thread (store/app-inference.ts) over the rows written from now on
   * and, from SQL, those before: the catalog travels as its app keys and hosts only (app-hosts.ts).
   */
  startAppInference(catalog: Parameters<typeof appHostTable>[0]): void {
    this.post({ type: 'apps', table: appHostTable(catalog) });
  }

  /** Resolves once everything recorded before the call is committed (or counted as dropped). */
  flush(): Promise<void> {
    return this.request((id) => ({ type: 'flush', id, head: this.queue.head }));
  }

  /** Sets the global privacy mode and per-device overrides (device id → mode); applies to new events. */
  setDevicePrivacy(devices: Map<number, QueryLogMode>, global: QueryLogMode = this.globalMode): void {
    this.globalMode = global;
    this.devicePrivacy = new Map(devices);
    this.post({ type: 'privacy', global, devices: [...this.devicePrivacy] });
  }

  /** Flushes, closes the database and stops the writer thread. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.request((id) => ({ type: 'close', id }));
    this.closed = true;
    await this.link.stop();
  }

  private request(make: (id: number) => ToWorker): Promise<void> {
    if (this.closed || this.exited) return Promise.resolve();
    const id = this.nextRequest++;
    return new Promise<void>((resolve) => {
      this.pending.set(id, resolve);
      this.post(make(id));
    });
  }

  private post(message: ToWorker): void {
    try {
      this.link.post(message);
    } catch (error) {
      this.error = `query log writer thread unreachable: ${(error as Error).message}`;
      this.releaseAll();
    }
  }

  private releaseAll(): void {
    for (const resolve of this.pending.values()) resolve();
    this.pending.clear();
  }

  private onMessage(message: FromWorker): void {
    switch (message.type) {
      case 'stats':
        this.written = message.written;
        this.writerDropped = message.dropped;
        this.skipped = message.skipped;
        this.error = message.error;
        this.pg = message.pg;
        break;
      case 'notice':
        this.logger[message.level]({ component: 'query-log' }, message.message);
        break;
      case 'flushed':
      case 'closed': {
        const resolve = this.pending.get(message.id);
        this.pending.delete(message.id);
        resolve?.();
        break;
      }
    }
  }
}
