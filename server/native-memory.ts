/**
 * Gives the process's freed native memory back to the system, and decides when (issue 16, bench/GAP.md "trim
 * pass").
 *
 * glibc keeps what threads free in its malloc arenas: after the list parser's thread ends, after SQLite's page
 * caches or a burst of Buffers shrink, resident memory stays at its peak although the process uses less.
 * `malloc_trim(0)` (the addon's `trimMemory`, run on libuv's thread pool, never on the calling thread's loop)
 * returns the free pages of every arena. Without the addon (not built, not Linux, not glibc, an older build
 * without the function) every call here is a no-op that resolves null: never an error.
 *
 * When: right after something freed a lot (`releaseFreedMemory()`: the list parser's thread ended), and on a
 * slow timer (`startMemoryTrimmer`) for what the log writer's retention and rollup passes, the DNS cache's
 * evictions and the dashboard's reads free as they go. Never on the DNS hot path: the call only queues work.
 */
import { loadNativeAddon } from './native-addon.js';

/** What one trim did: whether glibc gave memory back, and how long the call took on the pool thread. */
export interface TrimResult {
  released: boolean;
  micros: number;
}

type TrimFunction = () => Promise<[number, number]>;

/** How often the slow timer trims (ms). One call costs ~0.2-1 ms of a pool thread (GAP.md). */
export const TRIM_INTERVAL_MS = 60_000;

export interface MemoryReleaser {
  /** True when trimming can do anything here (the addon is loaded and has the function). */
  readonly available: boolean;
  /** Trims once; a call while one is running shares it. Null when unavailable or when the trim failed. */
  release(): Promise<TrimResult | null>;
}

/** A releaser over an addon binding (tests pass null or a binding without the function). */
export function createMemoryReleaser(binding: Record<string, unknown> | null): MemoryReleaser {
  const trim =
    binding !== null && typeof binding.trimMemory === 'function'
      ? (binding.trimMemory as TrimFunction)
      : null;
  let running: Promise<TrimResult | null> | null = null;
  return {
    available: trim !== null,
    release(): Promise<TrimResult | null> {
      if (trim === null) return Promise.resolve(null);
      running ??= trim()
        .then(([released, micros]): TrimResult | null =>
          released < 0 ? null : { released: released === 1, micros },
        )
        .catch(() => null)
        .finally(() => {
          running = null;
        });
      return running;
    },
  };
}

let shared: MemoryReleaser | undefined;

/** This thread's trims through releaseFreedMemory() and the timer: how many ended, and their pool-thread time. */
export const memoryTrims = { count: 0, released: 0, micros: 0 };

function sharedReleaser(): MemoryReleaser {
  if (shared) return shared;
  const releaser = createMemoryReleaser(loadNativeAddon().binding);
  return (shared = {
    available: releaser.available,
    release: () =>
      releaser.release().then((result) => {
        if (result !== null) {
          memoryTrims.count++;
          if (result.released) memoryTrims.released++;
          memoryTrims.micros += result.micros;
        }
        return result;
      }),
  });
}

/** Gives freed native memory back now (after a thread ended, a large structure was dropped). No-op without the addon. */
export function releaseFreedMemory(): Promise<TrimResult | null> {
  return sharedReleaser().release();
}

export interface MemoryTrimmer {
  /** Trims so far and the microseconds they took in all (for /metrics and the bench). */
  stats(): { trims: number; released: number; micros: number };
  stop(): void;
}

/** Trims every `intervalMs` on an unref'd timer (it never keeps the process alive). */
export function startMemoryTrimmer(
  options: { intervalMs?: number; releaser?: MemoryReleaser } = {},
): MemoryTrimmer {
  const releaser = options.releaser ?? sharedReleaser();
  const counts = { trims: 0, released: 0, micros: 0 };
  const timer = releaser.available
    ? setInterval(() => {
        void releaser.release().then((result) => {
          if (result === null) return;
          counts.trims++;
          if (result.released) counts.released++;
          counts.micros += result.micros;
        });
      }, options.intervalMs ?? TRIM_INTERVAL_MS)
    : null;
  timer?.unref();
  return {
    stats: () => ({ ...counts }),
    stop: () => {
      if (timer) clearInterval(timer);
    },
  };
}
