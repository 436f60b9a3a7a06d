/**
 * Preloaded into the server under measurement (`node --import`): every isolate (the main thread and each
 * worker thread, which inherits the flag) writes its own memory figures to FOOTPRINT_OUT-<thread>.json
 * once a second, so the bench reads per-isolate heaps without touching the product's code.
 */
import { existsSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import v8 from 'node:v8';
import { isMainThread, threadId } from 'node:worker_threads';

const out = process.env.FOOTPRINT_OUT;

/** glibc's mallinfo2 over every arena, from the project's addon when it has mallocStats (the process's cwd is its root). */
function mallocStats() {
  const path = ['native/udp-batch/build/Release/udp_batch.node', 'dist/native/udp_batch.node']
    .map((p) => join(process.cwd(), p))
    .find((p) => existsSync(p));
  try {
    const binding = path === undefined ? null : createRequire(import.meta.url)(path);
    const stats = typeof binding?.mallocStats === 'function' ? binding.mallocStats() : null;
    return stats === null
      ? null
      : { arena: stats[0], mmapped: stats[1], inUse: stats[2], free: stats[3], topReleasable: stats[4] };
  } catch {
    return null;
  }
}

if (out) {
  const write = () => {
    const spaces = Object.fromEntries(
      v8
        .getHeapSpaceStatistics()
        .map((s) => [
          s.space_name,
          { size: s.space_size, used: s.space_used_size, physical: s.physical_space_size },
        ]),
    );
    const figures = {
      thread: isMainThread ? 'main' : `worker-${threadId}`,
      at: Date.now(),
      memory: isMainThread ? process.memoryUsage() : null,
      heap: v8.getHeapStatistics(),
      spaces,
      malloc: isMainThread ? mallocStats() : null,
    };
    try {
      // Written whole, then renamed: the bench never reads half a file.
      writeFileSync(`${out}-${figures.thread}.tmp`, JSON.stringify(figures));
      renameSync(`${out}-${figures.thread}.tmp`, `${out}-${figures.thread}.json`);
    } catch {
      // the bench's directory is gone: it stopped measuring
    }
  };
  setInterval(write, 1000).unref();
  setTimeout(write, 50).unref();
}
