// Resident memory at each stage of loading one large list as the list loader does (issue 16, "million pass" in
// bench/GAP.md): the file read, the parse in the parser thread with the parsed cache, the matcher, the thread
// ended, and with RESTART=1 the parse read back from the cache. Uses a checkout's tsc build (dist/server).
// Usage: MALLOC_ARENA_MAX=2 node --expose-gc bench/list-load-stages.mjs <checkout root> <list file> (NOCACHE=1: no cache)
import { readFileSync, mkdtempSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
const [root, file] = process.argv.slice(2);
const { ListParser } = await import(join(root, 'dist/server/lists/list-parser.js'));
const { ParsedListCache } = await import(join(root, 'dist/server/lists/parsed-cache.js'));
const { buildMatcher } = await import(join(root, 'dist/server/filter/matcher.js'));
const MB = 1024 * 1024;
const status = () => {
  const s = readFileSync('/proc/self/status', 'utf8');
  const kb = (k) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(s)[1]);
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
};
const show = (stage) => {
  global.gc();
  const m = process.memoryUsage();
  const s = status();
  console.log(
    `${stage.padEnd(34)} rss ${s.rss.toFixed(0).padStart(4)} hwm ${s.hwm.toFixed(0).padStart(4)} heap ${(m.heapUsed / MB).toFixed(1).padStart(5)} ab ${(m.arrayBuffers / MB).toFixed(1).padStart(5)}`,
  );
};
show('start');
const dir = mkdtempSync(join(tmpdir(), 'million-stages-'));
const cache = process.env.NOCACHE ? null : new ParsedListCache(dir, 'f'.repeat(64));
const parser = new ListParser({ cache, idleStopMs: 1000 });
// The bytes live only inside this function, as the list loader's do (dropped once parsed and written).
const parseBytes = async () => {
  const body = await readFile(file);
  show('file read');
  const { parsed } = await parser.decodeAndParse(body, false, 1, 'auto');
  show('parsed (worker, cached)');
  return parsed;
};
const parsed = await parseBytes();
show('body dropped');
const matcher = buildMatcher([{ id: 1, name: 'm', kind: 'block', parsed }]);
show('matcher built');
await new Promise((r) => setTimeout(r, 2500));
show('worker ended');
console.log('entries', matcher.entries, 'unique', matcher.uniqueNames);
if (process.env.RESTART) {
  // second start: the parse comes from the cache
  const parser2 = new ListParser({ cache, idleStopMs: 1000 });
  const b = await readFile(file);
  await parser2.decodeAndParse(b, false, 1, 'auto');
  show('cached parse read');
  await parser2.close();
}
await parser.close();
