/**
 * `npm run bench`: tracksink against dnsmasq on loopback, in one run, with the same blocklist, the
 * same stub upstream and the same cache size. See bench/README.md for what is measured and how.
 */
import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { type CpuProfile, hotFunctions } from './lib/cpu-profile.js';
import { type Inputs, type MixInput, prepareInputs } from './lib/inputs.js';
import { describeMachine } from './lib/machine.js';
import {
  bestRate,
  findMaxRate,
  measureFixedRate,
  warm,
  type FixedRateResult,
  type MaxRateResult,
} from './lib/measure.js';
import { type BenchOptions, parseOptions, type RunPlan, runPlan } from './lib/options.js';
import { freePort } from './lib/ports.js';
import { rssKb } from './lib/proc-stats.js';
import { type ServerProcess, startDnsmasq, startTracksink, startUdpEcho } from './lib/processes.js';
import { consoleReport, markdownReport } from './lib/report.js';
import {
  type AnalyticsResult,
  type BenchResults,
  type MixResult,
  type ServerRunSummary,
  summarizeRounds,
} from './lib/results.js';
import { ensureServerBuilt, ensureTools } from './lib/setup.js';
import { readLogCounts } from './lib/tracksink-stats.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const workDir = join(repoRoot, 'bench/work');
const resultsDir = join(repoRoot, 'bench/results');
const gapFile = join(repoRoot, 'bench/GAP.md');
/** Where --profile puts one run's CPU profiles (git-ignored, emptied before the run). */
const profileDir = (tag: string): string => join(resultsDir, 'profiles', tag);
const fixtureList = join(resolve(repoRoot, '../shared/fixtures'), 'lists/stevenblack.domains.txt');
const began = performance.now();

function progress(line: string): void {
  const seconds = ((performance.now() - began) / 1000).toFixed(1).padStart(6);
  console.log(`[${seconds} s] ${line}`);
}

interface Context {
  options: BenchOptions;
  plan: RunPlan;
  inputs: Inputs;
  stubPort: number;
  configFile: string;
  tempDirs: string[];
  candidateLabel: string;
  peerLabel: string;
}

function writeTracksinkConfig(plan: RunPlan): string {
  const file = join(workDir, 'tracksink-bench.yaml');
  writeFileSync(
    file,
    [
      '# Written by bench/run.ts: tracksink as the benchmark runs it (ports, upstream, list come from TRACKSINK_* env).',
      'http:',
      '  bind: 127.0.0.1',
      'lists:',
      '  defaults: false # only the benchmark list, the same one dnsmasq reads',
      'dns:',
      '  cache:',
      `    maxEntries: ${plan.cacheSize} # the same as dnsmasq --cache-size`,
      'log:',
      '  queries: all # the targets hold with every query logged',
      '',
    ].join('\n'),
  );
  return file;
}

/**
 * Free ports are picked, released and then bound by the server, so another process (dnsperf's client
 * sockets take ephemeral ports too) can grab one in between: start again on new ports when that happens.
 */
async function withFreshPorts(start: () => Promise<ServerProcess>): Promise<ServerProcess> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (error) {
      if (attempt >= 3 || !/EADDRINUSE|address already in use/i.test((error as Error).message)) throw error;
      progress(`port taken before the server bound it; retrying on new ports (${attempt}/2)`);
    }
  }
}

/** Starts "A": tracksink (or a second dnsmasq when developing the harness). */
function startCandidate(
  ctx: Context,
  list: string | null,
  readyName: string,
  expect: string,
  tag: string,
): Promise<ServerProcess> {
  return withFreshPorts(async () => {
    const port = await freePort();
    if (ctx.options.candidate === 'dnsmasq') {
      return startDnsmasq({
        label: ctx.candidateLabel,
        port,
        upstreamPort: ctx.stubPort,
        hostsFile: list ?? ctx.inputs.emptyHostsFile,
        cacheSize: ctx.plan.cacheSize,
        readyName,
        expect,
      });
    }
    const dataDir = mkdtempSync(join(tmpdir(), 'tracksink-bench-'));
    ctx.tempDirs.push(dataDir);
    const profile = ctx.options.profile && tag !== 'bare';
    if (profile) rmSync(profileDir(tag), { recursive: true, force: true });
    return startTracksink({
      label: ctx.candidateLabel,
      repoRoot,
      port,
      httpPort: await freePort(),
      dataDir,
      configFile: ctx.configFile,
      upstreamPort: ctx.stubPort,
      blocklist: list,
      readyName,
      expect,
      // One file per thread (Node names them CPU.<date>.<time>.<pid>.<thread>.<seq>): thread 0 is the
      // DNS thread, thread 1 the log writer. A fixed --cpu-prof-name would let one overwrite the other.
      nodeFlags: [
        ...ctx.options.nodeFlags,
        ...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir(tag)}`] : []),
      ],
      plain: ctx.options.plain,
    });
  });
}

function startPeer(
  ctx: Context,
  list: string | null,
  readyName: string,
  expect: string,
): Promise<ServerProcess> {
  return withFreshPorts(async () =>
    startDnsmasq({
      label: ctx.peerLabel,
      port: await freePort(),
      upstreamPort: ctx.stubPort,
      hostsFile: list ?? ctx.inputs.emptyHostsFile,
      cacheSize: ctx.plan.cacheSize,
      readyName,
      expect,
    }),
  );
}

async function droppedNow(server: ServerProcess): Promise<number | null> {
  if (server.httpPort === null) return null;
  return (await readLogCounts(server.httpPort))?.dropped ?? null;
}

async function measureMix(
  ctx: Context,
  group: string,
  mix: MixInput,
  a: ServerProcess,
  b: ServerProcess,
  floor: ServerProcess | null = null,
): Promise<MixResult> {
  // The Node.js UDP echo, when given, takes its turn in the same alternation (A B echo A B echo).
  const servers = floor === null ? [a, b] : [a, b, floor];
  if (mix.warm) {
    progress(`${mix.id}: warming both caches`);
    for (const server of servers) await warm(server, mix.warm);
  }
  const search = mix.files[0] as string;
  const maxRates = new Map<string, MaxRateResult>();
  for (let round = 1; round <= ctx.plan.searchRounds; round++) {
    for (const server of servers) {
      progress(
        `${mix.id}: searching ${server.label}'s highest rate with < 0.1 % loss (${round}/${ctx.plan.searchRounds})`,
      );
      const found = await findMaxRate(server, search, ctx.plan.searchSeconds, ctx.plan.searchTries);
      progress(
        `${mix.id}: ${server.label} max ${found.qps === null ? 'not found' : `${Math.round(found.qps)} q/s`}`,
      );
      maxRates.set(server.label, bestRate(maxRates.get(server.label), found));
    }
  }
  const rounds = new Map<string, FixedRateResult[]>(servers.map((s) => [s.label, []]));
  const dropped = new Map<string, number | null>(
    servers.map((s) => [s.label, s.kind === 'tracksink' ? 0 : null]),
  );
  for (let round = 1; round <= ctx.plan.rounds; round++) {
    const file = mix.files[Math.min(round, mix.files.length - 1)] as string;
    for (const server of servers) {
      progress(
        `${mix.id}: round ${round}/${ctx.plan.rounds}, ${server.label} at ${ctx.plan.fixedRate} q/s for ${ctx.plan.fixedSeconds} s`,
      );
      const before = server.kind === 'tracksink' ? await droppedNow(server) : null;
      const result = await measureFixedRate(server, file, ctx.plan.fixedRate, ctx.plan.fixedSeconds);
      rounds.get(server.label)?.push(result);
      if (server.kind === 'tracksink') {
        const after = await droppedNow(server);
        const soFar = dropped.get(server.label) ?? null;
        dropped.set(
          server.label,
          before === null || after === null || soFar === null ? null : soFar + after - before,
        );
      }
      progress(
        `${mix.id}: ${server.label} ${result.cpuUsPerQuery.toFixed(2)} µs CPU/query, avg ${result.dnsperf.avgLatencyMs.toFixed(3)} ms, ` +
          `loss ${(result.dnsperf.lossRatio * 100).toFixed(3)} %`,
      );
    }
  }
  const out: MixResult = { group, id: mix.id, title: mix.title, servers: {} };
  for (const server of servers) {
    out.servers[server.label] = summarizeRounds(
      maxRates.get(server.label) as MaxRateResult,
      rounds.get(server.label) ?? [],
      dropped.get(server.label) ?? null,
    );
  }
  return out;
}

interface Group {
  id: string;
  list: string;
  names: number;
  probe: string;
  mixes: MixInput[];
}

async function runGroup(
  ctx: Context,
  group: Group,
  bare: Map<string, number>,
  results: BenchResults,
): Promise<void> {
  progress(`${group.id}: starting ${ctx.candidateLabel} with ${group.names.toLocaleString('en-US')} names`);
  const a = await startCandidate(ctx, group.list, group.probe, '0.0.0.0', group.id);
  try {
    await sleep(1000);
    const rssA = rssKb(a.pid);
    progress(
      `${group.id}: ${a.label} ready in ${Math.round(a.readyMs)} ms, ${(rssA / 1024).toFixed(1)} MB; starting ${ctx.peerLabel}`,
    );
    const b = await startPeer(ctx, group.list, group.probe, '0.0.0.0');
    try {
      await sleep(1000);
      const rssB = rssKb(b.pid);
      progress(
        `${group.id}: ${b.label} ready in ${Math.round(b.readyMs)} ms, ${(rssB / 1024).toFixed(1)} MB`,
      );
      for (const mix of group.mixes) {
        // Node's own floor per packet is measured once, beside the all-blocked mix of the big list.
        const floor =
          mix.id === 'blocked' && a.kind === 'tracksink'
            ? await withFreshPorts(async () => startUdpEcho({ repoRoot, port: await freePort() }))
            : null;
        try {
          results.mixes.push(await measureMix(ctx, group.id, mix, a, b, floor));
        } finally {
          await floor?.stop();
        }
      }
      for (const [server, rssAfterLoadKb] of [
        [a, rssA],
        [b, rssB],
      ] as const) {
        const bareStartMs = bare.get(server.label) ?? 0;
        const summary: ServerRunSummary = {
          group: group.id,
          label: server.label,
          kind: server.kind,
          listNames: group.names,
          readyMs: server.readyMs,
          bareStartMs,
          listLoadMs: Math.max(0, server.readyMs - bareStartMs),
          rssAfterLoadKb,
          rssAfterRunKb: rssKb(server.pid),
          logEventsAtEnd: server.httpPort === null ? null : await readLogCounts(server.httpPort),
        };
        results.servers.push(summary);
      }
    } finally {
      await b.stop();
    }
  } finally {
    await a.stop();
  }
  if (ctx.options.profile && a.kind === 'tracksink') {
    for (const [thread, what] of [
      ['0', 'DNS thread'],
      ['1', 'log writer thread'],
    ] as const) {
      const dir = profileDir(group.id);
      const file = existsSync(dir)
        ? readdirSync(dir).find((name) => name.split('.').at(-3) === thread && name.endsWith('.cpuprofile'))
        : undefined;
      if (file === undefined) continue;
      const path = join(dir, file);
      const top = hotFunctions(JSON.parse(readFileSync(path, 'utf8')) as CpuProfile, repoRoot);
      results.profiles.push({ file: `${relative(repoRoot, path)} (${what})`, top });
      progress(`${group.id}: ${what} CPU profile written to ${relative(repoRoot, path)}`);
    }
  }
}

/** The small-machine run as a child (it starts its own servers): its Markdown goes into the report. */
function runSmallMachine(quick: boolean): Promise<AnalyticsResult> {
  return runChild('bench/small-machine.ts', quick ? ['--seconds=10'] : ['--seconds=60', '--full']);
}

/** The DNS-threads run (dns.workers 1, 2, N) as a child, like the small-machine run. */
function runCores(quick: boolean): Promise<AnalyticsResult> {
  return runChild('bench/cores.ts', quick ? ['--seconds=4', '--rounds=1'] : ['--seconds=8', '--rounds=2']);
}

function runChild(script: string, args: string[]): Promise<AnalyticsResult> {
  const started = performance.now();
  return new Promise((resolvePromise) => {
    const tsx = join(repoRoot, 'node_modules/.bin/tsx');
    const child = spawn(tsx, [script, ...args], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let errors = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => {
      errors = (errors + chunk.toString('utf8')).slice(-4000);
      progress(chunk.toString('utf8').trim());
    });
    child.on('close', (code) =>
      resolvePromise({
        ok: code === 0,
        seconds: (performance.now() - started) / 1000,
        output: code === 0 ? output : `${output}\n${errors}`,
      }),
    );
  });
}

function runAnalytics(quick: boolean): Promise<AnalyticsResult> {
  const started = performance.now();
  return new Promise((resolvePromise) => {
    const tsx = join(repoRoot, 'node_modules/.bin/tsx');
    // bench/analytics/run.ts takes sizes, not --quick: a smaller log for the smoke run, reused across runs.
    // The full run measures issue 5's target (every dashboard page < 300 ms) on its 10 M-row log, in the
    // directory the standalone run uses, so a log built once (~8 min) serves both.
    const args = quick
      ? ['--rows', '300000', '--days', '7', '--dir', 'bench/work/analytics-quick', '--reuse']
      : ['--rows', '10000000', '--dir', 'bench/work/analytics', '--reuse'];
    const child = spawn(tsx, ['bench/analytics/run.ts', ...args], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const keep = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-12000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    // Building the 10 M-row log when there is none takes ~8-10 min on 2 busy cores.
    const timer = setTimeout(() => child.kill('SIGKILL'), (quick ? 120 : 1500) * 1000);
    const done = (ok: boolean, extra = ''): void => {
      clearTimeout(timer);
      // Progress lines rewritten with \r: keep only what each line finally showed.
      const text = (output + extra).replace(/[^\n]*\r(?!\n)/g, '');
      resolvePromise({ ok, seconds: (performance.now() - started) / 1000, output: text });
    };
    child.on('error', (error) => done(false, `\ncould not start: ${error.message}`));
    child.on('close', (code, signal) =>
      done(code === 0, code === 0 ? '' : `\nexited with ${signal ?? `code ${code}`}`),
    );
  });
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const plan = runPlan(options.quick, fixtureList);
  progress(
    `tracksink benchmark (${options.quick ? 'quick' : 'full'} run), A = ${options.candidate}, B = dnsmasq`,
  );
  ensureTools(progress);
  if (options.candidate === 'tracksink') ensureServerBuilt(repoRoot, progress);
  if (options.fixture && !existsSync(fixtureList)) {
    throw new Error(
      `the real-list run needs ${fixtureList} (../shared/fixtures beside the repo); skip it with --no-fixture`,
    );
  }
  mkdirSync(resultsDir, { recursive: true });
  // Quick and full inputs live side by side so switching modes does not regenerate them.
  const inputsDir = join(workDir, options.quick ? 'quick' : 'full');
  const inputs = prepareInputs(inputsDir, plan.inputs, progress);
  progress(`inputs ${inputs.reused ? 'reused from' : 'written to'} ${relative(repoRoot, inputsDir)}/`);

  let stubPort = 0;
  const stub = await withFreshPorts(async () => {
    stubPort = await freePort();
    return startDnsmasq({
      label: 'stub upstream',
      port: stubPort,
      cacheSize: 0,
      readyName: inputs.probe.allowed,
      expect: '198.18.0.10',
    });
  });
  const ctx: Context = {
    options,
    plan,
    inputs,
    stubPort,
    configFile: writeTracksinkConfig(plan),
    tempDirs: [],
    candidateLabel: options.candidate === 'tracksink' ? 'tracksink' : 'dnsmasq-A',
    peerLabel: 'dnsmasq',
  };
  const results: BenchResults = {
    mode: options.quick ? 'quick' : 'full',
    machine: describeMachine(repoRoot),
    candidate: ctx.candidateLabel,
    peer: ctx.peerLabel,
    fixedRate: plan.fixedRate,
    listSize: inputs.blocklistNames,
    fixtureList: fixtureList.replace(`${resolve(repoRoot, '..')}/`, '../'),
    servers: [],
    mixes: [],
    analytics: null,
    profiles: [],
    notes: [],
    explanation: existsSync(gapFile) ? readFileSync(gapFile, 'utf8') : null,
    elapsedSeconds: 0,
  };
  if (options.candidate !== 'tracksink')
    results.notes.push(
      'A is a second dnsmasq (--candidate=dnsmasq): this run checks the harness, not tracksink.',
    );
  results.notes.push(
    `Inputs: seed ${plan.inputs.seed}; blocked mix ${plan.inputs.blockedMixLines.toLocaleString('en-US')} queries per file; ` +
      `home mix ${plan.inputs.realistic.lines.toLocaleString('en-US')} queries per file, ${Math.round(plan.inputs.realistic.uniqueShare * 100)} % never-seen names, ` +
      `${Math.round(plan.inputs.realistic.aaaaShare * 100)} % AAAA; cache ${plan.cacheSize.toLocaleString('en-US')} entries on both.`,
  );

  const failures: string[] = [];
  try {
    progress('measuring bare start times (empty list)');
    const bare = new Map<string, number>();
    const a0 = await startCandidate(ctx, null, inputs.probe.allowed, 'any', 'bare');
    bare.set(a0.label, a0.readyMs);
    await a0.stop();
    const b0 = await startPeer(ctx, null, inputs.probe.allowed, 'any');
    bare.set(b0.label, b0.readyMs);
    await b0.stop();

    const groups: Group[] = [
      {
        id: 'synthetic',
        list: inputs.blocklistFile,
        names: inputs.blocklistNames,
        probe: inputs.probe.blocked,
        mixes: inputs.synthetic,
      },
    ];
    if (options.fixture) {
      groups.push({
        id: 'fixture',
        list: inputs.fixtureHostsFile,
        names: inputs.fixtureNames,
        probe: inputs.probe.fixtureBlocked,
        mixes: inputs.fixture,
      });
    }
    for (const group of groups) {
      try {
        await runGroup(ctx, group, bare, results);
      } catch (error) {
        // Keep what was measured so far and go on with the next list; the run still ends as failed.
        failures.push(`${group.id} list: ${(error as Error).message}`);
        progress(`${group.id}: FAILED: ${(error as Error).message}`);
      }
    }
  } finally {
    await stub.stop();
    for (const dir of ctx.tempDirs) rmSync(dir, { recursive: true, force: true });
  }

  if (options.analytics && existsSync(join(repoRoot, 'bench/analytics/run.ts'))) {
    progress('running bench/analytics/run.ts');
    results.analytics = await runAnalytics(options.quick);
    progress(
      `analytics ${results.analytics.ok ? 'finished' : 'failed'} in ${results.analytics.seconds.toFixed(1)} s`,
    );
  }

  if (options.smallMachine && options.candidate === 'tracksink') {
    progress('running bench/small-machine.ts (one core, 2,000 q/s)');
    results.smallMachine = await runSmallMachine(options.quick);
  }

  if (options.cores && options.candidate === 'tracksink') {
    progress('running bench/cores.ts (dns.workers 1, 2 and one per core)');
    results.cores = await runCores(options.quick);
  }

  results.elapsedSeconds = (performance.now() - began) / 1000;
  for (const failure of failures) results.notes.push(`FAILED: ${failure.split('\n')[0]}`);
  writeFileSync(join(resultsDir, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(resultsDir, 'latest.md'), markdownReport(results));
  console.log(`\n${consoleReport(results)}\n`);
  progress('wrote bench/results/latest.md and bench/results/latest.json');
  if (failures.length > 0) {
    console.error(`bench: ${failures.length} part(s) failed:\n${failures.join('\n')}`);
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  console.error(`bench: ${(error as Error).message}`);
  process.exit(1);
});
