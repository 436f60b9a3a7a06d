/**
 * The UDP transport alone: tracksink with the native batch transport (native/udp-batch) and with Node's
 * dgram (TRACKSINK_UDP=dgram), and the Node.js UDP echo (the floor of a server on dgram), started once each
 * and measured in turn (native, dgram, echo, native, …) at one fixed rate that all of them can sustain, so
 * the CPU per query is not an overload figure. Blocked names and cache hits, every query logged.
 * Prints whole-process, DNS-thread and rest (log writer, GC helpers) CPU µs per answered query, with the
 * load average beside each figure.
 *
 * Usage: npm run bench:udp -- [--rate=10000] [--seconds=5] [--rounds=3]   (under flock /tmp/team/bench.lock)
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateAllowedNames, generateBlockedNames, hostsText } from './lib/inputs.js';
import { measureFixedRate, warm } from './lib/measure.js';
import { freePort } from './lib/ports.js';
import { type ServerProcess, startDnsmasq, startTracksink, startUdpEcho } from './lib/processes.js';
import { createRandom } from './lib/prng.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name: string, fallback: number): number => {
  const found = process.argv.find((a) => a.startsWith(`--${name}=`));
  return found === undefined ? fallback : Number(found.slice(name.length + 3));
};
const rate = arg('rate', 10_000);
const seconds = arg('seconds', 5);
const rounds = arg('rounds', 3);
const load = (): string => loadavg()[0]!.toFixed(1);

const work = join(repoRoot, 'bench', 'work', 'udp-transport');
mkdirSync(work, { recursive: true });
const random = createRandom(16);
const blocked = generateBlockedNames(100_000, random);
const allowed = generateAllowedNames(2_000, random, new Set(blocked));
const listFile = join(work, 'list.hosts');
writeFileSync(listFile, hostsText(blocked, 'udp-transport bench list'));
const queryFile = (name: string, names: readonly string[], lines: number): string => {
  const file = join(work, `${name}.txt`);
  const out: string[] = [];
  for (let i = 0; i < lines; i++) out.push(`${names[random.int(names.length)]} A`);
  writeFileSync(file, `${out.join('\n')}\n`);
  return file;
};
const mixes = [
  { id: 'blocked', file: queryFile('blocked', blocked, 400_000) },
  { id: 'cache hits', file: queryFile('cached', allowed, 400_000) },
];
const warmFile = join(work, 'warm.txt');
writeFileSync(warmFile, `${allowed.map((n) => `${n} A`).join('\n')}\n`);
const configFile = join(work, 'tracksink.yaml');
writeFileSync(
  configFile,
  'http:\n  bind: 127.0.0.1\nlists:\n  defaults: false\ndns:\n  cache:\n    maxEntries: 10000\nlog:\n  queries: all\n',
);

const dirs: string[] = [];
const servers: ServerProcess[] = [];
try {
  const stubPort = await freePort();
  servers.push(
    await startDnsmasq({
      label: 'stub',
      port: stubPort,
      cacheSize: 0,
      readyName: allowed[0]!,
      expect: '198.18.0.10',
    }),
  );
  const tracksink = async (mode: 'native' | 'dgram'): Promise<ServerProcess> => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tracksink-udp-bench-'));
    dirs.push(dataDir);
    return startTracksink({
      label: mode,
      repoRoot,
      port: await freePort(),
      httpPort: await freePort(),
      dataDir,
      configFile,
      upstreamPort: stubPort,
      blocklist: listFile,
      readyName: blocked[0]!,
      expect: '0.0.0.0',
      env: { TRACKSINK_UDP: mode },
    });
  };
  const measured = [await tracksink('native'), await tracksink('dgram')];
  measured.push(await startUdpEcho({ repoRoot, port: await freePort() }));
  servers.push(...measured);
  for (const s of measured.slice(0, 2)) await warm(s, warmFile);

  const rows: string[] = [];
  for (let round = 1; round <= rounds; round++) {
    for (const mix of mixes) {
      for (const server of measured) {
        const before = load();
        const r = await measureFixedRate(server, mix.file, rate, seconds);
        const answered = r.dnsperf.completed;
        const whole = r.cpuUsPerQuery;
        const main = (r.mainThreadCpuSeconds * 1e6) / answered;
        const row =
          `| ${round} | ${mix.id} | ${server.label} | ${Math.round(answered / seconds).toLocaleString('en')} | ` +
          `${whole.toFixed(2)} | ${main.toFixed(2)} | ${(whole - main).toFixed(2)} | ${before} → ${load()} |`;
        rows.push(row);
        console.log(row);
      }
    }
  }
  console.log(`\nrate ${rate} q/s, ${seconds} s per measurement, Node ${process.version}`);
  console.log(
    '| round | mix | server | answered q/s | whole µs/q | main (DNS) thread µs/q | rest µs/q | load |',
  );
  console.log('|---|---|---|---:|---:|---:|---:|---|');
  for (const row of rows) console.log(row);
} finally {
  for (const s of servers.reverse()) await s.stop().catch(() => {});
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}
