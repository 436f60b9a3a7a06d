/**
 * Footprint and start-up of the built server on a small machine (issue 16): `npm run bench:footprint`.
 *
 * Starts `dist/server/main.js` several times on one data dir (the first start downloads nothing: the list
 * is a local file; later starts read the last good copy) with a local stub upstream, and for each start
 * reports spawn → first DNS answer, spawn → first answer from the list (a listed name blocked), spawn →
 * /api/health 200, and, a few seconds after, resident memory plus every isolate's heap (written by
 * lib/footprint-probe.mjs from inside the server). Times depend on the machine's load: compare runs of
 * one invocation, read ranges. Options: --runs=N (default 5), --list=FILE (default StevenBlack from
 * ../shared/fixtures if present, else none), --settle-ms=N (wait before reading memory, default 3000),
 * --mains=A,B (compare builds, e.g. dist/server/main.js and an older copy: started in turn, A B A B).
 */
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { probe } from './lib/dns-probe.js';
import { freePort } from './lib/ports.js';
import { cpuSeconds, rssKb } from './lib/proc-stats.js';

const root = resolve(fileURLToPath(import.meta.url), '..', '..');
const arg = (name: string): string | undefined =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const runs = Number(arg('runs') ?? 5);
const settleMs = Number(arg('settle-ms') ?? 3000);
const defaultList = resolve(root, '..', 'shared', 'fixtures', 'lists', 'stevenblack.domains.txt');
const list = arg('list') ?? (existsSync(defaultList) ? defaultList : null);
const mains = (arg('mains') ?? 'dist/server/main.js').split(',').map((m) => resolve(root, m));
const MB = 1024 * 1024;

/** Answers every query NOERROR with no records: enough for the server's health, never the internet. */
function startStub(): Promise<{ port: number; close(): void }> {
  const socket = createSocket('udp4');
  socket.on('message', (message, rinfo) => {
    if (message.length < 12) return;
    const reply = Buffer.from(message);
    reply.writeUInt16BE(0x8180, 2);
    socket.send(reply, rinfo.port, rinfo.address);
  });
  return new Promise((done) =>
    socket.bind(0, '127.0.0.1', () => done({ port: socket.address().port, close: () => socket.close() })),
  );
}

function firstListedName(file: string | null): string | null {
  if (file === null) return null;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.trim().startsWith('#')) continue;
    const name = line.trim().split(/\s+/).pop() ?? '';
    if (name.includes('.') && !/^[\d.]+$/.test(name)) return name;
  }
  return null;
}

async function healthy(port: number): Promise<boolean> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/api/health`, { signal: AbortSignal.timeout(300) });
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    return false;
  }
}

interface Isolate {
  thread: string;
  memory: NodeJS.MemoryUsage | null;
  heap: { total_heap_size: number; used_heap_size: number; external_memory: number };
  spaces: Record<string, { size: number; used: number }>;
}

interface StartFigures {
  run: number;
  firstAnswerMs: number;
  listAnswerMs: number | null;
  /** CPU time (all threads) the server had used when it first answered from the list: load moves it less than time. */
  listAnswerCpuMs: number | null;
  healthMs: number;
  rssMb: number;
  isolates: Isolate[];
}

async function startOnce(
  main: string,
  run: number,
  dataDir: string,
  configFile: string,
  upstreamPort: number,
  listed: string | null,
): Promise<StartFigures> {
  const dnsPort = await freePort();
  let httpPort = await freePort();
  // Two asks can return the same just-released port: DNS would take it and HTTP fail to start.
  while (httpPort === dnsPort) httpPort = await freePort();
  const out = join(dataDir, 'footprint');
  for (const file of readdirSync(dataDir)) if (file.startsWith('footprint-')) rmSync(join(dataDir, file));
  const started = performance.now();
  const child = spawn(
    process.execPath,
    ['--import', join(root, 'bench', 'lib', 'footprint-probe.mjs'), main],
    {
      cwd: dataDir,
      env: {
        PATH: process.env.PATH ?? '',
        // glibc's allocator settings, to measure their effect (e.g. MALLOC_ARENA_MAX=2).
        ...Object.fromEntries(Object.entries(process.env).filter(([key]) => key.startsWith('MALLOC_'))),
        FOOTPRINT_OUT: out,
        TRACKSINK_CONFIG: configFile,
        TRACKSINK_DATA_DIR: dataDir,
        TRACKSINK_DNS_PORT: String(dnsPort),
        TRACKSINK_HTTP_PORT: String(httpPort),
        TRACKSINK_BIND: '127.0.0.1',
        TRACKSINK_UPSTREAMS: `udp://127.0.0.1:${upstreamPort}`,
        TRACKSINK_BLOCKLISTS: list ?? '',
        TRACKSINK_LOG_LEVEL: 'warn',
        TRACKSINK_PASSWORD: 'footprint-password',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  try {
    let firstAnswerMs: number | null = null;
    let listAnswerMs: number | null = null;
    let listAnswerCpuMs: number | null = null;
    let healthMs: number | null = null;
    const deadline = started + 60_000;
    while (
      (firstAnswerMs === null || (listed !== null && listAnswerMs === null) || healthMs === null) &&
      performance.now() < deadline
    ) {
      if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
      const [answer, health] = await Promise.all([
        firstAnswerMs === null || listAnswerMs === null ? probe(dnsPort, listed ?? 'example.com', 100) : null,
        healthMs === null ? healthy(httpPort) : true,
      ]);
      const now = performance.now() - started;
      if (answer !== null) {
        firstAnswerMs ??= now;
        if (listed !== null && answer.address === '0.0.0.0' && listAnswerMs === null) {
          listAnswerMs = now;
          listAnswerCpuMs = cpuSeconds(child.pid!) * 1000;
        }
      }
      if (health) healthMs ??= now;
      await new Promise((r) => setTimeout(r, 10));
    }
    if (firstAnswerMs === null || healthMs === null) throw new Error('server did not become ready in 60 s');
    await new Promise((r) => setTimeout(r, settleMs));
    const isolates = readdirSync(dataDir)
      .filter((f) => f.startsWith('footprint-'))
      .map((f) => JSON.parse(readFileSync(join(dataDir, f), 'utf8')) as Isolate & { at: number })
      .filter((isolate) => isolate.at > Date.now() - 2500) // a thread that ended stopped writing
      .sort((a, b) => a.thread.localeCompare(b.thread));
    return {
      run,
      firstAnswerMs,
      listAnswerMs,
      listAnswerCpuMs,
      healthMs,
      rssMb: rssKb(child.pid!) / 1024,
      isolates,
    };
  } finally {
    const stopping = performance.now();
    // A server that already exited (it failed to start) sends no second 'exit': do not wait for one.
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    console.error(`  stopped in ${(performance.now() - stopping).toFixed(0)} ms`);
  }
}

const range = (values: number[], digits = 0): string => {
  const sorted = [...values].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  return `${median.toFixed(digits)} (${sorted[0]!.toFixed(digits)}–${sorted.at(-1)!.toFixed(digits)})`;
};

function report(label: string, figures: StartFigures[]): string {
  const later = figures.slice(1);
  const lines = [
    `### ${label}`,
    '',
    `list: ${list ?? 'none'}; ${later.length} starts with the list cached (after one first start); memory read ${settleMs / 1000} s after ready`,
    '',
    '| figure | median (min–max) |',
    '|---|---:|',
    `| spawn → first DNS answer | ${range(later.map((f) => f.firstAnswerMs))} ms |`,
    `| spawn → first answer from the list (a listed name blocked) | ${range(later.map((f) => f.listAnswerMs ?? NaN))} ms |`,
    `| CPU used by then (all threads) | ${range(later.map((f) => f.listAnswerCpuMs ?? NaN))} ms |`,
    `| spawn → /api/health 200 | ${range(later.map((f) => f.healthMs))} ms |`,
    `| resident memory | ${range(
      later.map((f) => f.rssMb),
      1,
    )} MB |`,
  ];
  const threads = [...new Set(later.flatMap((f) => f.isolates.map((i) => i.thread)))];
  for (const thread of threads) {
    const of = later.flatMap((f) => f.isolates.filter((i) => i.thread === thread));
    lines.push(
      `| ${thread}: heap used / reserved | ${range(
        of.map((i) => i.heap.used_heap_size / MB),
        1,
      )} / ${range(
        of.map((i) => i.heap.total_heap_size / MB),
        1,
      )} MB |`,
    );
    for (const space of Object.keys(of[0]!.spaces)) {
      const size = of.map((i) => i.spaces[space]!.size / MB);
      if (Math.max(...size) < 0.5) continue;
      const used = of.map((i) => i.spaces[space]!.used / MB);
      lines.push(`| … ${space} used / reserved | ${range(used, 1)} / ${range(size, 1)} MB |`);
    }
    const memory = of.map((i) => i.memory).filter((m) => m !== null);
    if (memory.length > 0) {
      lines.push(
        `| process external / array buffers | ${range(
          memory.map((m) => m.external / MB),
          1,
        )} / ${range(
          memory.map((m) => m.arrayBuffers / MB),
          1,
        )} MB |`,
      );
    }
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  for (const m of mains)
    if (!existsSync(m)) throw new Error(`${m} is missing: run \`npm run build:server\` first`);
  const dir = mkdtempSync(join(tmpdir(), 'tracksink-footprint-'));
  const configFile = join(dir, 'tracksink.yaml');
  writeFileSync(configFile, 'lists:\n  defaults: false\n');
  const stub = await startStub();
  const listed = firstListedName(list);
  const figures = mains.map(() => [] as StartFigures[]);
  try {
    const dataDirs = mains.map((_, i) => join(dir, `data-${i}`));
    for (const d of dataDirs) mkdirSync(d);
    for (let run = 0; run <= runs; run++) {
      for (const [i, m] of mains.entries()) {
        const f = await startOnce(m, run, dataDirs[i]!, configFile, stub.port, listed);
        figures[i]!.push(f);
        console.error(
          `${m} start ${run}${run === 0 ? ' (first)' : ''}: DNS ${f.firstAnswerMs.toFixed(0)} ms, list ${f.listAnswerMs?.toFixed(0) ?? '-'} ms (CPU ${f.listAnswerCpuMs?.toFixed(0) ?? '-'} ms), health ${f.healthMs.toFixed(0)} ms, RSS ${f.rssMb.toFixed(1)} MB`,
        );
      }
    }
  } finally {
    stub.close();
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(mains.map((m, i) => report(m.slice(root.length + 1), figures[i]!)).join('\n\n'));
}

await main();
