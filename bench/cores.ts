/**
 * "Every core" (issue 18 part 3): `npm run bench:cores` (and a part of `npm run bench`).
 *
 * tracksink with `dns.workers` 1, 2 and N (one per core; skipped when N is 1 or 2) in turn, alternating
 * rounds (1, 2, N, 1, 2, N …) so other work on the machine spreads evenly, each measured on the all-blocked
 * and the all-cache-hits mixes: the highest rate with < 0.1 % loss (lib/measure.ts findMaxRate), the
 * server's CPU use at that rate, and the start time (the list's matcher is built once per DNS thread).
 * dnsperf sends from 16 sockets (16 source ports), since the kernel spreads clients over the threads' sockets
 * by address and port: one source port would always reach the same thread. The all-blocked mix is measured over
 * TCP too (16 connections, queries pipelined), which every thread takes where the port can be shared
 * (server/dns/tcp-port-sharing.ts).
 *
 * More than one thread needs the native UDP transport (any Node) or dgram's reusePort (Node 22.12+);
 * without either tracksink answers on one thread and says why in its log. Options: --seconds=N per dnsperf step (default 8), --rounds=N (default 2), --full (the
 * 1,000,000-name list; default 100,000). Prints a Markdown section on stdout and writes
 * bench/results/cores.{md,json}.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type MixInput, prepareInputs } from './lib/inputs.js';
import { type MaxRateResult, bestRate, findMaxRate, warm } from './lib/measure.js';
import { runPlan } from './lib/options.js';
import { freePort } from './lib/ports.js';
import { type ServerProcess, startDnsmasq, startTracksink } from './lib/processes.js';
import { ensureServerBuilt, ensureTools } from './lib/setup.js';
import { readLogCounts } from './lib/tracksink-stats.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name: string): string | undefined =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const full = process.argv.includes('--full');
const seconds = Number(arg('seconds') ?? 8);
const rounds = Number(arg('rounds') ?? 2);
const CLIENTS = 16;
const log = (line: string): void => console.error(`[cores] ${line}`);
const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

interface WorkersResult {
  workers: number;
  startMs: number[];
  mixes: Record<string, MaxRateResult>;
  written: number | null;
  dropped: number | null;
}

async function startWithWorkers(
  workers: number,
  list: string,
  probeName: string,
  stubPort: number,
  configFile: string,
  tempDirs: string[],
): Promise<ServerProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tracksink-cores-'));
  tempDirs.push(dataDir);
  return startTracksink({
    label: `tracksink, ${workers} DNS thread${workers === 1 ? '' : 's'}`,
    repoRoot,
    port: await freePort(),
    httpPort: await freePort(),
    dataDir,
    configFile,
    upstreamPort: stubPort,
    blocklist: list,
    readyName: probeName,
    expect: '0.0.0.0',
    env: { TRACKSINK_DNS_WORKERS: String(workers) },
  });
}

async function main(): Promise<void> {
  ensureTools(log);
  ensureServerBuilt(repoRoot, log);
  const cores = availableParallelism();
  const counts = [...new Set([1, 2, cores])].sort((a, b) => a - b);
  const plan = runPlan(!full, join(resolve(repoRoot, '../shared/fixtures'), 'lists/stevenblack.domains.txt'));
  const workDir = join(repoRoot, 'bench', 'work');
  const inputs = prepareInputs(join(workDir, full ? 'full' : 'quick'), plan.inputs, log);
  const udpMixes: CoresMix[] = inputs.synthetic
    .filter((mix) => mix.id === 'blocked' || mix.id === 'cached')
    .map((mix) => ({ ...mix, transport: 'udp' }));
  const blocked = udpMixes.find((mix) => mix.id === 'blocked')!;
  const mixes: CoresMix[] = [
    ...udpMixes,
    { ...blocked, id: 'blocked-tcp', title: `${blocked.title} over TCP`, transport: 'tcp' },
  ];
  const configFile = join(workDir, 'tracksink-cores.yaml');
  writeFileSync(
    configFile,
    [
      '# Written by bench/cores.ts (ports, upstream, list and dns.workers come from TRACKSINK_* env).',
      'lists:',
      '  defaults: false',
      'dns:',
      '  cache:',
      `    maxEntries: ${plan.cacheSize}`,
      'log:',
      '  queries: all # every query logged, from every thread into the one writer',
      '',
    ].join('\n'),
  );
  let stubPort = 0;
  const stub = await (async () => {
    stubPort = await freePort();
    return startDnsmasq({
      label: 'stub upstream',
      port: stubPort,
      cacheSize: 0,
      readyName: inputs.probe.allowed,
      expect: '198.18.0.10',
    });
  })();
  const tempDirs: string[] = [];
  const loadBefore = load();
  const results = new Map<number, WorkersResult>(
    counts.map((workers) => [workers, { workers, startMs: [], mixes: {}, written: null, dropped: null }]),
  );
  try {
    for (let round = 0; round < rounds; round++) {
      for (const workers of counts) {
        const result = results.get(workers)!;
        log(`round ${round + 1}/${rounds}: ${workers} DNS thread(s), load ${load()}`);
        const server = await startWithWorkers(
          workers,
          inputs.blocklistFile,
          inputs.probe.blocked,
          stubPort,
          configFile,
          tempDirs,
        );
        result.startMs.push(server.readyMs);
        try {
          for (const mix of mixes)
            result.mixes[mix.id] = bestRate(result.mixes[mix.id], await rate(server, mix));
          const counted = await readLogCounts(server.httpPort!).catch(() => null);
          result.written = counted?.written ?? null;
          result.dropped = counted?.dropped ?? null;
        } finally {
          await server.stop();
        }
      }
    }
  } finally {
    await stub.stop();
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  }
  const report = markdown([...results.values()], mixes, cores, loadBefore, load(), inputs.blocklistNames);
  console.log(report);
  const resultsDir = join(repoRoot, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(join(resultsDir, 'cores.md'), `${report}\n`);
  writeFileSync(
    join(resultsDir, 'cores.json'),
    `${JSON.stringify({ node: process.version, cores, loadBefore, loadAfter: load(), results: [...results.values()] }, null, 2)}\n`,
  );
}

/** A query mix and how dnsperf sends it. */
type CoresMix = MixInput & { transport: 'udp' | 'tcp' };

async function rate(server: ServerProcess, mix: CoresMix): Promise<MaxRateResult> {
  if (mix.warm !== undefined) await warm(server, mix.warm);
  const result = await findMaxRate(server, mix.files[0]!, seconds, 3, CLIENTS, mix.transport);
  log(`  ${mix.id}: ${result.qps === null ? 'no rate under 0.1 % loss' : `${Math.round(result.qps)} q/s`}`);
  return result;
}

function markdown(
  results: WorkersResult[],
  mixes: MixInput[],
  cores: number,
  loadBefore: string,
  loadAfter: string,
  listSize: number,
): string {
  const fmt = (n: number | null | undefined): string =>
    n === null || n === undefined ? 'n/a' : Math.round(n).toLocaleString('en-US');
  const base = results.find((r) => r.workers === 1);
  const lines = [
    `## Every core: DNS threads (bench/cores.ts)`,
    '',
    `Node ${process.version}, ${cores} cores, ${listSize.toLocaleString('en-US')}-name list, every query logged; ` +
      `dnsperf with ${CLIENTS} client sockets, ${seconds} s steps, best of ${rounds} alternating rounds. ` +
      `Load average (1/5/15 min) before ${loadBefore}, after ${loadAfter}.`,
    '',
    `| DNS threads | ${mixes.map((m) => `${m.title}: max q/s (server cores busy)`).join(' | ')} | start (ms) | log written / dropped |`,
    `|---|${mixes.map(() => '---').join('|')}|---|---|`,
  ];
  for (const r of results) {
    const cells = mixes.map((m) => {
      const best = r.mixes[m.id];
      const vsOne = base && r !== base ? base.mixes[m.id]?.qps : null;
      const ratio = vsOne && best?.qps ? ` ×${(best.qps / vsOne).toFixed(2)}` : '';
      return `${fmt(best?.qps)}${ratio} (${best?.serverCores?.toFixed(2) ?? 'n/a'})`;
    });
    lines.push(
      `| ${r.workers} | ${cells.join(' | ')} | ${r.startMs.map((ms) => fmt(ms)).join(', ')} | ${fmt(r.written)} / ${fmt(r.dropped)} |`,
    );
  }
  return lines.join('\n');
}

main().catch((error: unknown) => {
  console.error(`bench:cores: ${(error as Error).message}`);
  process.exit(1);
});
