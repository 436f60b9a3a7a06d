/**
 * Where the main isolate's memory goes, structure by structure (issue 16): each step loads one more part
 * the server holds, the same way the server does, and the heap, external memory and resident size are read
 * after a full GC. Counts of bytes, not times, so a loaded machine does not change them much. Run:
 * `npm run bench:footprint:structures [-- --list=FILE]`.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '..', '..');
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
const defaultList = resolve(root, '..', 'shared', 'fixtures', 'lists', 'stevenblack.domains.txt');
const listArg = process.argv.find((a) => a.startsWith('--list='))?.slice(7);
const listFile = listArg ?? (existsSync(defaultList) ? defaultList : null);
const MB = 1024 * 1024;
const keep: unknown[] = [];

interface Reading {
  heap: number;
  external: number;
  rss: number;
}
function read(): Reading {
  gc!();
  gc!();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, external: m.external, rss: m.rss };
}

const rows: string[] = [
  '| structure (main isolate) | heap | external | resident | how measured |',
  '|---|---:|---:|---:|---|',
];
async function step(name: string, how: string, load: () => unknown): Promise<void> {
  const before = read();
  keep.push(await load());
  const after = read();
  const f = (n: number) => `${(n / MB).toFixed(1)} MB`;
  rows.push(
    `| ${name} | ${f(after.heap - before.heap)} | ${f(after.external - before.external)} | ${f(after.rss - before.rss)} | ${how} |`,
  );
}

const dir = mkdtempSync(join(tmpdir(), 'tracksink-structures-'));
try {
  const base = read();
  rows.push(
    `| bare Node.js (this process at start) | ${(base.heap / MB).toFixed(1)} MB | | ${(base.rss / MB).toFixed(1)} MB | |`,
  );
  await step(
    'DNS-path modules (code and module state)',
    'import dns, filter, lists, store, devices, trackers',
    () =>
      Promise.all([
        import('../server/dns/dns-server.js'),
        import('../server/lists/list-manager.js'),
        import('../server/store/query-log.js'),
        import('../server/devices/registry.js'),
        import('../server/trackers/catalog.js'),
        import('../server/settings/saved-settings.js'),
      ]),
  );
  await step('Fastify, routes, Swagger (api/app.js)', 'import', () => import('../server/api/app.js'));
  await step('certificates: acme-client', 'import', () => import('acme-client'));
  await step('certificates: @peculiar/x509', 'import', () => import('@peculiar/x509'));
  const { openConfigDb } = await import('../server/store/sqlite.js');
  const { CatalogRepo } = await import('../server/store/repos/catalog-repo.js');
  const { loadSavedCompaniesDb } = await import('../server/trackers/companiesdb.js');
  const { loadCatalog } = await import('../server/trackers/catalog.js');
  const configDb = openConfigDb(join(dir, 'tracksink.db'));
  await step('tracker catalog + companies database', 'loadCatalog as services.ts does', () =>
    loadCatalog(undefined, { ids: new CatalogRepo(configDb), companiesDb: loadSavedCompaniesDb(dir) }),
  );
  const { shippedAppCatalog } = await import('../server/trackers/apps/app-catalog.js');
  await step('app catalog', 'shippedAppCatalog()', () => shippedAppCatalog());
  if (listFile) {
    const { parseList } = await import('../server/filter/parse.js');
    const { buildMatcher } = await import('../server/filter/matcher.js');
    const text = readFileSync(listFile, 'utf8');
    await step(
      `list matcher: ${listFile.split('/').pop()}`,
      'parseList + buildMatcher (the text dropped)',
      () => buildMatcher([{ id: 1, name: 'list', kind: 'block', parsed: parseList(text, { listId: 1 }) }]),
    );
  }
  const { ouiRegistryFile, vendorsFor } = await import('../server/devices/oui-registry.js');
  await step('OUI registry, parsed whole (before this change)', 'JSON.parse + Map prefix → name', () => {
    const data = JSON.parse(readFileSync(ouiRegistryFile(), 'utf8')) as Record<string, string>;
    return new Map(Object.entries(data).map(([k, v]) => [k.toLowerCase(), v.split('\n')[0]!.trim()]));
  });
  keep.pop();
  await step('OUI registry, searched on disk (now)', 'vendorsFor 5 MACs', () =>
    vendorsFor([
      '3c:22:fb:01:02:03',
      '00:00:00:12:34:56',
      'b8:27:eb:00:00:01',
      'a4:83:e7:00:00:01',
      '8c:1f:64:ff:c0:01',
    ]),
  );
  const { DnsCache } = await import('../server/dns/cache.js');
  const { defaultConfig } = await import('../server/config/load.js');
  const { buildQuery } = await import('./lib/dns-probe.js');
  const cacheConfig = defaultConfig().dns.cache;
  let cached = 0;
  await step(
    `DNS cache full at its default caps (${cacheConfig.maxEntries.toLocaleString('en')} answers, ${(cacheConfig.maxBytes / MB).toFixed(0)} MB counted)`,
    'DnsCache.store of one-A-record answers for names like host123.example-456.com, until either cap holds',
    () => {
      const cache = new DnsCache(cacheConfig);
      for (let i = 0; i < cacheConfig.maxEntries; i++) {
        const name = `host${i}.example-${i % 997}.com`;
        const query = buildQuery(i & 0xffff, name);
        const answer = Buffer.alloc(query.length + 16);
        query.copy(answer);
        answer.writeUInt16BE(0x8180, 2);
        answer.writeUInt16BE(1, 6);
        answer.set([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 198, 18, 0, 10], query.length);
        cache.store(name, 1, 1, false, answer);
      }
      cached = cache.size;
      return cache;
    },
  );
  rows.push(
    `| … answers it kept | ${cached.toLocaleString('en')} | | | the byte cap binds first when fewer than maxEntries |`,
  );
  const pragma = (db: { pragma(s: string, o: { simple: true }): unknown }, name: string) =>
    Number(db.pragma(name, { simple: true }));
  rows.push(
    `| tracksink.db page cache (cap) | | | ≤ ${((-pragma(configDb, 'cache_size') * 1024) / MB).toFixed(1)} MB | cache_size ${pragma(configDb, 'cache_size')} (better-sqlite3's default, per connection) |`,
  );
  configDb.close();
  const final = read();
  rows.push(
    `| total in this process | ${(final.heap / MB).toFixed(1)} MB | ${(final.external / MB).toFixed(1)} MB | ${(final.rss / MB).toFixed(1)} MB | |`,
  );
  console.log(rows.join('\n'));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
