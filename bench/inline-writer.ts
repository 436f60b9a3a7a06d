/**
 * The query log writer's longest blocking steps, in the main isolate (`log.writer: main`) and, for
 * comparison, the main thread's event-loop delay with the writer in its own thread.
 *
 *   npx tsx bench/inline-writer.ts [--rate=2000] [--seconds=20] [--writers=main,thread]
 *
 * Per writer place: a QueryLog on a fresh querylog.db in a temp dir with app inference on (the shipped app
 * catalog) and retentionDays 1; first 60,000 events a day old are recorded and flushed (so retention has
 * rows to delete during the run), then events are recorded at --rate for --seconds from a 1 ms timer (as
 * DNS records them: 20 devices, 50,000 names with a Zipf-like spread, a third attributed). Reported: each
 * kind of writer step (a transaction of rows with its rollups, the rollup flush, an app inference pass, a
 * retention step) with its count, p50, p99 and longest in ms (main isolate only: in the thread they do not
 * block DNS), the main thread's event-loop delay (p99, max) and the generator's lateness, written/dropped.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { emptyQueryEvent, type QueryEvent, QueryStatus } from '../server/events/query-event.js';
import { silentLogger } from '../server/logger.js';
import type { SliceKind } from '../server/store/log-writer-host.js';
import { QueryLog } from '../server/store/query-log.js';
import type { WriterPlace } from '../server/store/writer-place.js';
import { shippedAppCatalog } from '../server/trackers/apps/app-catalog.js';

const arg = (name: string): string | undefined =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const rate = Number(arg('rate') ?? 2000);
const seconds = Number(arg('seconds') ?? 20);
const places = (arg('writers') ?? 'main,thread').split(',') as WriterPlace[];
const names = Array.from({ length: 50_000 }, (_, i) => `host${i}.example${i % 500}.com`);
const DAY_MS = 86_400_000;

let x = 1;
function fill(ev: QueryEvent, timeMs: number): QueryEvent {
  x = (x * 1103515245 + 12345) & 0x7fffffff;
  const name = Math.min(names.length - 1, Math.floor(names.length ** ((x % 10000) / 10000)) - 1);
  ev.timeMs = timeMs;
  ev.deviceId = 1 + (x % 20);
  ev.clientAddress = `192.168.1.${10 + ev.deviceId}`;
  ev.name = names[name] as string;
  ev.qtype = 1;
  ev.companyId = name % 3 === 0 ? 1 + (name % 100) : 0;
  ev.categoryId = ev.companyId === 0 ? 0 : 1 + (ev.companyId % 12);
  ev.kind = ev.companyId === 0 ? 0 : 1;
  ev.status = ev.companyId !== 0 ? QueryStatus.blocked : QueryStatus.forwarded;
  ev.durationUs = 300;
  return ev;
}

const pct = (sorted: number[], p: number): number =>
  sorted.length === 0 ? 0 : (sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] as number);
const ms = (v: number): string => v.toFixed(2);

async function measure(place: WriterPlace): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), `tracksink-inline-bench-${place}-`));
  const slices = new Map<SliceKind, number[]>();
  let recording = false;
  try {
    const log = await QueryLog.open({
      dataDir: dir,
      retentionDays: 1,
      rollupRetentionDays: 365,
      queries: 'all',
      anonymizeClients: false,
      logger: silentLogger,
      writer: place,
      onWriterSlice: (kind, took) => {
        if (!recording) return;
        let list = slices.get(kind);
        if (list === undefined) slices.set(kind, (list = []));
        list.push(took);
      },
    });
    log.startAppInference(shippedAppCatalog());
    const ev = emptyQueryEvent();
    const old = Date.now() - DAY_MS - 10 * 60_000;
    for (let i = 0; i < 60_000; i++) {
      log.record(fill(ev, old + i * 5));
      if (i % 5000 === 4999) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await log.flush();
    const delay = monitorEventLoopDelay({ resolution: 1 });
    recording = true;
    delay.enable();
    const started = Date.now();
    let sent = 0;
    let late = 0;
    const lateness: number[] = [];
    await new Promise<void>((done) => {
      const step = (): void => {
        const now = Date.now();
        const due = Math.floor(((now - started) / 1000) * rate);
        if (due - sent > rate / 500) late++; // more than 2 ms of queries waited for this turn
        lateness.push(((due - sent) / rate) * 1000);
        while (sent < due) {
          log.record(fill(ev, now));
          sent++;
        }
        if (now - started < seconds * 1000) setTimeout(step, 1);
        else done();
      };
      step();
    });
    delay.disable();
    recording = false;
    await log.flush();
    const stats = log.stats();
    await log.close();
    lateness.sort((a, b) => a - b);
    const lines = [
      `| ${place} | event-loop delay p99 / max | ${ms(delay.percentile(99) / 1e6)} / ${ms(delay.max / 1e6)} ms | generator turns > 2 ms late: ${late}, lateness p99 ${ms(pct(lateness, 0.99))} ms | written ${stats.written}, dropped ${stats.dropped} |`,
    ];
    for (const kind of ['write', 'rollups', 'apps', 'prune'] as SliceKind[]) {
      const list = (slices.get(kind) ?? []).sort((a, b) => a - b);
      if (list.length === 0) continue;
      lines.push(
        `| ${place} | ${kind} steps | ${list.length} | p50 ${ms(pct(list, 0.5))}, p99 ${ms(pct(list, 0.99))}, longest ${ms(list.at(-1) ?? 0)} ms | |`,
      );
    }
    return lines;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const out = [
  `Writer steps at ${rate} q/s for ${seconds} s (Node ${process.version}, load ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')})`,
  '',
  '| writer | what | count | ms | |',
  '|---|---|---:|---|---|',
];
for (const place of places) out.push(...(await measure(place)));
out.push(
  '',
  `load after: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
console.log(out.join('\n'));
