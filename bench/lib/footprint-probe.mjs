/**
 * Preloaded into the server under measurement (`node --import`): every isolate (the main thread and each
 * worker thread, which inherits the flag) writes its own memory figures to FOOTPRINT_OUT-<thread>.json
 * once a second, so the bench reads per-isolate heaps without touching the product's code.
 */
import { existsSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import { isMainThread, threadId } from 'node:worker_threads';

const out = process.env.FOOTPRINT_OUT;

/**
 * The bench checkout's addon (beside this probe, so a base build under measurement gets the same functions), or
 * the measured server's own (its cwd is its root); null without one. Loaded once.
 */
let loadedAddon;
function addon() {
  if (loadedAddon !== undefined) return loadedAddon;
  const benchRoot = fileURLToPath(new URL('../..', import.meta.url));
  const path = [benchRoot, process.cwd()]
    .flatMap((root) =>
      ['native/udp-batch/build/Release/udp_batch.node', 'dist/native/udp_batch.node'].map((p) =>
        join(root, p),
      ),
    )
    .find((p) => existsSync(p));
  try {
    loadedAddon = path === undefined ? null : createRequire(import.meta.url)(path);
  } catch {
    loadedAddon = null;
  }
  return loadedAddon;
}

/**
 * The bench asks for one trim (a file `FOOTPRINT_OUT-trim-request`): the main thread calls the addon's trimMemory
 * and writes VmRSS before and after and the call's time, to tell what a trim gives back at this moment and what
 * it costs at this heap size.
 */
async function trimOnRequest() {
  const request = `${out}-trim-request`;
  if (!existsSync(request)) return;
  rmSync(request, { force: true });
  const binding = addon();
  if (typeof binding?.trimMemory !== 'function') return;
  const before = process.memoryUsage().rss;
  const [released, micros] = await binding.trimMemory();
  writeFileSync(
    `${out}-trim.json`,
    JSON.stringify({ before, after: process.memoryUsage().rss, released, micros }),
  );
}

/** glibc's mallinfo2 over every arena, from the project's addon when it has mallocStats. */
function mallocStats() {
  try {
    const binding = addon();
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
  setInterval(() => {
    write();
    if (isMainThread) void trimOnRequest();
  }, 1000).unref();
  setTimeout(write, 50).unref();
}
