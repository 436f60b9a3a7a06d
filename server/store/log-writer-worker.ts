/**
 * The log writer thread: drains the shared rings (query-queue.ts: the main thread's, and one per DNS worker
 * thread, added with a 'ring' message) every few milliseconds into querylog.db
 * through LogWriter, prunes old rows in small steps between batches, retries a failed database once a
 * second, and reports counters to the main thread (query-log.ts). No SQLite work ever runs on the thread
 * that answers DNS.
 */
import { dirname } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import type { QueryLogMode } from '../config/schema.js';
import { AppHostIndex, type AppHostTable } from './app-hosts.js';
import { WriterAppInference } from './app-inference.js';
import type { AppRollupsOptions } from './app-rollups.js';
import { LogWriter, type WriterOptions } from './log-writer.js';
import type { PgLogShipper, ShipperStats } from './pg/log-shipper.js';
import type { PgTarget } from './pg/pg-url.js';
import { type DecodedEvent, QueueReader, type QueueMemory } from './query-queue.js';
import { lowerThisThreadPriority, writerNice } from '../thread-priority.js';

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

const PRUNE_EVERY_MS = 1000;
const PG_FLUSH_MS = 3000;

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

function run(port: NonNullable<typeof parentPort>, init: WorkerInit): void {
  const post = (message: FromWorker): void => port.postMessage(message);
  // Its transactions run for milliseconds: on a shared core, a query arriving meanwhile should not wait.
  const priority = lowerThisThreadPriority(writerNice());
  if (!priority.lowered && priority.reason !== null)
    post({ type: 'notice', level: 'info', message: `log writer: ${priority.reason}` });
  const readers = [new QueueReader(init.memory)];
  const writer = new LogWriter(init.writer, (notice) => post({ type: 'notice', ...notice }));
  writer.open();
  // App inference starts when the main thread sends the app catalog's hosts ('apps' below).
  let apps: WriterAppInference | null = null;
  // QueryLog.open's first flush waits for the shipper (handle() below), so DNS starts after it is there.
  let shipper: PgLogShipper | null = null;
  const shipperReady = startShipper(init, post).then(
    (started) => {
      shipper = started;
    },
    (error: unknown) => {
      post({
        type: 'notice',
        level: 'error',
        message: `query log shipping to PostgreSQL did not start: ${String(error)}`,
      });
    },
  );

  let lastStats = '';
  const postStats = (): void => {
    const stats = {
      written: writer.written,
      dropped: writer.dropped,
      skipped: writer.skipped,
      error: writer.error,
      pg: shipper?.stats ?? null,
    };
    const key = JSON.stringify(stats);
    if (key === lastStats) return;
    lastStats = key;
    post({ type: 'stats', ...stats });
  };

  let lastAppsError: string | null = null;
  /** Writes everything waiting; `force` also commits the in-memory rollup sums (flush, close). */
  const drain = (force = false): void => {
    for (;;) {
      // take() releases the records' bytes only after decoding them, so the producer never overwrites
      // unread data.
      const events = takeAll(readers, init.maxBatch);
      if (events.length === 0) break;
      writer.write(events, Date.now(), force);
      shipper?.push(events);
    }
    writer.write([], Date.now(), force);
    apps?.tick(Date.now(), force);
    if (apps !== null && apps.error !== lastAppsError) {
      lastAppsError = apps.error;
      if (lastAppsError !== null) {
        post({ type: 'notice', level: 'warn', message: `app inference pass failed: ${lastAppsError}` });
      }
    }
  };

  let lastPrune = 0;
  let timer: NodeJS.Timeout | null = null;
  const tick = (): void => {
    const now = Date.now();
    writer.recover(now);
    drain();
    if (now - lastPrune >= PRUNE_EVERY_MS) {
      lastPrune = now;
      writer.prune(now);
    }
    postStats();
    timer = setTimeout(tick, init.intervalMs);
  };
  tick();

  // PostgreSQL shipping is asynchronous: a flush waits for it (at most PG_FLUSH_MS while it is away).
  const handle = async (message: ToWorker): Promise<void> => {
    await shipperReady;
    switch (message.type) {
      case 'flush':
        writer.recover(Date.now(), 0);
        drain(true);
        await shipper?.flush(PG_FLUSH_MS);
        postStats();
        post({ type: 'flushed', id: message.id });
        break;
      case 'ring':
        readers.push(new QueueReader(message.memory));
        break;
      case 'apps': {
        if (apps !== null) break;
        const catalog = new AppHostIndex(message.table);
        apps = new WriterAppInference({
          catalog,
          db: () => writer.handle,
          dataDir: dirname(init.writer.dbPath),
          onCounted: shipAppSums(shipper, catalog),
        });
        writer.attachFeed(apps.feed);
        break;
      }
      case 'privacy':
        writer.setPrivacy(message.global, message.devices);
        shipper?.setPrivacy(message.global, message.devices);
        break;
      case 'close':
        if (timer !== null) clearTimeout(timer);
        drain(true);
        writer.close();
        await shipper?.close(PG_FLUSH_MS);
        postStats();
        post({ type: 'closed', id: message.id });
        port.close();
        break;
    }
  };
  port.on('message', (message: ToWorker) => {
    void handle(message);
  });
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

if (parentPort !== null) run(parentPort, workerData as WorkerInit);
