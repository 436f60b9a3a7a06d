/**
 * Dashboard pages against a large query log: each page's API requests (the ones web/src issues when the
 * page opens, listed in PAGES below) sent at once over real HTTP to the real Fastify app (buildApp on a
 * loopback port, logged in), the way the browser sends them. A page's time is from the first request
 * until the last answer has been read. Issue 5's target: every page under 300 ms with 10 M logged queries.
 *
 * Cold: a fresh app and a fresh read connection to querylog.db for each page (empty SQLite page cache;
 * the OS file cache is whatever the machine has: it is not dropped). Warm: the worst of 5 more loads.
 * Client and server share this process's event loop, as they share the machine's cores in real use.
 *
 * Used by run.ts (after the per-method timings); the log must come from run.ts's generator: 50 devices
 * 192.168.1.11… (ids 1…), names host…site….example.com / ….tracker.com, company ids 1…200.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '../../server/api/app.js';
import { defaultConfig } from '../../server/config/load.js';
import { DeviceRegistry } from '../../server/devices/registry.js';
import { PolicyEngine } from '../../server/filter/policy-engine.js';
import { ListManager } from '../../server/lists/list-manager.js';
import { silentLogger } from '../../server/logger.js';
import { Analytics } from '../../server/store/analytics.js';
import type { LogAnalytics } from '../../server/store/log-analytics.js';
import { readSetupCode } from '../../server/api/auth/setup-code.js';
import { CatalogRepo } from '../../server/store/repos/catalog-repo.js';
import { configRepos } from '../../server/store/config-repos.js';
import { openConfigDb, type Db } from '../../server/store/sqlite.js';
import { loadCatalog, type Catalog } from '../../server/trackers/catalog.js';

export const PAGE_TARGET_MS = 300;
const WARM_RUNS = 5;
const PASSWORD = 'bench password 1234';

export interface PageCase {
  page: string;
  /** Paths (with query) the page requests on load, besides the pause banner's GET /api/pause. */
  requests: string[];
  /** False for an action on a page (no navigation, so no pause banner request). */
  banner?: boolean;
}

export interface PageTiming {
  page: string;
  requests: number;
  cold: number;
  warm: number;
  /** The request that answered last in the slowest warm load, and its time. */
  slowest: string;
  slowestMs: number;
}

export interface PagesInput {
  /** Directory holding querylog.db. */
  logDir: string;
  /** The log's clock: the end of its last generated day. */
  now: number;
  devices: number;
  names: number;
  /** The read side the app gets (default: SQLite's Analytics on logDir); bench/pg-pages.ts passes PostgreSQL's. */
  openAnalytics?: () => LogAnalytics;
}

/**
 * What each page requests on load (read from web/src; keep in step with it). Every page also shows the
 * pause banner (components/PauseBanner.svelte), which asks GET /api/pause on each navigation.
 */
export function pageCases(input: {
  busyDevice: number;
  quietDevice: number;
  company: string;
  rareName: string;
}): PageCase[] {
  const overview = (period: string): string[] => [
    `/api/stats/summary?period=${period}`,
    `/api/stats/timeseries?period=${period}`,
    `/api/stats/tops?period=${period}`,
  ];
  const device = (id: number): string[] => [
    `/api/devices/${id}?period=24h`,
    `/api/stats/timeseries?period=24h&device=${id}`,
    `/api/stats/tops?period=24h&device=${id}`,
    `/api/queries?device=${id}&limit=50`,
    `/api/rules?device=${id}`,
    '/api/groups',
  ];
  // QueryLog.svelte: the device picker's list, then the first page with the filters of the link.
  const log = (filter: string): string[] => ['/api/devices?period=24h', `/api/queries?limit=100${filter}`];
  return [
    { page: 'overview 24h', requests: overview('24h') },
    { page: 'overview 7d', requests: overview('7d') },
    { page: 'overview 30d', requests: overview('30d') },
    { page: 'devices', requests: ['/api/devices?period=24h', '/api/groups'] },
    { page: 'device (busiest)', requests: device(input.busyDevice) },
    { page: 'device (quietest)', requests: device(input.quietDevice) },
    { page: 'trackers 24h', requests: ['/api/companies?period=24h', '/api/categories?period=24h'] },
    { page: 'trackers 7d', requests: ['/api/companies?period=7d', '/api/categories?period=7d'] },
    { page: 'trackers 30d', requests: ['/api/companies?period=30d', '/api/categories?period=30d'] },
    // Not a page load: what opening a company card asks (its devices and names), 24 h and 30 days.
    {
      page: 'company card opened 24h',
      requests: [`/api/companies/${input.company}?period=24h`],
      banner: false,
    },
    {
      page: 'company card opened 30d',
      requests: [`/api/companies/${input.company}?period=30d`],
      banner: false,
    },
    // There is no page per company: a company's queries are the query log filtered by it.
    { page: 'company (log by company)', requests: log(`&company=${input.company}`) },
    { page: 'query log', requests: log('') },
    { page: 'query log: device', requests: log(`&device=${input.quietDevice}`) },
    { page: 'query log: name (common)', requests: log('&name=tracker') },
    { page: 'query log: name (rare)', requests: log(`&name=${input.rareName}`) },
    { page: 'query log: status error', requests: log('&status=error') },
    { page: 'query log: device+blocked', requests: log(`&device=${input.quietDevice}&status=blocked`) },
    { page: 'blocklists', requests: ['/api/lists', '/api/rules'] },
    { page: 'settings', requests: ['/api/settings', '/api/pause', '/api/auth/status'] },
    { page: 'setup', requests: ['/api/setup/check'] },
  ];
}

interface Fixture {
  configDb: Db;
  catalog: Catalog;
  devices: DeviceRegistry;
  lists: ListManager;
  policy: PolicyEngine;
  dir: string;
}

/** tracksink.db for the bench: the catalog, the log's devices (ids 1…N by address), the built-in list. */
async function fixture(input: PagesInput): Promise<Fixture> {
  const dir = join(input.logDir, 'pages-config');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const configDb = openConfigDb(join(dir, 'tracksink.db'));
  const catalog = loadCatalog(undefined, { ids: new CatalogRepo(configDb) });
  const policy = new PolicyEngine({ attribution: catalog.attribution() });
  const devices = new DeviceRegistry({
    db: configDb,
    logger: silentLogger,
    neighbourTable: { read: async () => new Map() },
  });
  for (let d = 1; d <= input.devices; d++) {
    const id = devices.deviceIdFor(`192.168.1.${d + 10}`);
    if (id !== d) throw new Error(`device ids must follow the log's (${d}), got ${id}`);
  }
  devices.flushSeen();
  const lists = new ListManager({
    db: configDb,
    dataDir: dir,
    policy,
    catalog,
    logger: silentLogger,
    refreshHours: 24,
    offline: true,
  });
  lists.ensureDefaults([], true);
  await lists.start();
  return { configDb, catalog, devices, lists, policy, dir };
}

interface Server {
  base: string;
  cookie: string;
  close(): Promise<void>;
}

async function startServer(f: Fixture, input: PagesInput): Promise<Server> {
  const config = defaultConfig();
  config.dataDir = f.dir;
  const analytics =
    input.openAnalytics?.() ?? Analytics.open({ dataDir: input.logDir, now: () => input.now });
  // PostgreSQL's read side opens and readies its connections at start (PgAnalytics.ready): a server is
  // started long before its first page; cold then means a fresh server and fresh connections.
  await (analytics as { ready?: Promise<void> }).ready;
  const app = await buildApp({
    config,
    repos: configRepos(f.configDb),
    logger: silentLogger,
    policy: f.policy,
    lists: f.lists,
    catalog: f.catalog,
    devices: f.devices,
    analytics,
    startedAt: Date.now(),
    ready: () => true,
    now: () => input.now,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as { port: number };
  const base = `http://127.0.0.1:${port}`;
  const status = (await (await fetch(`${base}/api/auth/status`)).json()) as { setupNeeded: boolean };
  const login = await fetch(`${base}/api/auth/${status.setupNeeded ? 'setup' : 'login'}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    // First run needs the setup code tracksink wrote into its data directory.
    body: JSON.stringify(
      status.setupNeeded ? { password: PASSWORD, setupCode: readSetupCode(f.dir) } : { password: PASSWORD },
    ),
  });
  if (!login.ok) throw new Error(`login failed: ${login.status} ${await login.text()}`);
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  return {
    base,
    cookie,
    async close() {
      await app.close();
      await analytics.close();
    },
  };
}

/** One page load: every request at once; resolves when the last body has been read. */
async function loadPage(
  server: Server,
  paths: string[],
): Promise<{ ms: number; last: string; lastMs: number }> {
  const started = performance.now();
  let last = '';
  let lastMs = 0;
  await Promise.all(
    paths.map(async (path) => {
      const response = await fetch(`${server.base}${path}`, { headers: { cookie: server.cookie } });
      const body = await response.text();
      if (!response.ok) throw new Error(`${path}: HTTP ${response.status} ${body.slice(0, 200)}`);
      const ms = performance.now() - started;
      if (ms >= lastMs) {
        lastMs = ms;
        last = path;
      }
    }),
  );
  return { ms: performance.now() - started, last, lastMs };
}

/** Times every page, cold (fresh server) then warm (worst of 5). */
export async function measurePages(input: PagesInput, only?: RegExp): Promise<PageTiming[]> {
  const f = await fixture(input);
  try {
    const probe = Analytics.open({ dataDir: input.logDir, now: () => input.now });
    // The company filter takes a catalog key: the busiest company the catalog knows.
    const known = probe
      .topCompanies({ from: input.now - 30 * 86_400_000, to: input.now }, { limit: 1000 })
      .find((row) => f.catalog.company(row.id) !== undefined);
    probe.close();
    const company = known ? (f.catalog.company(known.id)?.key ?? '') : '';
    const cases = pageCases({
      busyDevice: 1,
      quietDevice: input.devices,
      company,
      rareName: `site${input.names - 7}.`,
    }).filter((c) => (only ? only.test(c.page) : true));
    const results: PageTiming[] = [];
    for (const c of cases) {
      const paths = c.banner === false ? c.requests : ['/api/pause', ...c.requests];
      const server = await startServer(f, input);
      try {
        const cold = await loadPage(server, paths);
        let warm = { ms: 0, last: '', lastMs: 0 };
        for (let i = 0; i < WARM_RUNS; i++) {
          const run = await loadPage(server, paths);
          if (run.ms >= warm.ms) warm = run;
        }
        const slowest = cold.ms > warm.ms ? cold : warm;
        results.push({
          page: c.page,
          requests: paths.length,
          cold: cold.ms,
          warm: warm.ms,
          slowest: slowest.last,
          slowestMs: slowest.lastMs,
        });
      } finally {
        await server.close();
      }
    }
    return results;
  } finally {
    await f.lists.stop();
    await f.devices.close();
    f.configDb.close();
  }
}

/** Each distinct request of the pages alone, warm (worst of 3 after one cold): where a page's time goes. */
export async function measureRequests(
  input: PagesInput,
  only?: RegExp,
): Promise<Array<{ path: string; cold: number; warm: number }>> {
  const f = await fixture(input);
  const server = await startServer(f, input);
  try {
    const paths = new Set<string>();
    for (const c of pageCases({
      busyDevice: 1,
      quietDevice: input.devices,
      company: 'amplitude',
      rareName: `site${input.names - 7}.`,
    }))
      if (!only || only.test(c.page)) for (const path of c.requests) paths.add(path);
    const out: Array<{ path: string; cold: number; warm: number }> = [];
    for (const path of paths) {
      const cold = (await loadPage(server, [path])).ms;
      let warm = 0;
      for (let i = 0; i < 3; i++) warm = Math.max(warm, (await loadPage(server, [path])).ms);
      out.push({ path, cold, warm });
    }
    return out;
  } finally {
    await server.close();
    await f.lists.stop();
    await f.devices.close();
    f.configDb.close();
  }
}

/** The table run.ts prints (and the main bench report embeds). */
export function pagesTable(results: PageTiming[], rows: number): string {
  const load = loadavg().map((l) => l.toFixed(2));
  const lines = [
    `Dashboard pages over HTTP (${rows.toLocaleString('en-US')} logged queries; target < ${PAGE_TARGET_MS} ms cold and warm;`,
    `cold = first load on a fresh server and SQLite connection, warm = worst of ${WARM_RUNS} more; load average ${load.join(' ')}):`,
    `${'page'.padEnd(28)} ${'reqs'.padStart(4)} ${'cold ms'.padStart(9)} ${'warm max'.padStart(9)}  ok  answered last`,
  ];
  for (const r of results) {
    const ok = r.cold < PAGE_TARGET_MS && r.warm < PAGE_TARGET_MS;
    lines.push(
      `${r.page.padEnd(28)} ${String(r.requests).padStart(4)} ${r.cold.toFixed(1).padStart(9)} ${r.warm.toFixed(1).padStart(9)}  ${ok ? '✅' : '❌'}  ${r.slowest}`,
    );
  }
  const met = results.filter((r) => r.cold < PAGE_TARGET_MS && r.warm < PAGE_TARGET_MS).length;
  lines.push(`pages under ${PAGE_TARGET_MS} ms: ${met} of ${results.length}`);
  return lines.join('\n');
}
