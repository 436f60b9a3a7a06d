/**
 * Preloaded into the server under measurement (`node --import`): every isolate (the main thread and each
 * worker thread, which inherits the flag) writes its own memory figures to FOOTPRINT_OUT-<thread>.json
 * once a second, so the bench reads per-isolate heaps without touching the product's code.
 */
import { writeFileSync } from 'node:fs';
import v8 from 'node:v8';
import { isMainThread, threadId } from 'node:worker_threads';

const out = process.env.FOOTPRINT_OUT;
if (out) {
  const write = () => {
    const spaces = Object.fromEntries(
      v8.getHeapSpaceStatistics().map((s) => [s.space_name, { size: s.space_size, used: s.space_used_size }]),
    );
    const figures = {
      thread: isMainThread ? 'main' : `worker-${threadId}`,
      at: Date.now(),
      memory: isMainThread ? process.memoryUsage() : null,
      heap: v8.getHeapStatistics(),
      spaces,
    };
    try {
      writeFileSync(`${out}-${figures.thread}.json`, JSON.stringify(figures));
    } catch {
      // the bench's directory is gone: it stopped measuring
    }
  };
  setInterval(write, 1000).unref();
  setTimeout(write, 50).unref();
}
