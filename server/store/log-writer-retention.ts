/**
 * The query log's retention, in small steps between the writer's batches (log-writer.ts calls step()
 * about once a second), so the writer never stalls on a big DELETE: a chunk of raw rows older than
 * retentionDays (taken out of the per-name totals in the same transaction), and one (table, device) of
 * old rollups at a time, planned every few minutes.
 */
import { ALL_DEVICES, DAY_MS, MINUTE_MS, SHORT_ROLLUP_KEEP_MS } from './rollup-sums.js';
import type { Statements } from './log-writer-statements.js';
import type { Db } from './sqlite.js';

/** Raw rows per step (the main isolate's writer takes smaller steps, more often: log-writer-host.ts). */
const PRUNE_CHUNK = 5000;
const ROLLUP_PRUNE_EVERY_MS = 5 * MINUTE_MS;

export class LogRetention {
  private rollupPruneQueue: Array<{ table: string; deviceId: number; cutoff: number }> = [];
  private lastRollupPrune = 0;

  private readonly chunk: number;

  constructor(
    private readonly options: { retentionDays: number; rollupRetentionDays: number; pruneChunk?: number },
  ) {
    this.chunk = options.pruneChunk ?? PRUNE_CHUNK;
  }

  /**
   * One small retention step; returns whether more is waiting (the chunk was full, or rollup steps are
   * planned). Throws what SQLite throws (the writer closes the database then).
   */
  step(db: Db, st: Statements, now: number): boolean {
    let more = false;
    const rawCutoff = now - this.options.retentionDays * DAY_MS;
    const oldest = st.oldestRow.get() as { id: number; time: number } | undefined;
    if (oldest !== undefined && oldest.time < rawCutoff) {
      db.transaction(() => {
        // Take the pruned rows out of the per-name totals in the same transaction.
        const pruned = st.prunedNames.all(oldest.id + this.chunk, rawCutoff) as Array<{
          deviceId: number;
          nameId: number;
          status: number;
          n: number;
        }>;
        const overall = new Map<string, number>();
        for (const row of pruned) {
          st.subtractNameTotal.run(row.n, row.deviceId, row.nameId, row.status);
          st.dropEmptyNameTotal.run(row.deviceId, row.nameId, row.status);
          const key = `${row.nameId},${row.status}`;
          overall.set(key, (overall.get(key) ?? 0) + row.n);
        }
        for (const [key, n] of overall) {
          const [nameId, status] = key.split(',').map(Number) as [number, number];
          st.subtractNameTotal.run(n, ALL_DEVICES, nameId, status);
          st.dropEmptyNameTotal.run(ALL_DEVICES, nameId, status);
        }
        more = st.pruneRows.run(oldest.id + this.chunk, rawCutoff).changes >= this.chunk;
      }).immediate();
    }
    if (this.rollupPruneQueue.length === 0 && now - this.lastRollupPrune >= ROLLUP_PRUNE_EVERY_MS) {
      this.lastRollupPrune = now;
      this.plan(db, now);
    }
    const step = this.rollupPruneQueue.pop();
    if (step !== undefined) {
      db.prepare(`DELETE FROM ${step.table} WHERE device_id = ? AND bucket < ?`).run(
        step.deviceId,
        step.cutoff,
      );
    }
    return more || this.rollupPruneQueue.length > 0;
  }

  /** Forces the next step() to plan a rollup pass (tests, and after a retention change). */
  schedule(): void {
    this.lastRollupPrune = 0;
  }

  /** Forgets planned steps (the database closed). */
  reset(): void {
    this.rollupPruneQueue = [];
  }

  private plan(db: Db, now: number): void {
    const devices = (
      db.prepare('SELECT DISTINCT device_id FROM counts_day').pluck().all() as number[]
    ).concat(db.prepare('SELECT DISTINCT device_id FROM counts_minute').pluck().all() as number[]);
    const unique = [...new Set(devices)];
    const longCutoff = now - this.options.rollupRetentionDays * DAY_MS;
    const namesCutoff = now - this.options.retentionDays * DAY_MS;
    const cutoffs: Record<string, number> = {
      totals_minute: now - SHORT_ROLLUP_KEEP_MS,
      totals_hour: longCutoff,
      totals_day: longCutoff,
      counts_minute: now - SHORT_ROLLUP_KEEP_MS,
      counts_hour: longCutoff,
      counts_day: longCutoff,
      names_hour: namesCutoff, // only the all-devices rows: they narrow name searches over the raw log
      names_day: namesCutoff,
    };
    for (const table of Object.keys(cutoffs)) {
      for (const deviceId of unique) {
        this.rollupPruneQueue.push({ table, deviceId, cutoff: cutoffs[table] as number });
      }
    }
  }
}
