/**
 * Dashboard page times on PostgreSQL beside SQLite (issue 18: "the same dashboard queries run on it
 * within the same time budget, < 300 ms on 10 M rows"). `npm run bench:pg-pages` (hold the bench lock:
 * `flock /tmp/team/bench.lock npm run bench:pg-pages`, or `-- --lock /tmp/team/bench.lock` to hold it
 * only while pages are timed, not while the logs are built).
 *
 * 1. The SQLite log: bench/analytics/run.ts builds (or with --reuse keeps) its 10 M-row querylog.db
 *    (50 devices, 30 days, 20,000 names, 200 companies).
 * 2. The same rows into a throw-away PostgreSQL (tests/helpers/pg-server.ts) by the fast path: day
 *    partitions made, the raw log's indexes dropped, `sqlite3 -csv | psql \copy` (row ids kept, so both
 *    logs order alike), indexes rebuilt, and the rollups built with INSERT … SELECT … GROUP BY (what the
 *    shipping statement adds batch by batch, store/pg/pg-rollups.ts), one replica.
 * 3. Every dashboard page (bench/analytics/pages.ts: the requests each page makes, over real HTTP to
 *    buildApp) timed cold and warm on both, side by side; written to bench/results/pg-pages.md.
 *
 *   npx tsx bench/pg-pages.ts [--rows 10000000] [--dir bench/work/analytics] [--reuse] [--page REGEX]
 *                             [--lock FILE] [--keep] [--url URL] [--base DIR]
 *
 * --keep leaves the filled PostgreSQL running and prints its URL (nothing timed); --url URL times the
 * pages on such a server instead of filling a new one (its migrations applied first). --base DIR also
 * times PostgreSQL's pages with the read side of another checkout (e.g. /tmp/base, a build of main
 * before a change), in the same run, between SQLite's and this tree's: before/after side by side.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { connectPool } from '../server/store/pg/pg-connect.js';
import { ensureDayPartitions, registerReplica } from '../server/store/pg/log-partitions.js';
import { PgAnalytics } from '../server/store/pg/pg-analytics.js';
import { HOUR_MS, SHORT_ROLLUP_KEEP_MS } from '../server/store/rollup-sums.js';
import { migratePg } from '../server/store/pg/pg-migrate.js';
import { parseDatabaseUrl } from '../server/store/pg/pg-url.js';
import { openDatabase } from '../server/store/sqlite.js';
import { findPgBin, startPgServer, type PgServer } from '../tests/helpers/pg-server.js';
import { measurePages, PAGE_TARGET_MS, type PageTiming } from './analytics/pages.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '10000000' },
    dir: { type: 'string', default: 'bench/work/analytics' },
    reuse: { type: 'boolean', default: false },
    page: { type: 'string' },
    lock: { type: 'string' },
    keep: { type: 'boolean', default: false },
    url: { type: 'string' },
    base: { type: 'string' },
  },
});
const DAY_MS = 86_400_000;
const DEVICES = 50;
const NAMES = 20_000;
const dir = resolve(values.dir);

function step(what: string): () => void {
  const started = performance.now();
  process.stdout.write(`${what} … `);
  return () =>
    console.log(`${((performance.now() - started) / 1000).toFixed(1)} s (load ${loadavg()[0]!.toFixed(2)})`);
}

function sqliteLog(): { now: number; rows: number } {
  const done = step(`SQLite log of ${Number(values.rows).toLocaleString('en-US')} rows in ${dir}`);
  execFileSync(
    'npx',
    [
      'tsx',
      'bench/analytics/run.ts',
      '--rows',
      values.rows,
      '--dir',
      dir,
      '--no-pages',
      '--pages-only',
      ...(values.reuse ? ['--reuse'] : []),
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const db = openDatabase(join(dir, 'querylog.db'), { readonly: true });
  const rows = (db.prepare('SELECT max(id) FROM queries').pluck().get() as number | null) ?? 0;
  const last = db.prepare('SELECT time FROM queries WHERE id = ?').pluck().get(rows) as number;
  db.close();
  done();
  // The log's clock, as run.ts --reuse sets it: the end of its last day.
  return { now: Math.floor(last / DAY_MS) * DAY_MS + DAY_MS, rows };
}

const COLUMNS =
  'id, time, device_id, client, name, qtype, protocol, status, reason, list_id, rule_id, company_id, category_id, app_id, kind, rcode, duration_us, upstream_id, cname, replica_id';
const SELECT_SQLITE = `SELECT q.id, q.time, q.device_id, coalesce(c.address, ''), coalesce(n.name, ''), q.qtype,
  q.protocol, q.status, q.reason, q.list_id, q.rule_id, q.company_id, q.category_id, q.app_id, q.kind, q.rcode,
  q.duration_us, q.upstream_id, coalesce(cn.name, ''), 1
  FROM queries q LEFT JOIN names n ON n.id = q.name_id LEFT JOIN clients c ON c.id = q.client_id
  LEFT JOIN names cn ON cn.id = q.cname_id ORDER BY q.id`;

const INDEXES = [
  'query_log_by_id',
  'query_log_by_device',
  'query_log_by_company',
  'query_log_by_status',
  'query_log_by_name',
];

async function fillPg(server: PgServer, now: number, rows: number): Promise<void> {
  const target = parseDatabaseUrl(server.url);
  const pool = await connectPool(target, { applicationName: 'bench fill' });
  try {
    await migratePg(pool, target);
    await registerReplica(pool, 'bench');
    const days = Array.from({ length: 31 }, (_, i) => Math.floor(now / DAY_MS) - 31 + i);
    await ensureDayPartitions(pool, days);
    for (const index of INDEXES) await pool.query(`DROP INDEX ${index}`);
    let done = step(`copying ${rows.toLocaleString('en-US')} rows into PostgreSQL`);
    copyFromSqlite(server, SELECT_SQLITE, 'query_log', COLUMNS, 'FORCE_NOT_NULL (client, name, cname)');
    await pool.query(`SELECT setval('query_log_id_seq', ${rows})`);
    done();
    done = step('raw log indexes');
    const client = await pool.connect();
    try {
      await client.query("SET maintenance_work_mem = '512MB'");
      await client.query('CREATE INDEX query_log_by_id ON query_log (id)');
      await client.query('CREATE INDEX query_log_by_device ON query_log (device_id, id)');
      await client.query(
        'CREATE INDEX query_log_by_company ON query_log (company_id, id) WHERE company_id <> 0',
      );
      await client.query(
        'CREATE INDEX query_log_by_status ON query_log (status, id) WHERE status NOT IN (1, 3, 4)',
      );
      await client.query('CREATE INDEX query_log_by_name ON query_log ((name COLLATE "C"))');
      done();
      // In bucket order, as the shipper writes them day after day (a table copied in the SQLite key's order
      // scatters one day's rows over the whole heap: a day of log_names_day read 60,000 pages).
      done = step("rollups (copied from the SQLite log's, which run.ts built from the same rows)");
      const rollups: Array<[string, string, string]> = [
        ...['minute', 'hour', 'day'].map((level): [string, string, string] => [
          `log_totals_${level}`,
          'device_id, bucket, category_id, kind, status, replica_id, count',
          `SELECT device_id, bucket, category_id, kind, status, 1, count FROM totals_${level} ORDER BY bucket`,
        ]),
        ...['hour', 'day'].map((level): [string, string, string] => [
          `log_counts_${level}`,
          'device_id, bucket, company_id, category_id, app_id, kind, status, replica_id, count',
          `SELECT device_id, bucket, company_id, category_id, app_id, kind, status, 1, count FROM counts_${level} ORDER BY bucket`,
        ]),
        [
          'log_names_hour',
          'name, bucket, status, replica_id, company_id, kind, count',
          'SELECT n.name, r.bucket, r.status, 1, r.company_id, r.kind, r.count FROM names_hour r JOIN names n ON n.id = r.name_id WHERE r.device_id = -1 ORDER BY r.bucket',
        ],
        [
          'log_names_day',
          'device_id, name, bucket, status, replica_id, company_id, kind, count',
          'SELECT r.device_id, n.name, r.bucket, r.status, 1, r.company_id, r.kind, r.count FROM names_day r JOIN names n ON n.id = r.name_id ORDER BY r.bucket',
        ],
        [
          'log_names_total',
          'device_id, name, status, replica_id, company_id, kind, count',
          'SELECT r.device_id, n.name, r.status, 1, r.company_id, r.kind, r.count FROM names_total r JOIN names n ON n.id = r.name_id',
        ],
      ];
      for (const [table, columns, select] of rollups) {
        const started = performance.now();
        copyFromSqlite(server, select, table, columns);
        process.stdout.write(`${table} ${((performance.now() - started) / 1000).toFixed(1)} s, `);
      }
      await client.query(
        'INSERT INTO log_devices SELECT DISTINCT device_id FROM log_totals_day WHERE device_id >= 0',
      );
      // The 24-hour series' 10-minute sums (PG migration 0011), from the minute totals as its backfill does.
      await client.query(
        `INSERT INTO log_series_10min (device_id, bucket, status, replica_id, count)
         SELECT device_id, bucket - bucket % 600000, status, replica_id, sum(count)
         FROM log_totals_minute GROUP BY 1, 2, 3, 4 ORDER BY 2`,
      );
      // The SQLite log has no per-device names per hour: summed from the raw rows of the last 48 h.
      await client.query(
        `INSERT INTO log_device_names_hour (device_id, bucket, name, status, replica_id, company_id, kind, count)
         SELECT device_id, time - time % ${HOUR_MS}, name, status, 1, max(company_id), max(kind), count(*)
         FROM query_log WHERE time >= ${now - SHORT_ROLLUP_KEEP_MS} AND name <> '' GROUP BY 1, 2, 3, 4`,
      );
      await client.query('VACUUM ANALYZE');
    } finally {
      client.release();
    }
    done();
  } finally {
    await pool.end();
  }
}

/** `sqlite3 -csv | psql \\copy`: the rows of a SELECT on the SQLite log into a PostgreSQL table. */
function copyFromSqlite(
  server: PgServer,
  select: string,
  table: string,
  columns: string,
  options = '',
): void {
  const psql = join(findPgBin() ?? '/usr/bin', 'psql');
  const copy = spawnSync(
    'sh',
    [
      '-c',
      `sqlite3 -csv "${join(dir, 'querylog.db')}" "${select.replace(/\n/g, ' ')}" | ` +
        `"${psql}" -h 127.0.0.1 -p ${server.port} -U ${server.user} -d ${server.database} -v ON_ERROR_STOP=1 ` +
        `-c "\\copy ${table} (${columns}) FROM STDIN WITH (FORMAT csv${options === '' ? '' : `, ${options}`})"`,
    ],
    { env: { ...process.env, PGPASSWORD: server.password }, encoding: 'utf8' },
  );
  if (copy.status !== 0) throw new Error(`copy into ${table} failed: ${copy.stderr}`);
}

function table(
  sqlite: PageTiming[],
  pg: PageTiming[],
  base: PageTiming[] | null,
  rows: number,
  loads: string[],
): string {
  const ok = (t: PageTiming) => (t.cold < PAGE_TARGET_MS && t.warm < PAGE_TARGET_MS ? '✅' : '❌');
  const ms = (t: PageTiming | undefined) => `${t?.cold.toFixed(0) ?? '–'} | ${t?.warm.toFixed(0) ?? '–'}`;
  const before = base === null ? '' : ' PG before cold | PG before warm |';
  const lines = [
    `Dashboard pages over HTTP, ${rows.toLocaleString('en-US')} logged queries (50 devices, 30 days), the same rows in both.`,
    `cold = first load on a fresh app and database connection, warm = worst of 5 more; ms; target < ${PAGE_TARGET_MS} ms.`,
    `Load average (1 min) at the start of each run: ${loads.join(', ')}; 2 cores shared with other work.`,
    '',
    `| page (requests) | SQLite cold | SQLite warm |${before} PostgreSQL cold | PostgreSQL warm | PG ok | PG answered last |`,
    `| --- | ---: | ---: |${base === null ? '' : ' ---: | ---: |'} ---: | ---: | :---: | --- |`,
  ];
  for (const p of pg) {
    const s = sqlite.find((x) => x.page === p.page);
    const b = base === null ? '' : ` ${ms(base.find((x) => x.page === p.page))} |`;
    lines.push(`| ${p.page} (${p.requests}) | ${ms(s)} |${b} ${ms(p)} | ${ok(p)} | ${p.slowest} |`);
  }
  const under = (list: PageTiming[]) => list.filter((p) => ok(p) === '✅').length;
  lines.push(
    '',
    `PostgreSQL pages under ${PAGE_TARGET_MS} ms: ${under(pg)} of ${pg.length}` +
      (base === null ? '' : ` (before: ${under(base)} of ${base.length})`),
  );
  return lines.join('\n');
}

/** Takes an flock on `file` (a child `flock` holds it); resolves with the release once held. */
async function takeLock(file: string): Promise<() => void> {
  const done = step(`waiting for ${file}`);
  const holder = spawn('flock', [file, 'sh', '-c', 'echo held; cat >/dev/null'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  await new Promise<void>((held, failed) => {
    holder.stdout.once('data', () => held());
    holder.once('exit', (code) => failed(new Error(`flock ${file} ended (${code})`)));
  });
  done();
  return () => holder.stdin.end();
}

/** A PostgreSQL server to time: the one at --url, or a new one filled from the SQLite log. */
async function pgServer(now: number, rows: number): Promise<{ url: string; destroy(): void }> {
  if (values.url !== undefined) {
    const target = parseDatabaseUrl(values.url);
    const pool = await connectPool(target, { applicationName: 'bench migrate' });
    await migratePg(pool, target).finally(() => pool.end());
    return { url: values.url, destroy: () => {} };
  }
  const server = await startPgServer();
  try {
    await fillPg(server, now, rows);
  } catch (error) {
    server.destroy();
    throw error;
  }
  return server;
}

/** PgAnalytics of another checkout (--base), for a before/after in the same run. */
async function baseAnalytics(): Promise<typeof PgAnalytics | null> {
  if (values.base === undefined) return null;
  const module = (await import(resolve(values.base, 'server/store/pg/pg-analytics.ts'))) as {
    PgAnalytics: typeof PgAnalytics;
  };
  return module.PgAnalytics;
}

async function main(): Promise<void> {
  const { now, rows } = sqliteLog();
  const server = await pgServer(now, rows);
  if (values.keep) {
    console.log(`PostgreSQL filled and left running: ${server.url}`);
    return;
  }
  let release = (): void => {};
  try {
    if (values.lock !== undefined) release = await takeLock(values.lock);
    const only = values.page === undefined ? undefined : new RegExp(values.page);
    const input = { logDir: dir, now, devices: DEVICES, names: NAMES };
    const target = parseDatabaseUrl(server.url);
    const loads: string[] = [];
    const timed = async (label: string, run: () => Promise<PageTiming[]>) => {
      loads.push(`${label} ${loadavg()[0]!.toFixed(2)}`);
      const done = step(`${label} pages`);
      const result = await run();
      done();
      return result;
    };
    const pgPages = (Analytics: typeof PgAnalytics) => () =>
      measurePages(
        { ...input, openAnalytics: () => Analytics.open({ target, replica: 'bench', now: () => now }) },
        only,
      );
    const sqlite = await timed('SQLite', () => measurePages(input, only));
    const Base = await baseAnalytics();
    const base = Base === null ? null : await timed('PostgreSQL before', pgPages(Base));
    const pg = await timed('PostgreSQL', pgPages(PgAnalytics));
    const report = table(sqlite, pg, base, rows, loads);
    console.log(`\n${report}`);
    const pool = await connectPool(target, { applicationName: 'bench' });
    const version =
      (await pool.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]?.v ?? '?';
    await pool.end();
    mkdirSync('bench/results', { recursive: true });
    writeFileSync(
      'bench/results/pg-pages.md',
      `# Dashboard pages: PostgreSQL beside SQLite\n\n${new Date().toISOString()}, \`npm run bench:pg-pages\` ` +
        `(Node ${process.version}, PostgreSQL ${version}, the test server's settings: shared_buffers 64MB, fsync off` +
        `${Base === null ? '' : `; "before" = the read side of ${values.base}`}).\n\n${report}\n`,
    );
  } finally {
    release();
    server.destroy();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
