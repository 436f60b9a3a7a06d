/**
 * Resident memory over a run of household traffic (issue 16: "≤ 100 MB after an hour, no growth after
 * warm-up"): `npm run bench:hour -- [--minutes=60] [--rate=200] [--lists=soak|issue|million]
 * [--mixes=home,blocked,cached] [--probe] [--variant=NAME:PARTS ...]`.
 *
 * Starts one tracksink per variant side by side (same lists, same stub upstream, same traffic, so their
 * curves differ only by the variant), each as its checkout's `npm start` runs it (package.json "start":
 * environment, node flags, entry), sends each the chosen mixes in turn at `rate` queries/s for `minutes` from
 * a load generator of its own (bench/lib/latency-load.mjs, in 60 s legs so every leg reports its latency),
 * and samples VmRSS every 30 s and after every leg. A variant is a label and parts separated by commas: node
 * flags (`--max-semi-space-size=2`), environment (`MALLOC_ARENA_MAX=2`), `root=/other/checkout` (that
 * checkout's build and start command), `cacheBytes=N` (dns.cache.maxBytes in its config file) or `plain`
 * (`node <entry>` without the start command's flags and environment). Without --variant: this checkout as
 * shipped.
 *
 * Lists: `soak` (default) the quick run's 100,000 names plus StevenBlack's fixture list, home mix;
 * `issue` the issue's rows: StevenBlack + HaGeZi Light from ../shared/fixtures as local lists, the home mix
 * against StevenBlack (`--lists=issue --rate=2000 --minutes=1` = "RSS at ready" and "after 60 s of a
 * household mix at 2,000 q/s"); `million` the full run's 1,000,000-name list with the blocked then the
 * cached mix (`--lists=million --rate=… --minutes=2`: "with 1,000,000 names after the blocked/cached runs").
 * `--probe` preloads bench/lib/footprint-probe.mjs and reports every isolate's heap at ready and at the end;
 * `--smaps` (with --probe) adds a table of each server's resident memory by mapping at the end.
 * Prints a Markdown section on stdout.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { prepareInputs, type MixInput } from './lib/inputs.js';
import { runPlan } from './lib/options.js';
import { freePort } from './lib/ports.js';
import { cpuSeconds, rssKb } from './lib/proc-stats.js';
import { type ServerProcess, startDnsmasq, startTracksink } from './lib/processes.js';
import { ensureServerBuilt, ensureTools } from './lib/setup.js';
import { smapsBreakdown } from './lib/smaps-breakdown.js';
import { readLogCounts } from './lib/tracksink-stats.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const arg = (name: string): string | undefined =>
  args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const minutes = Number(arg('minutes') ?? 60);
const rate = Number(arg('rate') ?? 200);
const listsChoice = arg('lists') ?? 'soak';
if (!['soak', 'issue', 'million'].includes(listsChoice))
  throw new Error(`--lists=${listsChoice}: expected soak, issue or million`);
const mixChoice = (arg('mixes') ?? (listsChoice === 'million' ? 'blocked,cached' : 'home')).split(',');
const withProbe = args.includes('--probe');
const withSmaps = args.includes('--smaps');
const MB = 1024 * 1024;
const SAMPLE_MS = 30_000;
const LEG_S = 60;
const log = (line: string): void => console.error(`[soak] ${line}`);

interface Variant {
  label: string;
  nodeFlags: string[];
  env: Record<string, string>;
  /** Another checkout's build (root=/path: its start command), to compare two commits in one run. */
  root: string;
  /** `node <entry>` without the start command's flags and environment. */
  plain: boolean;
  /** `cacheBytes=N`: the DNS cache's byte cap (dns.cache.maxBytes) in the variant's config file. */
  cacheBytes?: number;
}

function parseVariants(): Variant[] {
  const given = args.filter((a) => a.startsWith('--variant=')).map((a) => a.slice('--variant='.length));
  if (given.length === 0) {
    return [{ label: 'as shipped', nodeFlags: [], env: {}, root: repoRoot, plain: false }];
  }
  return given.map((text) => {
    const colon = text.indexOf(':');
    const label = colon < 0 ? text : text.slice(0, colon);
    const variant: Variant = { label, nodeFlags: [], env: {}, root: repoRoot, plain: false };
    for (const part of colon < 0 ? [] : text.slice(colon + 1).split(',')) {
      if (part === '') continue;
      if (part === 'plain') {
        variant.plain = true;
        continue;
      }
      if (part.startsWith('--')) variant.nodeFlags.push(part);
      else if (part.startsWith('root=')) variant.root = resolve(part.slice('root='.length));
      else if (part.startsWith('cacheBytes=')) variant.cacheBytes = Number(part.slice('cacheBytes='.length));
      else if (/^[A-Z_]+=/.test(part)) {
        const eq = part.indexOf('=');
        variant.env[part.slice(0, eq)] = part.slice(eq + 1);
      } else
        throw new Error(
          `--variant=${text}: "${part}" is not a node flag (--…), NAME=value, root=…, cacheBytes=… or plain`,
        );
    }
    return variant;
  });
}

function leg(
  port: number,
  file: string,
): Promise<{ answered: number; sent: number; p50Us: number; p99Us: number }> {
  return new Promise((done, fail) => {
    const child = spawn(
      process.execPath,
      [join(repoRoot, 'bench/lib/latency-load.mjs'), String(port), file, String(rate), String(LEG_S)],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('close', (code) =>
      code === 0 ? done(JSON.parse(out)) : fail(new Error(`load exited ${code}`)),
    );
  });
}

interface Curve {
  variant: Variant;
  server: ServerProcess;
  /** [minutes since ready, RSS MB]. */
  rss: Array<[number, number]>;
  /** RSS (MB) right after the server answered from the list, and after each leg of traffic. */
  readyMb: number;
  afterLegMb: number[];
  /** Per-isolate heaps from the footprint probe (--probe), at ready and at the end. */
  heapsAtReady: string;
  dataDir: string;
  answered: number;
  sent: number;
  p99Us: number[];
}

/** The lists and mixes of a run (--lists, --mixes). */
function chooseInputs(): {
  lists: string;
  title: string;
  mixes: MixInput[];
  readyName: string;
  allowedName: string;
  cacheSize: number;
} {
  const fixtures = resolve(repoRoot, '../shared/fixtures/lists');
  const stevenBlack = join(fixtures, 'stevenblack.domains.txt');
  const plan = runPlan(listsChoice !== 'million', stevenBlack);
  const inputs = prepareInputs(
    join(repoRoot, 'bench/work', listsChoice === 'million' ? 'full' : 'quick'),
    plan.inputs,
    log,
  );
  const pick = (id: string): MixInput => {
    const all = listsChoice === 'issue' ? [...inputs.fixture, ...inputs.synthetic] : inputs.synthetic;
    const wanted = id === 'home' ? (listsChoice === 'issue' ? 'fixture' : 'realistic') : id;
    const mix = all.find((m) => m.id === wanted);
    if (mix === undefined) throw new Error(`--mixes: no mix "${id}" (home, blocked, cached)`);
    return mix;
  };
  const mixes = mixChoice.map(pick);
  const names = (n: number): string => n.toLocaleString('en-US');
  if (listsChoice === 'issue') {
    const hagezi = join(fixtures, 'hagezi-light.adblock.txt');
    for (const file of [stevenBlack, hagezi]) if (!existsSync(file)) throw new Error(`${file} is missing`);
    return {
      lists: [stevenBlack, hagezi].join(','),
      title: `StevenBlack (${names(inputs.fixtureNames)} names) + HaGeZi Light from ../shared/fixtures as local lists`,
      mixes,
      readyName: inputs.probe.fixtureBlocked,
      allowedName: inputs.probe.allowed,
      cacheSize: plan.cacheSize,
    };
  }
  const extra = listsChoice === 'soak' && existsSync(stevenBlack) ? [stevenBlack] : [];
  return {
    lists: [inputs.blocklistFile, ...extra].join(','),
    title: `${names(inputs.blocklistNames)} generated names${extra.length > 0 ? " + StevenBlack's fixture list" : ''}`,
    mixes,
    readyName: inputs.probe.blocked,
    allowedName: inputs.probe.allowed,
    cacheSize: plan.cacheSize,
  };
}

interface ProbeFigures {
  thread: string;
  at: number;
  heap: { used_heap_size: number; total_heap_size: number; total_physical_size: number };
  spaces: Record<string, { size: number; used: number }>;
  memory: { external: number; arrayBuffers: number } | null;
  /** glibc's mallinfo2 (main thread, when the addon has mallocStats). */
  malloc?: { arena: number; mmapped: number; inUse: number; free: number; topReleasable: number } | null;
}

function probeFigures(dataDir: string): ProbeFigures[] {
  return readdirSync(dataDir)
    .filter((f) => f.startsWith('footprint-') && f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(join(dataDir, f), 'utf8')) as ProbeFigures)
    .filter((i) => i.at > Date.now() - 3000)
    .sort((a, b) => a.thread.localeCompare(b.thread));
}

/** Asks the probe in the server for one malloc_trim(0) and reads what it gave back and took (rows for --smaps). */
async function probeTrim(dataDir: string): Promise<Array<[string, string]>> {
  const result = join(dataDir, 'footprint-trim.json');
  writeFileSync(join(dataDir, 'footprint-trim-request'), '');
  for (let i = 0; i < 100 && !existsSync(result); i++) await new Promise((r) => setTimeout(r, 100));
  if (!existsSync(result)) return [['one malloc_trim(0) by the probe', 'no answer']];
  const t = JSON.parse(readFileSync(result, 'utf8')) as { before: number; after: number; micros: number };
  return [
    [
      'one malloc_trim(0) by the probe: VmRSS before → after',
      `${(t.before / MB).toFixed(1)} → ${(t.after / MB).toFixed(1)}`,
    ],
    ['… the call (on a pool thread), ms', (t.micros / 1000).toFixed(1)],
  ];
}

/**
 * `--smaps`: the server's resident memory by mapping (bench/lib/smaps-breakdown.ts), with V8's resident heap pages
 * per isolate and what glibc's malloc holds (mallinfo2) from the probe, as Markdown rows: label | MB.
 */
function memoryBreakdown(pid: number, dataDir: string): Array<[string, string]> {
  const rows: Array<[string, string]> = smapsBreakdown(pid).map(([group, kb, count]) => [
    group,
    `${(kb / 1024).toFixed(1)} (${count})`,
  ]);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  for (const field of ['VmRSS', 'RssAnon', 'RssFile', 'RssShmem']) {
    const kb = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1];
    rows.push([
      `${field}${field === 'RssFile' ? ' (clean file pages: the node binary, libraries)' : ''}`,
      kb ? (Number(kb) / 1024).toFixed(1) : '?',
    ]);
  }
  for (const i of probeFigures(dataDir)) {
    rows.push([
      `… V8 heap resident, ${i.thread} (used)`,
      `${(i.heap.total_physical_size / MB).toFixed(1)} (${(i.heap.used_heap_size / MB).toFixed(1)})`,
    ]);
    if (i.memory)
      rows.push([`… array buffers, ${i.thread} (malloc'd)`, (i.memory.arrayBuffers / MB).toFixed(1)]);
    if (i.malloc)
      rows.push([
        '… glibc malloc: arenas / mmapped blocks / in use / free in arenas / releasable at the top',
        [i.malloc.arena, i.malloc.mmapped, i.malloc.inUse, i.malloc.free, i.malloc.topReleasable]
          .map((b) => (b / MB).toFixed(1))
          .join(' / '),
      ]);
  }
  return rows;
}

/** Every live isolate's heap, as the footprint probe last wrote it (used / reserved MB, young generation). */
function heaps(dataDir: string): string {
  return probeFigures(dataDir)
    .map((i) => {
      const young = i.spaces.new_space;
      const buffers = i.memory ? `, array buffers ${(i.memory.arrayBuffers / MB).toFixed(1)}` : '';
      return (
        `${i.thread} ${(i.heap.used_heap_size / MB).toFixed(1)}/${(i.heap.total_heap_size / MB).toFixed(1)}` +
        (young ? ` (young ${(young.used / MB).toFixed(1)}/${(young.size / MB).toFixed(1)})` : '') +
        buffers
      );
    })
    .join('; ');
}

const describeVariant = (v: Variant): string =>
  [
    ...(v.root === repoRoot ? [] : [`root=${v.root}`]),
    ...(v.plain ? ['plain'] : []),
    ...(v.cacheBytes === undefined ? [] : [`dns.cache.maxBytes=${v.cacheBytes}`]),
    ...v.nodeFlags.filter((f) => !f.includes('footprint-probe')),
    ...Object.entries(v.env)
      .filter(([k]) => k !== 'FOOTPRINT_OUT')
      .map(([k, val]) => `${k}=${val}`),
  ].join(' ');

async function main(): Promise<void> {
  ensureTools(log);
  ensureServerBuilt(repoRoot, log);
  const run = chooseInputs();
  const variants = parseVariants();
  const stubPort = await freePort();
  const stub = await startDnsmasq({
    label: 'stub upstream',
    port: stubPort,
    cacheSize: 0,
    readyName: run.allowedName,
    expect: '198.18.0.10',
  });
  const dirs: string[] = [];
  const curves: Curve[] = [];
  const probe = join(repoRoot, 'bench/lib/footprint-probe.mjs');
  try {
    for (const variant of variants) {
      const dataDir = mkdtempSync(join(tmpdir(), 'tracksink-soak-'));
      dirs.push(dataDir);
      const configFile = join(dataDir, 'bench.yaml');
      writeFileSync(
        configFile,
        `http:\n  bind: 127.0.0.1\nlists:\n  defaults: false\ndns:\n  cache:\n    maxEntries: ${run.cacheSize}\n` +
          (variant.cacheBytes === undefined ? '' : `    maxBytes: ${variant.cacheBytes}\n`) +
          'log:\n  queries: all\n',
      );
      log(`starting tracksink "${variant.label}" (${describeVariant(variant) || 'as npm start runs it'})`);
      const server = await startTracksink({
        label: variant.label,
        repoRoot: variant.root,
        port: await freePort(),
        httpPort: await freePort(),
        dataDir,
        configFile,
        upstreamPort: stubPort,
        blocklist: run.lists,
        readyName: run.readyName,
        expect: '0.0.0.0',
        nodeFlags: [...(withProbe ? [`--import=${probe}`] : []), ...variant.nodeFlags],
        env: { ...variant.env, ...(withProbe ? { FOOTPRINT_OUT: join(dataDir, 'footprint') } : {}) },
        plain: variant.plain,
      });
      const readyMb = Math.round(rssKb(server.pid) / 1024);
      log(`"${variant.label}" ready: ${readyMb} MB`);
      curves.push({
        variant,
        server,
        rss: [],
        readyMb,
        afterLegMb: [],
        heapsAtReady: '',
        dataDir,
        answered: 0,
        sent: 0,
        p99Us: [],
      });
    }
    if (withProbe) {
      await new Promise((r) => setTimeout(r, 1500));
      for (const c of curves) c.heapsAtReady = heaps(c.dataDir);
    }
    const began = performance.now();
    const sample = (): void => {
      const at = Math.round((performance.now() - began) / 6000) / 10;
      for (const c of curves) c.rss.push([at, Math.round(rssKb(c.server.pid) / 1024)]);
    };
    sample();
    const sampler = setInterval(sample, SAMPLE_MS);
    const cpuBefore = curves.map((c) => cpuSeconds(c.server.pid));
    try {
      for (let done = 0; done < minutes; done++) {
        const mix = run.mixes[done % run.mixes.length] as MixInput;
        const round = Math.floor(done / run.mixes.length);
        const legs = await Promise.all(
          curves.map((c) => leg(c.server.port, mix.files[round % mix.files.length] as string)),
        );
        legs.forEach((result, i) => {
          const c = curves[i] as Curve;
          c.answered += result.answered;
          c.sent += result.sent;
          c.p99Us.push(result.p99Us);
          c.afterLegMb.push(Math.round(rssKb(c.server.pid) / 1024));
        });
        log(
          `minute ${done + 1}/${minutes} (${mix.id}): ${curves.map((c) => `${c.variant.label} ${c.afterLegMb.at(-1)} MB`).join(', ')}`,
        );
      }
    } finally {
      clearInterval(sampler);
    }
    sample();
    const breakdowns = withSmaps ? curves.map((c) => memoryBreakdown(c.server.pid, c.dataDir)) : [];
    if (withSmaps) {
      for (const [i, c] of curves.entries())
        (breakdowns[i] as Array<[string, string]>).push(...(await probeTrim(c.dataDir)));
    }
    const lines = [
      `## Memory over ${minutes} minute${minutes === 1 ? '' : 's'} of traffic (${rate.toLocaleString('en-US')} q/s, ${run.mixes.map((m) => m.title).join(' then ')})`,
      '',
      `Lists: ${run.title}; RSS (MB) right after ready, after each ${LEG_S} s leg, and every ${SAMPLE_MS / 1000} s (minutes since ready).` +
        (withProbe ? ' Heaps per isolate: used/reserved MB (young generation used/reserved).' : ''),
      '',
    ];
    for (const [i, c] of curves.entries()) {
      const cpu = cpuSeconds(c.server.pid) - (cpuBefore[i] as number);
      const counts = c.server.httpPort === null ? null : await readLogCounts(c.server.httpPort);
      const quarter = c.rss[Math.floor(c.rss.length / 4)]?.[1] ?? 0;
      const last = c.rss.at(-1)?.[1] ?? 0;
      const sortedP99 = [...c.p99Us].sort((a, b) => a - b);
      lines.push(
        `- **${c.variant.label}** (${describeVariant(c.variant) || 'as npm start runs it'}): ` +
          `ready ${c.readyMb} MB, after the first ${LEG_S} s ${c.afterLegMb[0] ?? '?'} MB, max ${Math.max(c.readyMb, ...c.rss.map(([, mb]) => mb))} MB, end ${last} MB; ` +
          `growth over the last three quarters ${last - quarter} MB; answered ${c.answered.toLocaleString('en-US')}/${c.sent.toLocaleString('en-US')}; ` +
          `CPU ${((cpu / Math.max(1, c.answered)) * 1e6).toFixed(0)} µs/query; median minute's p99 ${((sortedP99[Math.floor(sortedP99.length / 2)] ?? 0) / 1000).toFixed(2)} ms; ` +
          `log events written ${counts?.written ?? '?'}, dropped ${counts?.dropped ?? '?'}`,
        `  - ${c.rss.map(([t, mb]) => `${t} min ${mb}`).join(', ')}`,
      );
      if (withProbe)
        lines.push(`  - heaps at ready: ${c.heapsAtReady}`, `  - heaps at the end: ${heaps(c.dataDir)}`);
    }
    if (withSmaps) {
      const labels = [...new Set(breakdowns.flatMap((rows) => rows.map(([label]) => label)))];
      lines.push(
        '',
        `Resident memory by mapping at the end (MB, and how many mappings; /proc/PID/smaps, V8 and malloc figures from the probe):`,
        '',
        `| | ${curves.map((c) => c.variant.label).join(' | ')} |`,
        `|---|${curves.map(() => '---:').join('|')}|`,
        ...labels.map(
          (label) =>
            `| ${label} | ${breakdowns.map((rows) => rows.find(([l]) => l === label)?.[1] ?? '–').join(' | ')} |`,
        ),
      );
    }
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    for (const c of curves) await c.server.stop();
    await stub.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(`bench:hour: ${(error as Error).message}`);
  process.exit(1);
});
