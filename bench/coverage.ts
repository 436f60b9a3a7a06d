/**
 * Tracker attribution coverage, cost and memory (issue 12):
 *
 *   node --expose-gc --import tsx bench/coverage.ts [--root DIR] [--companiesdb-import] [--json FILE]
 *
 * For each host of the evaluation set (bench/coverage/web.txt, mobile.txt; see bench/coverage/README.md)
 * it asks the catalog who is behind the name and counts: right company (the name or the owner matches
 * one of the accepted names), wrong company, unnamed. Then it measures attribution on the hot path
 * (ns per lookup, heap bytes allocated per lookup) and the heap the loaded catalog and database hold.
 *
 * `--root DIR` measures another checkout (e.g. the code before this work, extracted with `git archive`);
 * `--companiesdb-import` gives that catalog the companiesdb snapshot from ../shared (the old optional
 * import), for a fair "before" with the database.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const root = resolve(option('--root') ?? join(here, '..'));
const shared = resolve(here, '../../shared/fixtures');
const gc = (globalThis as { gc?: () => void }).gc;

interface Case {
  host: string;
  accepted: string[];
  source: string;
}

function readSet(file: string): Case[] {
  return readFileSync(join(here, 'coverage', file), 'utf8')
    .split('\n')
    .filter((line) => line.trim() && !line.startsWith('#'))
    .map((line) => {
      const [host = '', company = '', source = ''] = line.split('|').map((s) => s.trim());
      return { host, accepted: company.split('/').map((s) => s.trim()), source };
    });
}

const normal = (s: string): string =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
function matches(named: string, accepted: readonly string[]): boolean {
  const n = ` ${normal(named)} `;
  return accepted.some((a) => n.includes(` ${normal(a)} `));
}

interface Described {
  company: { name: string; owner?: string | null } | null;
  owner?: string | null;
}
interface CatalogLike {
  describe(name: string): Described;
  attribution(): { attribute(name: string, out: object): boolean };
  attributedDomains: number;
}

async function load(root: string, withImport: boolean): Promise<CatalogLike> {
  const catalogModule = (await import(pathToFileURL(join(root, 'server/trackers/catalog.ts')).href)) as {
    loadCatalog: (dir?: string, options?: object) => CatalogLike;
  };
  const dir = join(root, 'blocklists');
  if (!withImport) return catalogModule.loadCatalog(dir);
  const db = (await import(pathToFileURL(join(root, 'server/trackers/companiesdb.ts')).href)) as {
    parseCompaniesDb: (t: string, c: string) => unknown;
  };
  const companiesDb = db.parseCompaniesDb(
    readFileSync(join(shared, 'trackers/companiesdb.trackers.json'), 'utf8'),
    readFileSync(join(shared, 'trackers/companiesdb.companies.json'), 'utf8'),
  );
  return catalogModule.loadCatalog(dir, { companiesDb });
}

function heapUsed(): number {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
}

const before = heapUsed();
const catalog = await load(root, args.includes('--companiesdb-import'));
const catalogHeap = heapUsed() - before;

interface Score {
  total: number;
  right: number;
  wrong: number;
  unnamed: number;
  wrongHosts: string[];
  unnamedHosts: string[];
}
function score(cases: Case[]): Score {
  const s: Score = { total: cases.length, right: 0, wrong: 0, unnamed: 0, wrongHosts: [], unnamedHosts: [] };
  for (const c of cases) {
    const d = catalog.describe(c.host);
    if (!d.company) {
      s.unnamed++;
      s.unnamedHosts.push(c.host);
      continue;
    }
    const owner = d.owner ?? d.company.owner ?? '';
    if (matches(d.company.name, c.accepted) || (owner && matches(owner, c.accepted))) s.right++;
    else {
      s.wrong++;
      s.wrongHosts.push(
        `${c.host} → ${d.company.name}${owner ? ` (${owner})` : ''}, want ${c.accepted.join('/')}`,
      );
    }
  }
  return s;
}
const web = score(readSet('web.txt'));
const mobile = score(readSet('mobile.txt'));

// Hot-path cost: the evaluation hosts plus names from a real blocklist (mostly misses), in a loop.
const names = [...readSet('web.txt'), ...readSet('mobile.txt')].map((c) => c.host);
const listFile = join(shared, 'lists/stevenblack.domains.txt');
if (existsSync(listFile)) {
  const lines = readFileSync(listFile, 'utf8').split('\n');
  for (let i = 0; i < lines.length && names.length < 20_000; i += 7) {
    const line = lines[i]?.trim();
    if (line && !line.startsWith('#')) names.push(line);
  }
}
const attribution = catalog.attribution();
const out = { companyId: 0, categoryId: 0, appId: 0, kind: 0, tracking: false, dualUse: false };
/** Lookups in a function (module top-level loops run less optimised and would measure the harness). */
function lookupAll(
  rounds: number,
  through: { attribute(name: string, out: object): boolean } = attribution,
): number {
  let found = 0;
  for (let r = 0; r < rounds; r++) for (const n of names) if (through.attribute(n, out)) found++;
  return found;
}
let hits = lookupAll(20);
const rounds = 100;
// Three timed passes, best of them reported (the machine may be shared; the first pass may still see
// the JIT and the GC settle).
let elapsed = Infinity;
let allocated = Infinity;
for (let pass = 0; pass < 3; pass++) {
  const heapBefore = heapUsed();
  const t0 = process.hrtime.bigint();
  hits += lookupAll(rounds);
  const passElapsed = Number(process.hrtime.bigint() - t0);
  const passAllocated = process.memoryUsage().heapUsed - heapBefore;
  elapsed = Math.min(elapsed, passElapsed);
  allocated = Math.min(allocated, passAllocated);
  if (args.includes('--passes'))
    console.log(
      `pass ${pass}: ${(passElapsed / (rounds * names.length)).toFixed(0)} ns, ${passAllocated} bytes`,
    );
}
const lookups = rounds * names.length;

const pct = (n: number, d: number): string => `${((100 * n) / Math.max(d, 1)).toFixed(1)} %`;
const line = (label: string, s: Score): string =>
  `${label.padEnd(18)} ${String(s.total).padStart(4)} hosts   right ${pct(s.right, s.total).padStart(7)}   wrong ${pct(s.wrong, s.total).padStart(6)}   unnamed ${pct(s.unnamed, s.total).padStart(7)}`;
const all: Score = {
  total: web.total + mobile.total,
  right: web.right + mobile.right,
  wrong: web.wrong + mobile.wrong,
  unnamed: web.unnamed + mobile.unnamed,
  wrongHosts: [],
  unnamedHosts: [],
};
console.log(`catalog: ${root}${args.includes('--companiesdb-import') ? ' + companiesdb import' : ''}`);
console.log(`attributed domains: ${catalog.attributedDomains}`);
console.log(line('web trackers', web));
console.log(line('mobile SDK hosts', mobile));
console.log(line('all', all));
console.log(
  `attribution: ${(elapsed / lookups).toFixed(0)} ns per lookup over ${names.length} names (${hits > 0 ? 'with hits' : 'no hits'}), ` +
    `${(allocated / lookups).toFixed(3)} heap bytes allocated per lookup (best of 3 passes of ${lookups} lookups)${gc ? '' : ' (run with --expose-gc for exact figures)'}`,
);
console.log(
  `memory: ${(catalogHeap / 1024 / 1024).toFixed(1)} MB of heap held by the loaded catalog and tracker database`,
);
if (web.wrongHosts.length + mobile.wrongHosts.length > 0)
  console.log(`wrong:\n  ${[...web.wrongHosts, ...mobile.wrongHosts].join('\n  ')}`);
if (web.unnamedHosts.length + mobile.unnamedHosts.length > 0)
  console.log(`unnamed: ${[...web.unnamedHosts, ...mobile.unnamedHosts].join(' ')}`);
// `--compare DIR`: the same names through another checkout's catalog (with the companiesdb import), timed
// interleaved with this one in one process, so a busy machine slows both alike; best of 8 rounds each.
const compareRoot = option('--compare');
if (compareRoot) {
  const other = (await load(resolve(compareRoot), true)).attribution();
  lookupAll(20, other);
  const best = { this: Infinity, other: Infinity };
  for (let i = 0; i < 8; i++) {
    for (const [key, through] of [
      ['this', attribution],
      ['other', other],
    ] as const) {
      const t0 = process.hrtime.bigint();
      lookupAll(20, through);
      best[key] = Math.min(best[key], Number(process.hrtime.bigint() - t0) / (20 * names.length));
    }
  }
  console.log(
    `interleaved: ${best.this.toFixed(0)} ns per lookup here, ${best.other.toFixed(0)} ns in ${compareRoot} + companiesdb import (×${(best.this / best.other).toFixed(2)})`,
  );
}

// Blind sample: hosts drawn (fixed seed) from a real DNS blocklist that no one curated for this set.
// There is no answer key, so it measures how many names get a company at all (and which ones, for a
// reader to spot-check); right/wrong comes from the vendor-documented set above.
const blindFile = join(shared, 'lists/adguarddns.domains.txt');
const blindCount = Number(option('--blind') ?? 0);
if (blindCount > 0 && existsSync(blindFile)) {
  const hosts = readFileSync(blindFile, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  let seed = 12;
  const random = (): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
    return seed / 0x80000000;
  };
  const sample = Array.from(
    { length: blindCount },
    () => hosts[Math.floor(random() * hosts.length)] as string,
  );
  const named = sample.filter((h) => catalog.describe(h).company);
  console.log(
    `blind sample: ${named.length} of ${sample.length} hosts of the AdGuard DNS filter named (${pct(named.length, sample.length)})`,
  );
  if (args.includes('--show-blind'))
    for (const h of named) {
      const d = catalog.describe(h);
      console.log(`  ${h} → ${d.company?.name}${d.owner ? ` (${d.owner})` : ''}`);
    }
}
const jsonFile = option('--json');
if (jsonFile)
  writeFileSync(
    jsonFile,
    JSON.stringify(
      { web, mobile, nsPerLookup: elapsed / lookups, bytesPerLookup: allocated / lookups, catalogHeap },
      null,
      2,
    ),
  );
