/**
 * Preloaded into the server under measurement (`node --import`, `npm run bench:small -- --probe`): each
 * isolate (main thread, and each worker thread, which inherits the flag) writes to
 * LATENCY_PROBE_OUT-<thread>.json once a second what held its event loop: the event-loop delay histogram
 * (perf_hooks.monitorEventLoopDelay), every timer callback that ran longer than 0.5 ms (its name or source
 * start, how often, the longest), garbage-collection pauses by kind, and each stall over 20 ms with the
 * seconds since start. Product code is untouched; only timers created after the preload are wrapped.
 */
import { writeFileSync } from 'node:fs';
import { monitorEventLoopDelay, PerformanceObserver, performance } from 'node:perf_hooks';
import { isMainThread, threadId } from 'node:worker_threads';

const out = process.env.LATENCY_PROBE_OUT;
if (out) {
  const SLOW_MS = 0.5;
  const began = performance.now();
  const thread = isMainThread ? 'main' : `worker-${threadId}`;
  const eld = monitorEventLoopDelay({ resolution: 1 });
  eld.enable();
  /** name → [count, total ms, max ms] of callbacks over SLOW_MS. */
  const slow = new Map();
  /** [seconds since start, ms, what] of loop blocks over 20 ms. */
  const stalls = [];
  const gc = new Map();
  const describe = (fn) => fn.name || String(fn).replace(/\s+/g, ' ').slice(0, 90);
  const note = (fn, ms) => {
    const key = describe(fn);
    const entry = slow.get(key) ?? [0, 0, 0];
    entry[0] += 1;
    entry[1] += ms;
    entry[2] = Math.max(entry[2], ms);
    slow.set(key, entry);
    if (ms > 20) stalls.push([((performance.now() - began) / 1000).toFixed(2), ms.toFixed(1), key]);
  };
  const wrap = (fn) =>
    typeof fn !== 'function'
      ? fn
      : function timed(...args) {
          const t0 = performance.now();
          try {
            return fn.apply(this, args);
          } finally {
            const ms = performance.now() - t0;
            if (ms > SLOW_MS) note(fn, ms);
          }
        };
  const ownInterval = globalThis.setInterval;
  for (const name of ['setTimeout', 'setInterval', 'setImmediate']) {
    const original = globalThis[name];
    globalThis[name] = (fn, ...rest) => original(wrap(fn), ...rest);
  }
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = entry.detail?.kind ?? entry.kind ?? 0;
      const g = gc.get(kind) ?? [0, 0, 0];
      g[0] += 1;
      g[1] += entry.duration;
      g[2] = Math.max(g[2], entry.duration);
      gc.set(kind, g);
      if (entry.duration > 20)
        stalls.push([((entry.startTime - began) / 1000).toFixed(2), entry.duration.toFixed(1), `gc ${kind}`]);
    }
  }).observe({ entryTypes: ['gc'] });
  // Any block of the loop (not only timers: I/O callbacks, promise chains, module loading) over 50 ms,
  // with when it happened: a 10 ms heartbeat that came late.
  let beat = performance.now();
  ownInterval(() => {
    const now = performance.now();
    if (now - beat > 60)
      stalls.push([((beat - began) / 1000).toFixed(2), (now - beat - 10).toFixed(1), 'loop']);
    beat = now;
  }, 10).unref();
  const ms = (ns) => Number((ns / 1e6).toFixed(2));
  const write = () => {
    const figures = {
      thread,
      seconds: Number(((performance.now() - began) / 1000).toFixed(1)),
      loopDelayMs: {
        p50: ms(eld.percentile(50)),
        p99: ms(eld.percentile(99)),
        p999: ms(eld.percentile(99.9)),
        max: ms(eld.max),
      },
      // GC kinds: 1 scavenge, 2 mark-compact, 4 incremental marking, 8 weak callbacks.
      gc: Object.fromEntries(
        [...gc].map(([k, [n, total, max]]) => [
          k,
          { count: n, totalMs: Number(total.toFixed(1)), maxMs: Number(max.toFixed(2)) },
        ]),
      ),
      slowCallbacks: [...slow]
        .sort((a, b) => b[1][1] - a[1][1])
        .slice(0, 20)
        .map(([what, [n, total, max]]) => ({
          what,
          count: n,
          totalMs: Number(total.toFixed(1)),
          maxMs: Number(max.toFixed(2)),
        })),
      stalls: stalls.slice(-40),
    };
    try {
      writeFileSync(`${out}-${thread}.json`, JSON.stringify(figures, null, 1));
    } catch {
      // the bench's directory is gone: it stopped measuring
    }
  };
  ownInterval(write, 1000).unref();
}
