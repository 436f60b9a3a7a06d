/** Command-line options of `npm run bench` and the run plan each mode implies. */
import type { InputPlan } from './inputs.js';

export interface BenchOptions {
  quick: boolean;
  /** What to benchmark as "A": tracksink, or dnsmasq (to develop the harness without tracksink). */
  candidate: 'tracksink' | 'dnsmasq';
  /** Write a CPU profile of tracksink (node --cpu-prof) into bench/results/. */
  profile: boolean;
  /** Skip the real-list run. */
  fixture: boolean;
  analytics: boolean;
  smallMachine: boolean;
  /** The DNS-threads run (bench/cores.ts: dns.workers 1, 2 and one per core). */
  cores: boolean;
  /** Start tracksink as `node <entry>`, without the start command's node flags and environment. */
  plain: boolean;
  /** Extra node flags for tracksink (--node-flag=…, repeatable), e.g. to compare a young-generation size. */
  nodeFlags: string[];
}

export interface RunPlan {
  inputs: InputPlan;
  fixedRate: number;
  fixedSeconds: number;
  rounds: number;
  searchSeconds: number;
  searchTries: number;
  /** Rate searches per server and mix, alternating A B A B; the best is kept. */
  searchRounds: number;
  cacheSize: number;
}

export const USAGE = `usage: npm run bench -- [--quick] [--candidate=tracksink|dnsmasq] [--profile] [--no-fixture] [--no-analytics] [--no-small] [--no-cores] [--plain] [--node-flag=…]
  --quick        2-minute smoke run (100k-name list, one short round)
  --candidate    what runs as "A" against dnsmasq (default tracksink; dnsmasq checks the harness itself)
  --profile      write tracksink's CPU profile (node --cpu-prof) to bench/results/
  --no-fixture   skip the run with the real list from ../shared/fixtures/lists/
  --no-analytics skip bench/analytics/run.ts
  --no-small     skip the small-machine run (bench/small-machine.ts: one core, 2,000 q/s, p50/p99, memory)
  --no-cores     skip the DNS-threads run (bench/cores.ts: dns.workers 1, 2 and N; more than 1 needs the native UDP transport or Node 22.12+)
  --plain        start tracksink as \`node <entry>\`, without the node flags and environment of package.json's start
  --node-flag=F  one more node flag for tracksink (repeatable), e.g. --node-flag=--max-semi-space-size=4`;

export function parseOptions(argv: readonly string[]): BenchOptions {
  const options: BenchOptions = {
    quick: false,
    candidate: 'tracksink',
    profile: false,
    fixture: true,
    analytics: true,
    smallMachine: true,
    cores: true,
    plain: false,
    nodeFlags: [],
  };
  for (const arg of argv) {
    if (arg === '--quick') options.quick = true;
    else if (arg === '--profile') options.profile = true;
    else if (arg === '--no-fixture') options.fixture = false;
    else if (arg === '--no-analytics') options.analytics = false;
    else if (arg === '--no-small') options.smallMachine = false;
    else if (arg === '--no-cores') options.cores = false;
    else if (arg === '--plain') options.plain = true;
    else if (arg.startsWith('--node-flag=')) options.nodeFlags.push(arg.slice('--node-flag='.length));
    else if (arg.startsWith('--candidate=')) {
      const value = arg.slice('--candidate='.length);
      if (value !== 'tracksink' && value !== 'dnsmasq')
        throw new Error(`--candidate: "${value}" is not tracksink or dnsmasq\n${USAGE}`);
      options.candidate = value;
    } else if (arg === '--help' || arg === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`unknown option "${arg}"\n${USAGE}`);
  }
  return options;
}

export function runPlan(quick: boolean, fixtureList: string): RunPlan {
  if (quick) {
    return {
      inputs: {
        seed: 6,
        blocklistSize: 100_000,
        blockedMixLines: 100_000,
        cacheNames: 300,
        realistic: {
          lines: 120_000,
          blockedShare: 0.25,
          distinct: 30_000,
          uniqueShare: 0.02,
          aaaaShare: 0.3,
        },
        fixtureList,
        phases: 2,
      },
      fixedRate: 40_000,
      fixedSeconds: 3,
      rounds: 1,
      searchSeconds: 2,
      searchTries: 2,
      searchRounds: 1,
      cacheSize: 20_000,
    };
  }
  return {
    inputs: {
      seed: 6,
      blocklistSize: 1_000_000,
      blockedMixLines: 400_000,
      cacheNames: 300,
      realistic: { lines: 400_000, blockedShare: 0.25, distinct: 150_000, uniqueShare: 0.02, aaaaShare: 0.3 },
      fixtureList,
      phases: 3,
    },
    fixedRate: 40_000,
    fixedSeconds: 8,
    rounds: 2,
    searchSeconds: 4,
    searchTries: 3,
    searchRounds: 2,
    cacheSize: 20_000,
  };
}
