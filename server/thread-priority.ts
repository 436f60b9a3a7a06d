/**
 * Background threads (the log writer, the list parser) step aside for the DNS thread. On a small machine
 * (one or two cores) they share a core with the thread that answers DNS; a SQLite transaction or a list
 * parse runs for several milliseconds, and a query that arrives meanwhile waits for the kernel's time
 * slice: that wait was the p99 latency. With a higher nice value the scheduler lets a waking DNS thread
 * run at once. On Linux the nice value belongs to one thread (setpriority on its thread id), so this
 * changes only the calling thread, never the process. Elsewhere it does nothing.
 *
 * Raising a nice value needs no privilege; lowering it back does (CAP_SYS_NICE), so a thread is lowered
 * once, for its whole life.
 */
import { readlinkSync } from 'node:fs';
import { availableParallelism, setPriority } from 'node:os';

/** The nice value of a background thread that steps aside (the lowest priority there is). */
export const BACKGROUND_NICE = 19;

/**
 * The log writer's nice value: BACKGROUND_NICE when the process may run on one core only (its affinity:
 * a single-core board, `taskset -c 1`), where the writer and the DNS thread always share it and the
 * writer's work is at most a small share of what DNS does. With two cores or more the writer keeps the
 * default: when other processes keep every core busy, a nice-19 writer would get ~1 % of a core, and it
 * needs ~0.5 core at 40,000 queries/s with a ring that holds ~2 s, so it would drop log events.
 */
export function writerNice(cores = availableParallelism()): number {
  return cores <= 1 ? BACKGROUND_NICE : 0;
}

export type PriorityOutcome =
  | { lowered: true; threadId: number; nice: number }
  /** reason null: there was nothing to lower (nice 0 asked). */
  | { lowered: false; reason: string | null };

/** This thread's kernel thread id, from /proc/thread-self (a link to "PID/task/TID"). */
export function kernelThreadId(): number {
  const link = readlinkSync('/proc/thread-self');
  const id = Number(link.slice(link.lastIndexOf('/') + 1));
  if (!Number.isInteger(id) || id <= 0)
    throw new Error(`/proc/thread-self points to "${link}", not PID/task/TID`);
  return id;
}

/**
 * Lowers the calling thread's CPU priority to `nice` (Linux only). Never throws: the outcome says why not,
 * for one log line (the thread works the same, only without stepping aside).
 */
export function lowerThisThreadPriority(
  nice = BACKGROUND_NICE,
  platform = process.platform,
): PriorityOutcome {
  if (nice <= 0) return { lowered: false, reason: null };
  if (platform !== 'linux')
    return { lowered: false, reason: `per-thread priority is Linux-only (${platform})` };
  try {
    const threadId = kernelThreadId();
    setPriority(threadId, nice);
    return { lowered: true, threadId, nice };
  } catch (error) {
    return { lowered: false, reason: `could not lower this thread's priority: ${(error as Error).message}` };
  }
}
