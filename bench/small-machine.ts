/**
 * The "small machine" run of issue 16: `npm run bench:small` (and the last part of `npm run bench`).
 *
 * Each server (tracksink, then dnsmasq) runs on one core (`taskset -c 1`), the load generator on another
 * (`taskset -c 0`; bench/lib/load-generator.ts: open loop, one query at each due time, kernel receive
 * timestamps, per-query latency; `--load=node` for the older JavaScript one). At 2,000 queries/s, a
 * household's rate with room to spare, it sends in turn: cache hits (names answered once before), blocked
 * names, and the home mix (forwarded, cached and blocked names in a Zipf spread), and reports p50/p90/p99
 * and the CPU per query of each, plus resident memory sampled every 5 s over the whole run and 15 s after
 * (is it flat after warm-up?). Options: --seconds=N per mix (default 30), --full (the 1,000,000-name list;
 * default the quick run's 100,000), --cpu=N (the server's core, default 1; the load runs on 0).
 * Before/after in one run: --mains=/tmp/base/dist/server/main.js,dist/server/main.js starts each build in
 * turn (from its own checkout) for --rounds=N rounds (A B A B …, default 1), so both see the same load;
 * an entry may add node flags and NAME=value environment after spaces ('dist/server/main.js
 * --single-threaded-gc', 'dist/server/main.js TRACKSINK_LOG_WRITER=main'); --plain starts
 * each as `node <flags> <entry>`, without the environment and node flags of its package.json start script;
 * --mixes=cached,blocked,realistic picks mixes; --no-dnsmasq skips the peer; --probe preloads
 * bench/lib/latency-probe.mjs (event-loop delay, timer callbacks over 0.5 ms, GC pauses, stalls) and prints
 * what it found per server run on stderr. The load average is printed beside each server run.
 * --rt runs each server's main thread (chrt --fifo --reset-on-fork: its other threads stay normal) and the load
 * generator at a real-time priority, so on a shared machine other processes do not stand between a query
 * and its answer (needs root or CAP_SYS_NICE); --dnsperf also times each mix with dnsperf -v, a C tool
 * independent of ours (its own pacing and clock), as a cross-check column.
 * Prints a Markdown section on stdout.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { prepareInputs, type MixInput } from './lib/inputs.js';
import { type GeneratorKind, loadGenerator } from './lib/load-generator.js';
import { runPlan } from './lib/options.js';
import { freePort } from './lib/ports.js';
import { cpuSeconds, rssKb } from './lib/proc-stats.js';
import { type ServerProcess, startDnsmasq, startTracksink } from './lib/processes.js';
import { ensureServerBuilt, ensureTools } from './lib/setup.js';
import { readLogCounts } from './lib/tracksink-stats.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name: string): string | undefined =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const full = process.argv.includes('--full');
const seconds = Number(arg('seconds') ?? 30);
const serverCpu = Number(arg('cpu') ?? 1);
const loadCpu = serverCpu === 0 ? 1 : 0;
// --mains=none: dnsmasq alone (the harness's own floor).
const builds = (arg('mains') === 'none' ? [] : (arg('mains') ?? 'dist/server/main.js').split(',')).map(
  (entry) => {
    const [main, ...parts] = entry.trim().split(/\s+/);
    // NAME=value parts are that server's environment (e.g. TRACKSINK_LOG_WRITER=main), the rest node flags.
    const env = Object.fromEntries(
      parts.filter((part) => /^[A-Z_][A-Z0-9_]*=/.test(part)).map((part) => part.split(/=(.*)/s, 2)),
    ) as Record<string, string>;
    const flags = parts.filter((part) => !/^[A-Z_][A-Z0-9_]*=/.test(part));
    return { main: resolve(repoRoot, main ?? ''), flags, env };
  },
);
const plain = process.argv.includes('--plain');
const rounds = Number(arg('rounds') ?? 1);
const mixIds = (arg('mixes') ?? 'cached,blocked,realistic').split(',');
const withDnsmasq = !process.argv.includes('--no-dnsmasq');
const withProbe = process.argv.includes('--probe');
const realtime = process.argv.includes('--rt');
const withDnsperf = process.argv.includes('--dnsperf');
/** SCHED_FIFO priorities with --rt: the generator above the server, so its sends stay on time. */
const RT_SERVER = 10;
const RT_LOAD = 20;
const generator = loadGenerator(repoRoot, arg('load') as GeneratorKind | undefined, (line) =>
  console.error(`[small] ${line}`),
);
const MIX_TITLES: Record<string, string> = {
  cached: 'cache hits',
  blocked: 'blocked',
  realistic: 'home mix',
};
const loadAverage = (): string =>
  loadavg()
    .map((n) => n.toFixed(2))
    .join(' ');
const RATE = 2000;
const log = (line: string): void => console.error(`[small] ${line}`);

interface LatencyResult {
  sent: number;
  answered: number;
  p50Us: number;
  p90Us: number;
  p99Us: number;
  maxUs: number;
  /** dnsperf -v's own p50/p99 on the same mix (--dnsperf), µs. */
  dnsperf?: { p50Us: number; p99Us: number; answered: number };
  /** Seconds into the mix when the first and last query that got no answer were sent (null: none). */
  unanswered: [number, number] | null;
}

function load(port: number, file: string, rate: number, secs: number): Promise<LatencyResult> {
  return new Promise((done, fail) => {
    const [command, ...args] = generator.command as [string, ...string[]];
    const rt = realtime && generator.kind === 'c' ? [String(RT_LOAD)] : [];
    const child = spawn(
      'taskset',
      ['-c', String(loadCpu), command, ...args, String(port), file, String(rate), String(secs), ...rt],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('close', (code) =>
      code === 0 ? done(JSON.parse(out) as LatencyResult) : fail(new Error(`load exited ${code}`)),
    );
  });
}

interface ServerResult {
  label: string;
  /** Load average (1, 5, 15 min) when the server's run began and ended. */
  load: [string, string];
  mixes: Array<{ title: string; latency: LatencyResult; cpuUsPerQuery: number }>;
  /** [seconds since ready, RSS MB]. */
  memory: Array<[number, number]>;
  dropped: number | null;
}

async function measure(
  server: ServerProcess,
  mixes: Array<{ title: string; mix: MixInput }>,
): Promise<ServerResult> {
  const began = performance.now();
  const memory: Array<[number, number]> = [];
  const sample = (): void => {
    memory.push([Math.round((performance.now() - began) / 1000), Math.round(rssKb(server.pid) / 1024)]);
  };
  sample();
  const sampler = setInterval(sample, 5000);
  const result: ServerResult = {
    label: server.label,
    load: [loadAverage(), ''],
    mixes: [],
    memory,
    dropped: null,
  };
  const droppedBefore = server.httpPort === null ? null : (await readLogCounts(server.httpPort))?.dropped;
  try {
    for (const { title, mix } of mixes) {
      if (mix.warm) await load(server.port, mix.warm, RATE, 2);
      const cpu = cpuSeconds(server.pid);
      const latency = await load(server.port, mix.files[1] ?? (mix.files[0] as string), RATE, seconds);
      const used = cpuSeconds(server.pid) - cpu;
      if (withDnsperf) latency.dnsperf = await dnsperfLatency(server.port, mix.files[0] as string, RATE, 5);
      result.mixes.push({ title, latency, cpuUsPerQuery: (used / Math.max(1, latency.answered)) * 1e6 });
      log(
        `${server.label} ${title}: p50 ${latency.p50Us} µs, p99 ${latency.p99Us} µs, ${latency.answered}/${latency.sent}` +
          (latency.dnsperf
            ? `; dnsperf -v: p50 ${latency.dnsperf.p50Us} µs, p99 ${latency.dnsperf.p99Us} µs`
            : '') +
          (latency.unanswered ? `, unanswered ones sent ${latency.unanswered.join('–')} s into the mix` : ''),
      );
    }
    await sleep(15_000); // idle after the load: does memory come back or stay flat?
    sample();
  } finally {
    clearInterval(sampler);
    result.load[1] = loadAverage();
  }
  if (server.httpPort !== null && droppedBefore != null) {
    const after = (await readLogCounts(server.httpPort))?.dropped;
    result.dropped = after == null ? null : after - droppedBefore;
  }
  return result;
}

function markdown(results: ServerResult[], listNames: number): string {
  const us = (n: number): string => (n / 1000).toFixed(2);
  const lines = [
    `## Small machine: one core (taskset -c ${serverCpu}), ${RATE.toLocaleString('en-US')} queries/s`,
    '',
    `List: ${listNames.toLocaleString('en-US')} names; each mix ${seconds} s at ${RATE} q/s from a load generator on core ${loadCpu} (${generator.kind === 'c' ? 'bench/lib/udp-latency.c: paced, kernel receive timestamps' : 'bench/lib/latency-load.mjs'}${realtime ? '; server main thread and generator at real-time priority (--rt)' : ''}); latency from send to answer as the client sees it (ms).`,
    '',
    `| server | mix | p50 ms | p90 ms | p99 ms | max ms | answered | CPU µs/query | load average |${withDnsperf ? ' dnsperf -v p50 / p99 ms |' : ''}`,
    `|---|---|---:|---:|---:|---:|---:|---:|---|${withDnsperf ? '---:|' : ''}`,
  ];
  for (const r of results) {
    for (const m of r.mixes) {
      lines.push(
        `| ${r.label} | ${m.title} | ${us(m.latency.p50Us)} | ${us(m.latency.p90Us)} | ${us(m.latency.p99Us)} | ${us(m.latency.maxUs)} | ${m.latency.answered.toLocaleString('en-US')}/${m.latency.sent.toLocaleString('en-US')} | ${m.cpuUsPerQuery.toFixed(0)} | ${r.load[0]} → ${r.load[1]} |${m.latency.dnsperf ? ` ${us(m.latency.dnsperf.p50Us)} / ${us(m.latency.dnsperf.p99Us)} |` : ''}`,
      );
    }
  }
  lines.push(
    '',
    'Resident memory over the run (MB; seconds since ready, sampled every 5 s, the last 15 s after the load):',
    '',
  );
  for (const r of results) {
    lines.push(`- ${r.label}: ${r.memory.map(([t, mb]) => `${t}s ${mb}`).join(', ')}`);
    if (r.dropped !== null) lines.push(`  - log events dropped during the run: ${r.dropped}`);
  }
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  ensureTools(log);
  ensureServerBuilt(repoRoot, log);
  const fixtureList = join(resolve(repoRoot, '../shared/fixtures'), 'lists/stevenblack.domains.txt');
  const plan = runPlan(!full, fixtureList);
  const inputs = prepareInputs(join(repoRoot, 'bench/work', full ? 'full' : 'quick'), plan.inputs, log);
  const byId = new Map(inputs.synthetic.map((m) => [m.id, m]));
  const mixes = mixIds.map((id) => {
    const mix = byId.get(id);
    if (!mix) throw new Error(`--mixes: no mix "${id}" (cached, blocked, realistic)`);
    return { title: MIX_TITLES[id] ?? id, mix };
  });
  for (const { main } of builds) {
    if (!existsSync(main)) throw new Error(`--mains: ${main} does not exist (build that checkout first)`);
  }
  const stubPort = await freePort();
  const stub = await startDnsmasq({
    label: 'stub upstream',
    port: stubPort,
    cacheSize: 0,
    readyName: inputs.probe.allowed,
    expect: '198.18.0.10',
    pinToCpu: loadCpu,
  });
  const dataDir = mkdtempSync(join(tmpdir(), 'tracksink-small-'));
  const configFile = join(dataDir, 'bench.yaml');
  writeFileSync(
    configFile,
    `http:\n  bind: 127.0.0.1\nlists:\n  defaults: false\ndns:\n  cache:\n    maxEntries: ${plan.cacheSize}\nlog:\n  queries: all\n`,
  );
  const results: ServerResult[] = [];
  try {
    for (let round = 0; round < rounds; round++) {
      for (const [index, { main, flags, env }] of builds.entries()) {
        const envParts = Object.entries(env).map(([name, value]) => `${name}=${value}`);
        const label =
          builds.length === 1 ? 'tracksink' : `tracksink ${[labelOf(main), ...flags, ...envParts].join(' ')}`;
        log(`${label} on one core (round ${round + 1}/${rounds}, load average ${loadAverage()})`);
        const serverDir = join(dataDir, `data-${index}-${round}`);
        const probeOut = join(dataDir, `probe-${index}-${round}`);
        const tracksink = await startTracksink({
          label,
          repoRoot: resolve(dirname(main), '../..'),
          main,
          plain,
          nodeFlags: [
            ...flags,
            ...(withProbe ? ['--import', join(repoRoot, 'bench/lib/latency-probe.mjs')] : []),
          ],
          port: await freePort(),
          httpPort: await freePort(),
          dataDir: serverDir,
          configFile,
          upstreamPort: stubPort,
          blocklist: inputs.blocklistFile,
          readyName: inputs.probe.blocked,
          expect: '0.0.0.0',
          pinToCpu: serverCpu,
          ...(realtime ? { realtime: RT_SERVER } : {}),
          env: { ...env, ...(withProbe ? { LATENCY_PROBE_OUT: probeOut } : {}) },
        });
        try {
          results.push(await measure(tracksink, mixes));
        } finally {
          await tracksink.stop();
        }
        if (withProbe) printProbe(label, dataDir, `probe-${index}-${round}`);
      }
    }
    if (withDnsmasq) results.push(await measureDnsmasq(stubPort, inputs, plan.cacheSize, mixes));
  } finally {
    await stub.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  process.stdout.write(markdown(results, inputs.blocklistNames));
}

async function measureDnsmasq(
  stubPort: number,
  inputs: { blocklistFile: string; probe: { blocked: string } },
  cacheSize: number,
  mixes: Array<{ title: string; mix: MixInput }>,
): Promise<ServerResult> {
  log(`dnsmasq on one core (load average ${loadAverage()})`);
  const dnsmasq = await startDnsmasq({
    label: 'dnsmasq',
    port: await freePort(),
    upstreamPort: stubPort,
    hostsFile: inputs.blocklistFile,
    cacheSize,
    readyName: inputs.probe.blocked,
    expect: '0.0.0.0',
    pinToCpu: serverCpu,
    ...(realtime ? { realtime: RT_SERVER } : {}),
  });
  try {
    return await measure(dnsmasq, mixes);
  } finally {
    await dnsmasq.stop();
  }
}

/**
 * dnsperf -v on the same mix for `secs` seconds (paced with -Q): it prints each answer's latency, timed by
 * its own receive thread; p50 and p99 of those, µs. A cross-check of our generator by an independent tool.
 */
function dnsperfLatency(
  port: number,
  file: string,
  rate: number,
  secs: number,
): Promise<{ p50Us: number; p99Us: number; answered: number }> {
  const rt = realtime ? ['chrt', '--fifo', String(RT_LOAD)] : [];
  const args = ['-c', String(loadCpu), ...rt, 'dnsperf', '-s', '127.0.0.1', '-p', String(port), '-d', file];
  args.push('-Q', String(rate), '-l', String(secs), '-q', '1000', '-v');
  return new Promise((done, fail) => {
    const child = spawn('taskset', args, { stdio: ['ignore', 'pipe', 'ignore'] });
    const latencies: number[] = [];
    let rest = '';
    child.stdout.on('data', (chunk: Buffer) => {
      const lines = (rest + chunk.toString()).split('\n');
      rest = lines.pop() ?? '';
      // "> NOERROR name A 0.000123": a status, the question, the latency in seconds.
      for (const line of lines)
        if (line.startsWith('> ')) {
          const seconds = Number(line.slice(line.lastIndexOf(' ')));
          if (Number.isFinite(seconds)) latencies.push(seconds); // "> T name A": timed out
        }
    });
    child.on('close', (code) => {
      if (code !== 0) return fail(new Error(`dnsperf exited ${code}`));
      latencies.sort((a, b) => a - b);
      const at = (q: number): number =>
        Math.round((latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0) * 1e6);
      done({ p50Us: at(0.5), p99Us: at(0.99), answered: latencies.length });
    });
  });
}

/** A short name for a build: its checkout's folder (…/base/dist/server/main.js → base). */
function labelOf(main: string): string {
  const checkout = resolve(dirname(main), '../..');
  return checkout === repoRoot ? '(this checkout)' : checkout.split('/').pop() || checkout;
}

/** What the preloaded latency probe wrote for one server run (each thread's last file), on stderr. */
function printProbe(label: string, dir: string, prefix: string): void {
  for (const file of readdirSync(dir).filter((f) => f.startsWith(`${prefix}-`))) {
    const figures = JSON.parse(readFileSync(join(dir, file), 'utf8')) as object;
    log(`${label} ${file.slice(prefix.length + 1)}: ${JSON.stringify(figures)}`);
  }
}

main().catch((error: unknown) => {
  console.error(`bench:small: ${(error as Error).message}`);
  process.exit(1);
});
