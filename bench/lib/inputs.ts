/**
 * Deterministic benchmark inputs: a synthetic hosts-format blocklist and dnsperf query files for each
 * mix. Everything comes from a seeded PRNG, so two runs (or two machines) send the same queries.
 * Generated files go to bench/work/ (git-ignored) and are reused while their recipe is unchanged.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRandom, type Random } from './prng.js';

const SYLLABLES =
  'ba be bi bo bu ca co da de di do fa fe fi ga go ha he ka ke ki ko la le li lo lu ma me mi mo mu na ne ni no pa pe pi po ra re ri ro ru sa se si so ta te ti to tu va ve vi wa xo za zo'.split(
    ' ',
  );
const BLOCKED_TLDS = ['com', 'net', 'io', 'xyz', 'info', 'org', 'co', 'top', 'site', 'online'];
const ALLOWED_TLDS = ['com', 'net', 'org', 'de', 'co.uk', 'fr', 'io', 'tv', 'app', 'cloud'];
const TRACKER_SUBDOMAINS = [
  'ads',
  'track',
  'pixel',
  'metrics',
  'stats',
  't',
  'analytics',
  'tag',
  'collect',
  'sdk',
  'telemetry',
  'events',
  'beacon',
  'log',
  'ad',
  'adserver',
  'cdn',
  'click',
  'sync',
  'px',
];
const SERVICE_SUBDOMAINS = [
  'www',
  'api',
  'cdn',
  'img',
  'static',
  'm',
  'login',
  'mail',
  'video',
  'app',
  'assets',
  'edge',
  'media',
  'content',
];

function word(random: Random, min: number, max: number): string {
  const count = min + random.int(max - min + 1);
  let out = '';
  for (let i = 0; i < count; i++) out += random.pick(SYLLABLES);
  return out;
}

/** Tracker-like names: many subdomains of a smaller set of parent domains, all distinct. */
export function generateBlockedNames(count: number, random: Random): string[] {
  const parents: string[] = [];
  const parentCount = Math.max(1, Math.floor(count / 4));
  for (let i = 0; i < parentCount; i++) {
    parents.push(
      `${word(random, 2, 4)}${random.int(10) < 3 ? random.int(1000) : ''}.${random.pick(BLOCKED_TLDS)}`,
    );
  }
  const seen = new Set<string>();
  const names: string[] = [];
  while (names.length < count) {
    const parent = random.pick(parents);
    const roll = random.int(10);
    const name =
      roll < 2
        ? parent
        : roll < 7
          ? `${random.pick(TRACKER_SUBDOMAINS)}${random.int(100)}.${parent}`
          : `${word(random, 1, 3)}-${random.pick(TRACKER_SUBDOMAINS)}.${parent}`;
    if (seen.has(name)) continue;
    seen.add(name);
    names.push(name);
  }
  return names;
}

/** True when the name or one of its parent domains is in the set (covers lists matched by suffix). */
export function coveredBy(blocked: ReadonlySet<string>, name: string): boolean {
  let rest = name;
  while (true) {
    if (blocked.has(rest)) return true;
    const at = rest.indexOf('.');
    if (at < 0) return false;
    rest = rest.slice(at + 1);
  }
}

/** Ordinary service names that no blocklist entry covers (exactly or as a parent domain). */
export function generateAllowedNames(count: number, random: Random, blocked: ReadonlySet<string>): string[] {
  const seen = new Set<string>();
  const names: string[] = [];
  while (names.length < count) {
    const site = `${word(random, 2, 5)}.${random.pick(ALLOWED_TLDS)}`;
    const name = random.int(10) < 3 ? site : `${random.pick(SERVICE_SUBDOMAINS)}.${site}`;
    if (seen.has(name) || coveredBy(blocked, name)) continue;
    seen.add(name);
    names.push(name);
  }
  return names;
}

/** Names nobody asked before: each goes upstream on its first (and only) sight. */
export function uniqueName(random: Random, index: number, tag: string): string {
  return `n${index.toString(36)}-${word(random, 1, 2)}.${tag}.${random.pick(ALLOWED_TLDS)}`;
}

/** Samples ranks 0..n-1 with probability ∝ 1/(rank+1)^s (Zipf), by binary search in the CDF. */
export function zipfSampler(
  n: number,
  s: number,
  random: Random,
): { weights: Float64Array; sample(): number } {
  const weights = new Float64Array(n);
  const cdf = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    weights[i] = 1 / Math.pow(i + 1, s);
    total += weights[i] as number;
    cdf[i] = total;
  }
  for (let i = 0; i < n; i++) {
    weights[i] = (weights[i] as number) / total;
    cdf[i] = (cdf[i] as number) / total;
  }
  return {
    weights,
    sample(): number {
      const u = random.next();
      let lo = 0;
      let hi = n - 1;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if ((cdf[mid] as number) < u) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    },
  };
}

/** Reads the names of a blocklist in domains or hosts format (comments and blanks skipped). */
export function readListNames(text: string): string[] {
  const names: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    const fields = line.split(/\s+/);
    const name = (fields.length > 1 ? fields[1] : fields[0])?.toLowerCase();
    if (name && name !== 'localhost' && /^[a-z0-9_.-]+$/.test(name)) names.push(name.replace(/\.$/, ''));
  }
  return names;
}

export function hostsText(names: readonly string[], title: string): string {
  return `# ${title}\n# ${names.length} names, generated by bench/lib/inputs.ts\n${names.map((n) => `0.0.0.0 ${n}`).join('\n')}\n`;
}

export interface MixRecipe {
  /** Lines in each query file. */
  lines: number;
  /** Share of queries for blocked names (by Zipf weight). */
  blockedShare: number;
  /** Distinct repeating names (allowed + blocked). */
  distinct: number;
  /** Share of lines that are never-seen names. */
  uniqueShare: number;
  /** Share of AAAA queries (the rest are A). */
  aaaaShare: number;
}

/**
 * A home-like mix: a Zipf-spread universe of names, ~blockedShare of the queries for blocked names,
 * plus a share of never-seen names that must go upstream. Blocked ranks are chosen greedily so the
 * blocked query weight tracks blockedShare closely even though a few top names carry most queries.
 */
export function realisticMixLines(
  recipe: MixRecipe,
  blocked: readonly string[],
  allowed: readonly string[],
  random: Random,
  tag: string,
): string[] {
  const zipf = zipfSampler(recipe.distinct, 1.0, random);
  const universe: string[] = new Array<string>(recipe.distinct);
  let blockedWeight = 0;
  let seenWeight = 0;
  let nextBlocked = 0;
  let nextAllowed = 0;
  for (let rank = 0; rank < recipe.distinct; rank++) {
    const weight = zipf.weights[rank] as number;
    const takeBlocked = blockedWeight + weight <= recipe.blockedShare * (seenWeight + weight) + 1e-12;
    if (takeBlocked && nextBlocked < blocked.length) {
      universe[rank] = blocked[random.int(blocked.length)] as string;
      nextBlocked++;
      blockedWeight += weight;
    } else {
      universe[rank] = allowed[nextAllowed++ % allowed.length] as string;
    }
    seenWeight += weight;
  }
  const out: string[] = [];
  let unique = 0;
  for (let i = 0; i < recipe.lines; i++) {
    const type = random.next() < recipe.aaaaShare ? 'AAAA' : 'A';
    const name =
      random.next() < recipe.uniqueShare
        ? uniqueName(random, unique++, tag)
        : (universe[zipf.sample()] as string);
    out.push(`${name} ${type}`);
  }
  return out;
}

export interface InputPlan {
  seed: number;
  blocklistSize: number;
  blockedMixLines: number;
  cacheNames: number;
  realistic: MixRecipe;
  /** Real list used for the fixture run (domains or hosts format). */
  fixtureList: string;
  /** Number of query files per mix: one for the rate search, one per measured round. */
  phases: number;
}

export interface MixInput {
  id: string;
  title: string;
  /** Query file for each phase (search, round 1, round 2 …). */
  files: string[];
  /** Query file to send once before measuring (cache warm-up), if any. */
  warm?: string;
}

export interface Inputs {
  blocklistFile: string;
  blocklistNames: number;
  fixtureHostsFile: string;
  fixtureNames: number;
  emptyHostsFile: string;
  /** Mixes against the synthetic 1M list. */
  synthetic: MixInput[];
  /** Mixes against the real fixture list. */
  fixture: MixInput[];
  /** A blocked name and an allowed name to probe readiness. */
  probe: { blocked: string; fixtureBlocked: string; allowed: string };
  reused: boolean;
}

function writeLines(path: string, lines: readonly string[]): void {
  writeFileSync(path, `${lines.join('\n')}\n`);
}

/** Creates (or reuses, when the recipe is unchanged) every input file under dir. */
export function prepareInputs(dir: string, plan: InputPlan, progress: (line: string) => void): Inputs {
  mkdirSync(dir, { recursive: true });
  const manifestFile = join(dir, 'manifest.json');
  const recipe = JSON.stringify(plan);
  if (existsSync(manifestFile)) {
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as { recipe: string; inputs: Inputs };
    const files = [
      manifest.inputs.blocklistFile,
      manifest.inputs.fixtureHostsFile,
      ...[...manifest.inputs.synthetic, ...manifest.inputs.fixture].flatMap((m) => [
        ...m.files,
        ...(m.warm ? [m.warm] : []),
      ]),
    ];
    if (manifest.recipe === recipe && files.every((f) => existsSync(f)))
      return { ...manifest.inputs, reused: true };
  }

  const random = createRandom(plan.seed);
  progress(`generating a blocklist of ${plan.blocklistSize.toLocaleString('en-US')} names`);
  const blockedNames = generateBlockedNames(plan.blocklistSize, random);
  const blockedSet = new Set(blockedNames);
  const blocklistFile = join(dir, `blocklist-${plan.blocklistSize}.hosts`);
  writeFileSync(blocklistFile, hostsText(blockedNames, 'tracksink benchmark blocklist'));
  const emptyHostsFile = join(dir, 'empty.hosts');
  writeFileSync(emptyHostsFile, '# no names: measures the bare start time\n');

  progress('generating query mixes');
  const blockedFiles: string[] = [];
  for (let phase = 0; phase < plan.phases; phase++) {
    const lines: string[] = [];
    for (let i = 0; i < plan.blockedMixLines; i++)
      lines.push(`${blockedNames[random.int(blockedNames.length)] as string} A`);
    const file = join(dir, `mix-blocked-${phase}.txt`);
    writeLines(file, lines);
    blockedFiles.push(file);
  }

  const allowedCount = Math.ceil(plan.realistic.distinct * (1 - plan.realistic.blockedShare)) + 1000;
  const allowedNames = generateAllowedNames(allowedCount + plan.cacheNames, random, blockedSet);
  const cacheLines = allowedNames.slice(allowedCount).map((n, i) => `${n} ${i % 4 === 3 ? 'AAAA' : 'A'}`);
  const cacheFile = join(dir, 'mix-cached.txt');
  writeLines(cacheFile, cacheLines);
  const realisticAllowed = allowedNames.slice(0, allowedCount);

  const realisticFiles: string[] = [];
  for (let phase = 0; phase < plan.phases; phase++) {
    const file = join(dir, `mix-realistic-${phase}.txt`);
    writeLines(file, realisticMixLines(plan.realistic, blockedNames, realisticAllowed, random, `u${phase}`));
    realisticFiles.push(file);
  }

  progress(`preparing the fixture list ${plan.fixtureList}`);
  const fixtureNames = [...new Set(readListNames(readFileSync(plan.fixtureList, 'utf8')))];
  const fixtureSet = new Set(fixtureNames);
  const fixtureHostsFile = join(dir, 'fixture.hosts');
  writeFileSync(fixtureHostsFile, hostsText(fixtureNames, `benchmark copy of ${plan.fixtureList}`));
  const fixtureAllowed = generateAllowedNames(allowedCount, random, fixtureSet);
  const fixtureFiles: string[] = [];
  for (let phase = 0; phase < plan.phases; phase++) {
    const file = join(dir, `mix-fixture-${phase}.txt`);
    writeLines(file, realisticMixLines(plan.realistic, fixtureNames, fixtureAllowed, random, `f${phase}`));
    fixtureFiles.push(file);
  }

  const pct = Math.round(plan.realistic.blockedShare * 100);
  const inputs: Inputs = {
    blocklistFile,
    blocklistNames: blockedNames.length,
    fixtureHostsFile,
    fixtureNames: fixtureNames.length,
    emptyHostsFile,
    synthetic: [
      { id: 'blocked', title: 'all blocked', files: blockedFiles },
      {
        id: 'cached',
        title: 'all cache hits',
        files: Array<string>(plan.phases).fill(cacheFile),
        warm: cacheFile,
      },
      {
        id: 'realistic',
        title: `home mix (${plan.realistic.distinct.toLocaleString('en-US')} names, Zipf, ~${pct} % blocked)`,
        files: realisticFiles,
      },
    ],
    fixture: [
      {
        id: 'fixture',
        title: `home mix, real list (${fixtureNames.length.toLocaleString('en-US')} names)`,
        files: fixtureFiles,
      },
    ],
    probe: {
      blocked: blockedNames[0] as string,
      fixtureBlocked: fixtureNames[0] as string,
      allowed: realisticAllowed[0] as string,
    },
    reused: false,
  };
  writeFileSync(manifestFile, JSON.stringify({ recipe, inputs }, null, 2));
  return inputs;
}
