/**
 * App inference inside the log writer thread (log-writer-worker.ts): the shipped app catalog, a feed the
 * writer hands every stored row to (app-feed.ts), and the rollup passes (app-rollups.ts) on the writer's
 * own database handle, between the writer's batches.
 *
 * It ran on the main thread before, reading every raw row back with a join on the names table: ~14 % of
 * the DNS thread's time under load (bench/GAP.md). Here it takes none of DNS's time, never waits for a
 * lock (one thread, one handle), and reads SQL only to catch up on rows written before this process or
 * while the feed was suspended.
 */
import { AppFeed } from './app-feed.js';
import type { AppNames } from './app-hosts.js';
import { AppRollups, type AppRollupsOptions } from './app-rollups.js';
import type { Db } from './sqlite.js';

export const APP_PASS_INTERVAL_MS = 2000;
/** Rows per step: larger than on the main thread, since only the writer's own batches wait. */
const CHUNK_ROWS = 20_000;
/** One tick's steps stop after this long, so the ring keeps draining while a long log is caught up. */
const TICK_BUDGET_MS = 40;

export class WriterAppInference {
  readonly feed: AppFeed;
  readonly rollups: AppRollups;
  private readonly intervalMs: number;
  private nextPass = 0;
  private readonly budgetMs: number;

  constructor(options: {
    catalog: AppNames;
    db: () => Db | null;
    dataDir: string;
    intervalMs?: number;
    /** Rows the feed keeps at most (tests). */
    maxFeedRows?: number;
    /** Each saved pass's sums (the PostgreSQL shipper copies them). */
    onCounted?: AppRollupsOptions['onCounted'];
    /** Rows per pass, and how long one tick runs passes back to back (smaller in the main isolate). */
    chunkRows?: number;
    budgetMs?: number;
  }) {
    this.feed = new AppFeed(options.catalog, options.maxFeedRows);
    this.rollups = new AppRollups({
      dataDir: options.dataDir,
      catalog: options.catalog,
      chunkRows: options.chunkRows ?? CHUNK_ROWS,
      writer: { db: options.db, feed: this.feed },
      onCounted: options.onCounted,
    });
    this.intervalMs = options.intervalMs ?? APP_PASS_INTERVAL_MS;
    this.budgetMs = options.budgetMs ?? TICK_BUDGET_MS;
  }

  /** Why the last pass failed, or null. */
  get error(): string | null {
    return this.rollups.error;
  }

  /**
   * Passes when due (every intervalMs; back to back within a short budget while behind). `force` runs one
   * now (flush). Never throws: a failed pass is kept in `error` and tried again at the next interval.
   */
  tick(now: number, force = false): void {
    if (!force && now < this.nextPass) return;
    const started = Date.now();
    let more: boolean;
    try {
      do more = this.rollups.pass(now);
      while (more && Date.now() - started < this.budgetMs);
      this.rollups.error = null;
    } catch (error) {
      more = false;
      this.rollups.error = (error as Error).message;
    }
    this.nextPass = more ? 0 : now + this.intervalMs;
  }
}
