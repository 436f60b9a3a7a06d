/**
 * Measures what a big list costs: parse + index time and extra resident memory for a generated
 * 1,000,000-name hosts list, and the same for the real fixture lists. Not a test (timings are noisy on
 * a shared machine); run it by hand and read the figures:
 *
 *   node --expose-gc --import tsx tests/integration/filter/measure-load.ts [names=1000000]
 *
 * Times are CPU time of this process (the machine is shared). Memory is RSS after a forced GC, with the list text already dropped (the lists module frees it
 * after parsing), minus RSS after GC before the text was read.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildMatcher } from '../../../server/filter/matcher.js';
import type { ListInput } from '../../../server/filter/matcher.js';
import { parseList } from '../../../server/filter/parse.js';
import { PolicyEngine } from '../../../server/filter/policy-engine.js';
import { emptyVerdict } from '../../../server/filter/verdict.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');
const forceGc = gc;
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
// FIXTURES_DIR lets a bundled copy of this script (esbuild, to time production-like code) find them.
const fixtures = process.env.FIXTURES_DIR ?? path.resolve(repoRoot, '../shared/fixtures/lists');
const mb = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1) + ' MB';

function cpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

function rssAfterGc(): number {
  forceGc();
  forceGc();
  return process.memoryUsage().rss;
}

function measure(label: string, files: string[]): void {
  const before = rssAfterGc();
  // CPU time, not wall time: the machine is shared, and other processes' load should not count.
  const start = cpuMs();
  const lists: ListInput[] = files.map((file, i) => {
    const text = readFileSync(file, 'utf8');
    return {
      id: i + 1,
      name: path.basename(file),
      kind: 'block',
      parsed: parseList(text, { listId: i + 1 }),
    };
  });
  const parsedAt = cpuMs();
  const matcher = buildMatcher(lists);
  const builtAt = cpuMs();
  const extra = rssAfterGc() - before;
  const engine = new PolicyEngine();
  engine.setLists(matcher);
  const out = emptyVerdict();
  const probe = ['www.example.org', 'a.b.c.d.example.net', 'n12345.example7.com', 'cdn.tracker.test'];
  const lookups = 1_000_000;
  const t = cpuMs();
  for (let i = 0; i < lookups; i++) engine.decide(probe[i & 3]!, 1, 0, out);
  const lookupNs = ((cpuMs() - t) * 1e6) / lookups;
  console.log(
    `${label}: ${matcher.entries} rules (${matcher.uniqueNames} distinct names); parse ${(parsedAt - start).toFixed(0)} ms CPU, ` +
      `index ${(builtAt - parsedAt).toFixed(0)} ms, total ${(builtAt - start).toFixed(0)} ms; extra RSS ${mb(extra)}; ` +
      `decide ~${lookupNs.toFixed(0)} ns/lookup`,
  );
  // Keep the structures alive until measured.
  if (lists.length < 0) console.log(lists);
}

const count = Number(process.argv[2] ?? 1_000_000);
const dir = mkdtempSync(path.join(tmpdir(), 'tracksink-measure-'));
try {
  const file = path.join(dir, 'generated.hosts');
  const lines: string[] = ['# generated', '127.0.0.1 localhost'];
  for (let i = 0; i < count; i++)
    lines.push(`0.0.0.0 n${i}-${(i * 2654435761) % 1000003}.example${i % 997}.com`);
  writeFileSync(file, lines.join('\n') + '\n');
  lines.length = 0;
  measure(`generated hosts, ${count} names`, [file]);
  const real = readdirSync(fixtures).map((f) => path.join(fixtures, f));
  for (const f of real) measure(path.basename(f), [f]);
  measure('all 16 fixtures together', real);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
