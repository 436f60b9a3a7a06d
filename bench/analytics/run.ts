/**
 * Analytics benchmark: generates a query log of 10,000,000 queries from 50 devices over 30 days (rows
 * from a seeded PRNG, inserted 200 per statement in one transaction per day, rollups built per day with
 * INSERT … SELECT, secondary indexes built at the end), then times every query Analytics serves (target
 * < 100 ms each) and every dashboard page through the real API (pages.ts, target < 300 ms each).
 *
 *   npx tsx bench/analytics/run.ts [--rows 10000000] [--days 30] [--devices 50] [--names 20000]
 *                                  [--dir bench/work/analytics] [--reuse] [--no-pages] [--pages-only]
 *                                  [--page REGEX]
 *
 * --reuse skips generation when the directory already holds a log of the requested size; the clock is
 * then the end of that log's last day, so a log built yesterday is timed as it was built.
 * --pages-only skips the per-method timings; --page REGEX times only the pages whose name matches.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { QueryStatus } from '../../server/events/query-event.js';
import { Analytics, type Period } from '../../server/store/analytics.js';
import { ALL_DEVICES, DAY_MS, HOUR_MS, SHORT_ROLLUP_KEEP_MS } from '../../server/store/log-writer.js';
import { migrationsDir, openDatabase, type Db } from '../../server/store/sqlite.js';
import { measurePages, measureRequests, pagesTable } from './pages.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '10000000' },
    days: { type: 'string', default: '30' },
    devices: { type: 'string', default: '50' },
    names: { type: 'string', default: '20000' },
    dir: { type: 'string', default: 'bench/work/analytics' },
    reuse: { type: 'boolean', default: false },
    'no-pages': { type: 'boolean', default: false },
    'pages-only': { type: 'boolean', default: false },
    page: { type: 'string' },
    requests: { type: 'boolean', default: false },
  },
});
const ROWS = Number(values.rows);
const DAYS = Number(values.days);
const DEVICES = Number(values.devices);
const NAMES = Number(values.names);
const dir = resolve(values.dir);
const dbPath = join(dir, 'querylog.db');
// Whole UTC days, so each generated day is exactly one day bucket. A reused log keeps its own clock.
let NOW = Math.floor(Date.now() / DAY_MS) * DAY_MS;
let START = NOW - DAYS * DAY_MS;

/** Small deterministic PRNG (mulberry32) so every run builds the same log. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const INDEXES = ['queries_by_device', 'queries_by_company', 'queries_by_status'];

function generate(): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const db = openDatabase(dbPath, { migrations: migrationsDir('querylog') });
  db.pragma('cache_size = -262144');
  // Bulk load without the secondary indexes, rebuilt at the end (faster than maintaining them).
  const indexSql = INDEXES.map(
    (name) =>
      db
        .prepare("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?")
        .pluck()
        .get(name) as string,
  );
  for (const name of INDEXES) db.exec(`DROP INDEX ${name}`);

  const random = rng(42);
  const insertName = db.prepare('INSERT INTO names (id, name) VALUES (?, ?)');
  db.transaction(() => {
    for (let i = 1; i <= NAMES; i++)
      insertName.run(i, `host${i % 97}.site${i}.${i % 3 === 0 ? 'tracker' : 'example'}.com`);
    const insertClient = db.prepare('INSERT INTO clients (id, address) VALUES (?, ?)');
    for (let d = 1; d <= DEVICES; d++) insertClient.run(d, `192.168.1.${d + 10}`);
  })();

  const PER_INSERT = 200;
  const columns =
    'time, device_id, client_id, name_id, qtype, protocol, status, reason, list_id, rule_id, company_id, category_id, app_id, rcode, duration_us, upstream_id, cname_id, kind';
  const FIELDS = 18;
  const tuple = `(${Array<string>(FIELDS).fill('?').join(',')})`;
  const insertMany = db.prepare(
    `INSERT INTO queries (${columns}) VALUES ${Array<string>(PER_INSERT).fill(tuple).join(',')}`,
  );
  const perDay = Math.floor(ROWS / DAYS);
  const began = Date.now();
  let written = 0;
  for (let day = 0; day < DAYS; day++) {
    const dayStart = START + day * DAY_MS;
    const count = day === DAYS - 1 ? ROWS - written : perDay;
    const firstId = written + 1;
    db.transaction(() => {
      const params: number[] = [];
      for (let i = 0; i < count; i++) {
        const time = dayStart + Math.floor((i * DAY_MS) / count);
        const device = 1 + Math.floor(DEVICES * random() ** 2); // a few busy devices, many quiet ones
        const name = Math.min(NAMES, Math.floor(NAMES ** random())); // log-uniform: Zipf-like popularity
        const attributed = name % 3 === 0;
        const company = attributed ? 1 + (name % 200) : 0;
        const category = attributed ? 1 + (company % 12) : 0;
        const app = attributed && name % 2 === 0 ? 1000 + (company % 300) : 0;
        // NameKind: most attributed names are tracker endpoints, one company in four a service.
        const kind = attributed ? (company % 4 === 0 ? 2 : 1) : 0;
        const roll = random();
        const status = attributed
          ? roll < 0.7
            ? QueryStatus.blocked
            : QueryStatus.forwarded
          : roll < 0.55
            ? QueryStatus.forwarded
            : roll < 0.95
              ? QueryStatus.cached
              : roll < 0.97
                ? QueryStatus.local
                : roll < 0.99
                  ? QueryStatus.allowed
                  : QueryStatus.error;
        params.push(
          time,
          device,
          device,
          name,
          1,
          1,
          status,
          status === 1 ? 1 : 0,
          status === 1 ? 1 : 0,
          0,
          company,
          category,
          app,
          0,
          900,
          1,
          0,
          kind,
        );
        if (params.length === FIELDS * PER_INSERT) {
          insertMany.run(params);
          params.length = 0;
        }
      }
      const single = db.prepare(`INSERT INTO queries (${columns}) VALUES ${tuple}`);
      for (let i = 0; i < params.length; i += FIELDS) single.run(params.slice(i, i + FIELDS));
      buildRollups(db, firstId, firstId + count - 1, dayStart);
    })();
    written += count;
    const rate = Math.round(written / ((Date.now() - began) / 1000));
    process.stdout.write(
      `\rgenerating: day ${day + 1}/${DAYS}, ${written.toLocaleString('en-US')} rows (${rate.toLocaleString('en-US')} rows/s)   `,
    );
  }
  buildNameTotals(db);
  markRolledUp(db);
  process.stdout.write('\nbuilding indexes …\n');
  for (const sql of indexSql) db.exec(sql);
  db.exec('ANALYZE');
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
}

/** The same rollups the writer keeps, built for one day's id range with INSERT … SELECT. */
function buildRollups(db: Db, lo: number, hi: number, dayStart: number): void {
  const range = `FROM queries WHERE id BETWEEN ${lo} AND ${hi}`;
  const dims = 'company_id, category_id, app_id, kind, status';
  db.exec(`INSERT INTO counts_hour (device_id, bucket, ${dims}, count)
    SELECT device_id, time - time % ${HOUR_MS}, ${dims}, count(*) ${range} GROUP BY 1, 2, 3, 4, 5, 6, 7`);
  db.exec(`INSERT INTO counts_hour (device_id, bucket, ${dims}, count)
    SELECT ${ALL_DEVICES}, bucket, ${dims}, sum(count) FROM counts_hour
    WHERE device_id >= 0 AND bucket >= ${dayStart} AND bucket < ${dayStart + DAY_MS} GROUP BY 2, 3, 4, 5, 6, 7`);
  db.exec(`INSERT INTO counts_day (device_id, bucket, ${dims}, count)
    SELECT device_id, ${dayStart}, ${dims}, sum(count) FROM counts_hour
    WHERE bucket >= ${dayStart} AND bucket < ${dayStart + DAY_MS} GROUP BY 1, 3, 4, 5, 6, 7`);
  if (dayStart + DAY_MS > NOW - SHORT_ROLLUP_KEEP_MS) {
    db.exec(`INSERT INTO counts_minute (device_id, bucket, ${dims}, count)
      SELECT device_id, time - time % 60000, ${dims}, count(*) ${range} GROUP BY 1, 2, 3, 4, 5, 6, 7`);
    db.exec(`INSERT INTO counts_minute (device_id, bucket, ${dims}, count)
      SELECT ${ALL_DEVICES}, time - time % 60000, ${dims}, count(*) ${range} GROUP BY 2, 3, 4, 5, 6, 7`);
  }
  for (const [level, step] of [
    ['minute', 60_000],
    ['hour', HOUR_MS],
    ['day', DAY_MS],
  ] as const) {
    if (level === 'minute' && dayStart + DAY_MS <= NOW - SHORT_ROLLUP_KEEP_MS) continue;
    db.exec(`INSERT INTO totals_${level} (device_id, bucket, category_id, kind, status, count)
      SELECT device_id, time - time % ${step}, category_id, kind, status, count(*) ${range} GROUP BY 1, 2, 3, 4, 5`);
    db.exec(`INSERT INTO totals_${level} (device_id, bucket, category_id, kind, status, count)
      SELECT ${ALL_DEVICES}, time - time % ${step}, category_id, kind, status, count(*) ${range} GROUP BY 2, 3, 4, 5`);
  }
  db.exec(`INSERT INTO names_hour (device_id, bucket, name_id, status, company_id, kind, count)
    SELECT ${ALL_DEVICES}, time - time % ${HOUR_MS}, name_id, status, max(company_id), max(kind), count(*) ${range} GROUP BY 2, 3, 4`);
  db.exec(`INSERT INTO names_day (device_id, bucket, name_id, status, company_id, kind, count)
    SELECT device_id, ${dayStart}, name_id, status, max(company_id), max(kind), count(*) ${range} GROUP BY 1, 3, 4`);
  db.exec(`INSERT INTO names_day (device_id, bucket, name_id, status, company_id, kind, count)
    SELECT ${ALL_DEVICES}, bucket, name_id, status, max(company_id), max(kind), sum(count) FROM names_day
    WHERE device_id >= 0 AND bucket = ${dayStart} GROUP BY 3, 4`);
}

/** names_total is the per-name sum over the whole raw log: one streaming pass over names_day. */
function buildNameTotals(db: Db): void {
  db.exec('DELETE FROM names_total');
  db.exec(`INSERT INTO names_total (device_id, name_id, status, company_id, kind, count)
    SELECT device_id, name_id, status, max(company_id), max(kind), sum(count) FROM names_day GROUP BY 1, 2, 3`);
}

/**
 * The rollups above are built for every row, as the writer's passes leave them: say so where the schema
 * keeps that mark (rollup_state, querylog migration 0002), or name searches would rescan the whole log.
 */
function markRolledUp(db: Db): void {
  const hasState = db
    .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'rollup_state'")
    .get();
  if (hasState)
    db.exec(
      "INSERT OR REPLACE INTO rollup_state (name, last_id) SELECT 'names', coalesce(max(id), 0) FROM queries",
    );
}

/** Rows and last time of an existing log, brought to the current schema (a log is kept across changes). */
function existing(): { rows: number; lastTime: number } {
  if (!existsSync(dbPath)) return { rows: 0, lastTime: 0 };
  const db = openDatabase(dbPath, { migrations: migrationsDir('querylog') });
  markRolledUp(db);
  const rows = (db.prepare('SELECT max(id) FROM queries').pluck().get() as number | null) ?? 0;
  const lastTime = (db.prepare('SELECT time FROM queries WHERE id = ?').pluck().get(rows) as number) ?? 0;
  db.close();
  return { rows, lastTime };
}

const found = values.reuse ? existing() : { rows: 0, lastTime: 0 };
if (found.rows !== ROWS) generate();
else {
  NOW = Math.floor(found.lastTime / DAY_MS) * DAY_MS + DAY_MS;
  START = NOW - DAYS * DAY_MS;
  console.log(
    `reusing ${dbPath} (${ROWS.toLocaleString('en-US')} rows, ending ${new Date(NOW).toISOString()})`,
  );
}

// Timing: each query runs once cold, then 5 times; the reported figure is the worst of the warm runs
// (the API serves from a warm process; the cold figure is shown too).
const analytics = Analytics.open({ dataDir: dir, now: () => NOW });
const lastId = analytics.lastId();
const period = (ms: number): Period => ({ from: NOW - ms, to: NOW });
const [d1, d7, d30] = [period(DAY_MS), period(7 * DAY_MS), period(30 * DAY_MS)];
const busyDevice = 1;
const quietDevice = DEVICES;
const topCompany = analytics.topCompanies(d30, { limit: 1 })[0]?.id ?? 1;
const firstPage = analytics.queries({ limit: 100 });

const cases: Array<[string, () => unknown]> = [
  ['summary 24h', () => analytics.summary(d1)],
  ['summary 7d', () => analytics.summary(d7)],
  ['summary 30d', () => analytics.summary(d30)],
  ['summary 30d device', () => analytics.summary(d30, busyDevice)],
  ['series 24h', () => analytics.timeSeries('24h', { now: NOW })],
  ['series 7d', () => analytics.timeSeries('7d', { now: NOW })],
  ['series 30d', () => analytics.timeSeries('30d', { now: NOW })],
  ['series 24h device', () => analytics.timeSeries('24h', { now: NOW, deviceId: busyDevice })],
  ['series 30d device', () => analytics.timeSeries('30d', { now: NOW, deviceId: busyDevice })],
  ['top companies 24h', () => analytics.topCompanies(d1)],
  ['top companies 30d', () => analytics.topCompanies(d30)],
  ['top companies 30d device', () => analytics.topCompanies(d30, { deviceId: busyDevice })],
  ['top categories 30d', () => analytics.topCategories(d30)],
  ['top apps 30d', () => analytics.topApps(d30)],
  ['top names 24h', () => analytics.topNames(d1)],
  ['top names 7d', () => analytics.topNames(d7)],
  ['top names 30d', () => analytics.topNames(d30)],
  ['top names 24h device', () => analytics.topNames(d1, { deviceId: busyDevice })],
  ['top names 30d device', () => analytics.topNames(d30, { deviceId: busyDevice })],
  ['top blocked names 30d', () => analytics.topBlockedNames(d30)],
  ['top blocked names 24h device', () => analytics.topBlockedNames(d1, { deviceId: busyDevice })],
  ['devices by tracking 24h', () => analytics.devicesByTracking(d1)],
  ['devices by tracking 30d', () => analytics.devicesByTracking(d30)],
  ['company detail 30d', () => analytics.companyDetail(topCompany, d30)],
  ['company detail 7d', () => analytics.companyDetail(topCompany, d7)],
  ['log page', () => analytics.queries({ limit: 100 })],
  ['log page 2', () => analytics.queries({ limit: 100, before: firstPage.nextBefore ?? undefined })],
  ['log device (busy)', () => analytics.queries({ deviceId: busyDevice, limit: 100 })],
  ['log device (quiet)', () => analytics.queries({ deviceId: quietDevice, limit: 100 })],
  ['log name common', () => analytics.queries({ name: 'tracker', limit: 100 })],
  ['log name rare', () => analytics.queries({ name: `site${NAMES - 7}.`, limit: 100 })],
  ['log name no match', () => analytics.queries({ name: 'zzz-no-such', limit: 100 })],
  ['log status blocked', () => analytics.queries({ status: QueryStatus.blocked, limit: 100 })],
  ['log status error', () => analytics.queries({ status: QueryStatus.error, limit: 100 })],
  ['log company', () => analytics.queries({ companyId: topCompany, limit: 100 })],
  ['log company rare', () => analytics.queries({ companyId: 199, limit: 100 })],
  [
    'log time range (10 days ago)',
    () => analytics.queries({ from: NOW - 10 * DAY_MS, to: NOW - 10 * DAY_MS + HOUR_MS, limit: 100 }),
  ],
  [
    'log device+status+range',
    () =>
      analytics.queries({
        deviceId: quietDevice,
        status: QueryStatus.blocked,
        from: NOW - 20 * DAY_MS,
        to: NOW - 19 * DAY_MS,
        limit: 100,
      }),
  ],
  ['log device+name', () => analytics.queries({ deviceId: quietDevice, name: 'tracker', limit: 100 })],
  ['live tail', () => analytics.queriesAfter(lastId - 100)],
];

const results: Array<{ name: string; cold: number; warm: number }> = [];
for (const [name, run] of values['pages-only'] ? [] : cases) {
  let t = performance.now();
  run();
  const cold = performance.now() - t;
  let warm = 0;
  for (let i = 0; i < 5; i++) {
    t = performance.now();
    run();
    warm = Math.max(warm, performance.now() - t);
  }
  results.push({ name, cold, warm });
  console.log(
    `${name.padEnd(32)} cold ${cold.toFixed(1).padStart(8)} ms   warm max ${warm.toFixed(1).padStart(8)} ms`,
  );
}
analytics.close();
if (results.length > 0) {
  const slowest = results.reduce((a, b) => (b.warm > a.warm ? b : a));
  console.log(
    `\nslowest (warm): ${slowest.name} ${slowest.warm.toFixed(1)} ms; ${results.filter((r) => r.warm >= 100).length} of ${results.length} at or over 100 ms`,
  );
}

if (values.requests) {
  for (const r of await measureRequests(
    { logDir: dir, now: NOW, devices: DEVICES, names: NAMES },
    values.page === undefined ? undefined : new RegExp(values.page),
  ))
    console.log(
      `${r.path.padEnd(60)} cold ${r.cold.toFixed(1).padStart(8)}  warm ${r.warm.toFixed(1).padStart(8)}`,
    );
} else if (!values['no-pages']) {
  const pages = await measurePages(
    { logDir: dir, now: NOW, devices: DEVICES, names: NAMES },
    values.page === undefined ? undefined : new RegExp(values.page),
  );
  console.log(`\n${pagesTable(pages, ROWS)}`);
}
