/**
 * The log writer alone (store/log-writer.ts, with app inference as the server runs it), fed batches as
 * the writer thread takes them from the ring at 40,000 queries/s (2,000 events every 50 ms), timed in CPU
 * seconds of this process (all threads), so a change to the writer can be measured without dnsperf.
 *
 *   npm run bench:writer -- [--events=400000] [--names=100000] [--mix=blocked|cached|home] [--no-apps]
 *                           [--devices=10] [--pragma=cache_size=-8192 ...]
 *
 * `--devices=1` is the shape of `npm run bench` (every query from one client). "longest tick" is the
 * longest single batch (with the passes that fell due in it): the ring holds ~2 s at 40k q/s.
 *
 * Mixes: blocked = random names of a `names`-name list (each a tracker endpoint, as a list block is);
 * cached = 300 names; home = Zipf-spread names with app hosts and trackers among them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QueryStatus, emptyQueryEvent } from '../server/events/query-event.js';
import { AppHostIndex, appHostTable } from '../server/store/app-hosts.js';
import { WriterAppInference } from '../server/store/app-inference.js';
import { LogWriter } from '../server/store/log-writer.js';
import type { DecodedEvent } from '../server/store/query-queue.js';
import { shippedAppCatalog } from '../server/trackers/apps/app-catalog.js';
import { createRandom } from './lib/prng.js';

function option(name: string, fallback: string): string {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  return arg === undefined ? fallback : arg.slice(name.length + 3);
}

const total = Number(option('events', '400000'));
const nameCount = Number(option('names', '100000'));
const mix = option('mix', 'blocked');
const withApps = !process.argv.includes('--no-apps');
const devices = Number(option('devices', '10'));
// 40,000 events/s: a batch of BATCH events every TICK_MS (the writer thread's drain period).
const TICK_MS = Number(option('tick', '50'));
const BATCH = Math.round(40 * TICK_MS);
const rng = createRandom(16);
const random = (): number => rng.next();

const appHosts = ['api22-normal-c-useast1a.tiktokv.com', 'i.instagram.com', 'www.netflix.com'];
function nameFor(i: number): { name: string; kind: number } {
  if (mix === 'cached') return { name: `cached${Math.floor(random() * 300)}.example.com`, kind: 0 };
  if (mix === 'blocked')
    return { name: `t${Math.floor(random() * nameCount)}.tracker-list.example`, kind: 1 };
  // home: Zipf-like over nameCount names, an app host every 20th query, a tracker every 4th.
  if (i % 20 === 0) return { name: appHosts[i % appHosts.length] as string, kind: 0 };
  const rank = Math.floor(Math.exp(random() * Math.log(nameCount)));
  return { name: `h${rank}.home.example`, kind: i % 4 === 0 ? 1 : 0 };
}

function makeEvents(start: number): DecodedEvent[] {
  const events: DecodedEvent[] = [];
  for (let i = 0; i < total; i++) {
    const ev = emptyQueryEvent();
    const { name, kind } = nameFor(i);
    ev.timeMs = start + (i * TICK_MS) / BATCH;
    ev.deviceId = 1 + (i % devices);
    ev.clientAddress = `192.168.1.${1 + (i % devices)}`;
    ev.name = name;
    ev.qtype = 1;
    ev.status = kind === 1 ? QueryStatus.blocked : QueryStatus.cached;
    ev.kind = kind;
    ev.companyId = kind === 1 ? 7 : 0;
    ev.durationUs = 50;
    events.push({ ...ev } as DecodedEvent);
  }
  return events;
}

const dir = mkdtempSync(join(tmpdir(), 'tracksink-writer-micro-'));
try {
  const writer = new LogWriter({
    dbPath: join(dir, 'querylog.db'),
    retentionDays: 30,
    rollupRetentionDays: 365,
    queries: 'all',
    anonymizeClients: false,
  });
  if (!writer.open()) throw new Error(writer.error ?? 'the writer did not open');
  // Experiments: --pragma=cache_size=-8192 (several allowed) on the writer's handle.
  for (const a of process.argv.filter((x) => x.startsWith('--pragma='))) {
    writer.handle?.pragma(a.slice('--pragma='.length));
  }
  const apps = withApps
    ? new WriterAppInference({
        catalog: new AppHostIndex(appHostTable(shippedAppCatalog())),
        db: () => writer.handle,
        dataDir: dir,
      })
    : null;
  if (apps !== null) writer.attachFeed(apps.feed);
  const start = Date.now() - 3_600_000;
  const events = makeEvents(start);
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  // The longest tick (one batch plus whatever pass fell due in it): the ring holds ~2 s at 40k q/s.
  let longestTick = 0;
  for (let i = 0; i < events.length; i += BATCH) {
    const now = start + ((i + BATCH) * TICK_MS) / BATCH;
    const t0 = performance.now();
    writer.write(events.slice(i, i + BATCH), now);
    apps?.tick(now);
    longestTick = Math.max(longestTick, performance.now() - t0);
  }
  writer.write([], start + total, true);
  apps?.tick(start + total + 10_000, true);
  const cpu = process.cpuUsage(cpu0);
  const wall = performance.now() - wall0;
  if (writer.dropped > 0 || writer.written !== total) {
    throw new Error(`written ${writer.written}, dropped ${writer.dropped} of ${total}`);
  }
  const perEvent = ((cpu.user + cpu.system) / total).toFixed(2);
  console.log(
    `mix=${mix} names=${nameCount} devices=${devices} events=${total} apps=${withApps}: ${perEvent} µs CPU per event ` +
      `(user ${(cpu.user / total).toFixed(2)}, system ${(cpu.system / total).toFixed(2)}), wall ${(wall / 1000).toFixed(1)} s, longest tick ${longestTick.toFixed(0)} ms`,
  );
  writer.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
