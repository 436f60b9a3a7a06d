/**
 * Resident memory over a long run of household traffic (issue 16: "≤ 100 MB after an hour, no growth
 * after warm-up"): `npm run bench:hour -- [--minutes=60] [--rate=200] [--variant=NAME:FLAGS ...]`.
 *
 * Starts one tracksink per variant side by side (same list, same stub upstream, same traffic, so their
 * curves differ only by the variant), sends each the home mix at `rate` queries/s for `minutes` from a
 * load generator of its own (bench/lib/latency-load.mjs, in 60 s legs so every leg reports its latency),
 * and samples VmRSS every 30 s. A variant is a label and node flags and/or environment, e.g.
 * `--variant=semi2:--max-semi-space-size=2` or `--variant=arena:MALLOC_ARENA_MAX=2` (several separated by
 * commas; root=/other/checkout runs that checkout's build). Without --variant: "as shipped" (MALLOC_ARENA_MAX=2, as the Dockerfile and the systemd unit).
 * Lists: the quick run's 100,000 names plus StevenBlack's list from ../shared/fixtures (the defaults'
 * size and one more). Prints a Markdown section on stdout.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { prepareInputs, type MixInput } from './lib/inputs.js';
import { runPlan } from './lib/options.js';
import { freePort } from './lib/ports.js';
import { cpuSeconds, rssKb } from './lib/proc-stats.js';
import { type ServerProcess, startDnsmasq, startTracksink } from './lib/processes.js';
import { ensureServerBuilt, ensureTools } from './lib/setup.js';
import { readLogCounts } from './lib/tracksink-stats.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const arg = (name: string): string | undefined =>
  args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const minutes = Number(arg('minutes') ?? 60);
const rate = Number(arg('rate') ?? 200);
const SAMPLE_MS = 30_000;
const LEG_S = 60;
const log = (line: string): void => console.error(`[soak] ${line}`);

interface Variant {
  label: string;
  nodeFlags: string[];
  env: Record<string, string>;
  /** Another checkout's build (root=/path: its dist/server/main.js), to compare two commits in one run. */
  root: string;
}

function parseVariants(): Variant[] {
  const given = args.filter((a) => a.startsWith('--variant=')).map((a) => a.slice('--variant='.length));
  if (given.length === 0) {
    return [{ label: 'as shipped', nodeFlags: [], env: { MALLOC_ARENA_MAX: '2' }, root: repoRoot }];
  }
  return given.map((text) => {
    const colon = text.indexOf(':');
    const label = colon < 0 ? text : text.slice(0, colon);
    const variant: Variant = { label, nodeFlags: [], env: { MALLOC_ARENA_MAX: '2' }, root: repoRoot };
    for (const part of colon < 0 ? [] : text.slice(colon + 1).split(',')) {
      if (part === '') continue;
      if (part.startsWith('--')) variant.nodeFlags.push(part);
      else if (part.startsWith('root=')) variant.root = resolve(part.slice('root='.length));
      else if (/^[A-Z_]+=/.test(part)) {
        const eq = part.indexOf('=');
        variant.env[part.slice(0, eq)] = part.slice(eq + 1);
      } else throw new Error(`--variant=${text}: "${part}" is neither a node flag (--…) nor NAME=value`);
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
  answered: number;
  sent: number;
  p99Us: number[];
}

async function main(): Promise<void> {
  ensureTools(log);
  ensureServerBuilt(repoRoot, log);
  const fixtureList = join(resolve(repoRoot, '../shared/fixtures'), 'lists/stevenblack.domains.txt');
  const plan = runPlan(true, fixtureList);
  const inputs = prepareInputs(join(repoRoot, 'bench/work', 'quick'), plan.inputs, log);
  const home = inputs.synthetic.find((m) => m.id === 'realistic') as MixInput;
  const lists = [inputs.blocklistFile, ...(existsSync(fixtureList) ? [fixtureList] : [])].join(',');
  const variants = parseVariants();
  const stubPort = await freePort();
  const stub = await startDnsmasq({
    label: 'stub upstream',
    port: stubPort,
    cacheSize: 0,
    readyName: inputs.probe.allowed,
    expect: '198.18.0.10',
  });
  const dirs: string[] = [];
  const curves: Curve[] = [];
  try {
    for (const variant of variants) {
      const dataDir = mkdtempSync(join(tmpdir(), 'tracksink-soak-'));
      dirs.push(dataDir);
      const configFile = join(dataDir, 'bench.yaml');
      writeFileSync(
        configFile,
        `http:\n  bind: 127.0.0.1\nlists:\n  defaults: false\ndns:\n  cache:\n    maxEntries: ${plan.cacheSize}\nlog:\n  queries: all\n`,
      );
      log(
        `starting tracksink "${variant.label}" (${[...variant.nodeFlags, ...Object.entries(variant.env).map(([k, v]) => `${k}=${v}`)].join(' ')})`,
      );
      const server = await startTracksink({
        label: variant.label,
        repoRoot: variant.root,
        port: await freePort(),
        httpPort: await freePort(),
        dataDir,
        configFile,
        upstreamPort: stubPort,
        blocklist: lists,
        readyName: inputs.probe.blocked,
        expect: '0.0.0.0',
        nodeFlags: variant.nodeFlags,
        env: variant.env,
      });
      curves.push({ variant, server, rss: [], answered: 0, sent: 0, p99Us: [] });
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
        const legs = await Promise.all(
          curves.map((c) => leg(c.server.port, home.files[done % home.files.length] as string)),
        );
        legs.forEach((result, i) => {
          const c = curves[i] as Curve;
          c.answered += result.answered;
          c.sent += result.sent;
          c.p99Us.push(result.p99Us);
        });
        log(
          `minute ${done + 1}/${minutes}: ${curves.map((c) => `${c.variant.label} ${c.rss.at(-1)?.[1]} MB`).join(', ')}`,
        );
      }
    } finally {
      clearInterval(sampler);
    }
    sample();
    const lines = [
      `## Memory over ${minutes} minutes of household traffic (${rate} q/s, home mix)`,
      '',
      `Lists: ${inputs.blocklistNames.toLocaleString('en-US')} generated names + StevenBlack's fixture list; RSS (MB) every ${SAMPLE_MS / 1000} s, minutes since ready.`,
      '',
    ];
    for (const [i, c] of curves.entries()) {
      const cpu = cpuSeconds(c.server.pid) - (cpuBefore[i] as number);
      const counts = c.server.httpPort === null ? null : await readLogCounts(c.server.httpPort);
      const quarter = c.rss[Math.floor(c.rss.length / 4)]?.[1] ?? 0;
      const last = c.rss.at(-1)?.[1] ?? 0;
      const sortedP99 = [...c.p99Us].sort((a, b) => a - b);
      lines.push(
        `- **${c.variant.label}** (${[...c.variant.nodeFlags, ...Object.entries(c.variant.env).map(([k, v]) => `${k}=${v}`)].join(' ') || 'no flags'}): ` +
          `ready ${c.rss[0]?.[1]} MB, max ${Math.max(...c.rss.map(([, mb]) => mb))} MB, end ${last} MB; ` +
          `growth over the last three quarters ${last - quarter} MB; answered ${c.answered.toLocaleString('en-US')}/${c.sent.toLocaleString('en-US')}; ` +
          `CPU ${((cpu / Math.max(1, c.answered)) * 1e6).toFixed(0)} µs/query; median minute's p99 ${((sortedP99[Math.floor(sortedP99.length / 2)] ?? 0) / 1000).toFixed(2)} ms; ` +
          `log events written ${counts?.written ?? '?'}, dropped ${counts?.dropped ?? '?'}`,
        `  - ${c.rss.map(([t, mb]) => `${t} min ${mb}`).join(', ')}`,
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
