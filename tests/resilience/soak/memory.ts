/**
 * Resident memory of a process over time, and how the soak test judges it. V8 lets garbage pile up
 * between major collections, so RSS saws up and down by tens of MB (seen here: 248 MB right after the
 * warm-up, 165 MB after the next major GC). A leak raises the floor of that saw, garbage does not: so
 * the test compares floors (the lowest sample of a stretch of time), not single samples or means.
 * The one cache that cannot be full after a short warm-up is SQLite's page cache for the growing log
 * (up to 32 MB): the test subtracts what it may hold before judging (see soak.test.ts).
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface MemorySample {
  /** Seconds since the soak started. */
  t: number;
  /** Resident memory, less what a bounded cache that is still filling explains (see judgeMemory). */
  rssMb: number;
}

/** SQLite's page cache for querylog.db: at most 32 MB in the writer (store/sqlite.ts writerCacheKib; 8 MB below 200k names). */
export const LOG_PAGE_CACHE_MB = 32;

/** Size of querylog.db and its WAL, in MB: how much SQLite's page cache may have grown to hold. */
export function logDbMb(dataDir: string): number {
  let bytes = 0;
  for (const file of ['querylog.db', 'querylog.db-wal']) {
    try {
      bytes += statSync(join(dataDir, file)).size;
    } catch {
      // not there (yet)
    }
  }
  return bytes / 1048576;
}

export function residentMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1];
  if (kb === undefined) throw new Error(`no VmRSS for process ${pid}`);
  return Number(kb) / 1024;
}

/** Slope in MB per minute of the least-squares line through the samples. */
export function slopeMbPerMinute(samples: MemorySample[]): number {
  const n = samples.length;
  if (n < 2) return 0;
  const meanT = samples.reduce((s, x) => s + x.t, 0) / n;
  const meanR = samples.reduce((s, x) => s + x.rssMb, 0) / n;
  let num = 0;
  let den = 0;
  for (const { t, rssMb } of samples) {
    num += (t - meanT) * (rssMb - meanR);
    den += (t - meanT) ** 2;
  }
  return den === 0 ? 0 : (num / den) * 60;
}

/** The lowest sample of each `seconds`-long stretch: the saw's floor over time. */
export function floors(samples: MemorySample[], seconds: number): MemorySample[] {
  const out: MemorySample[] = [];
  for (const sample of samples) {
    const last = out.at(-1);
    const window = Math.floor((sample.t - samples[0]!.t) / seconds);
    if (last === undefined || Math.floor((last.t - samples[0]!.t) / seconds) !== window)
      out.push({ ...sample });
    else if (sample.rssMb < last.rssMb) last.rssMb = sample.rssMb;
  }
  return out;
}

export interface MemoryVerdict {
  baselineMb: number;
  finalMb: number;
  limitMb: number;
  /** MB per minute of the per-minute floors over the second half (0 on short runs). */
  slope: number;
  problems: string[];
}

/**
 * Judges samples taken after warm-up. The floor of the last third may exceed the floor of the first
 * third by 15 % + `slackMb`. On runs of `slopeFromMinutes` or more the per-minute floors over the
 * second half must also rise by less than `maxSlope` MB per minute.
 */
export function judgeMemory(
  samples: MemorySample[],
  options: { slackMb: number; maxSlope: number; slopeFromMinutes: number },
): MemoryVerdict {
  const third = Math.max(1, Math.floor(samples.length / 3));
  const baselineMb = Math.min(...samples.slice(0, third).map((s) => s.rssMb));
  const finalMb = Math.min(...samples.slice(-third).map((s) => s.rssMb));
  const limitMb = baselineMb * 1.15 + options.slackMb;
  const problems: string[] = [];
  if (!(finalMb <= limitMb)) {
    problems.push(
      `RSS floor rose: ${finalMb.toFixed(1)} MB in the last third > limit ${limitMb.toFixed(1)} MB`,
    );
  }
  const minutes = samples.length > 1 ? (samples.at(-1)!.t - samples[0]!.t) / 60 : 0;
  let slope = 0;
  if (minutes >= options.slopeFromMinutes) {
    const perMinute = floors(samples, 60);
    slope = slopeMbPerMinute(perMinute.slice(Math.floor(perMinute.length / 2)));
    if (slope > options.maxSlope) {
      problems.push(
        `RSS floor trend over the second half: +${slope.toFixed(2)} MB/min > ${options.maxSlope}`,
      );
    }
  }
  return { baselineMb, finalMb, limitMb, slope, problems };
}
