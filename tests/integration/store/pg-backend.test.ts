/**
 * The PostgreSQL backend against a real PostgreSQL server started by the test (tests/helpers/pg-server.ts):
 * TRACKSINK_DATABASE_URL checks, connection errors that name the host and never the password, versioned
 * migrations (a schema from a newer tracksink is refused and left as it was), and the query log shipped
 * into day partitions, held while PostgreSQL is away (bounded, drops counted) and caught up after.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectPool, PgConnectError, type PgPool } from '../../../server/store/pg/pg-connect.js';
import { migratePg, pgMigrations, PgSchemaError } from '../../../server/store/pg/pg-migrate.js';
import { databaseUrlFromEnv, parseDatabaseUrl, PgConfigError } from '../../../server/store/pg/pg-url.js';
import { PgLogShipper } from '../../../server/store/pg/log-shipper.js';
import { listDayPartitions } from '../../../server/store/pg/log-partitions.js';
import type { DecodedEvent } from '../../../server/store/query-queue.js';
import { startPgServer, type PgServer } from '../../helpers/pg-server.js';

const DAY_MS = 86_400_000;
let server: PgServer;
const pools: PgPool[] = [];

beforeAll(async () => {
  server = await startPgServer({ password: 'S3cret-pw-xyz' });
}, 120_000);

afterAll(async () => {
  for (const pool of pools) await pool.end().catch(() => {});
  server?.destroy();
});

async function freshDatabase(name: string): Promise<{ url: string; pool: PgPool }> {
  server.createDatabase(name);
  const url = server.urlFor(name);
  const pool = await connectPool(parseDatabaseUrl(url), { applicationName: 'test' });
  pools.push(pool);
  return { url, pool };
}

function decoded(i: number, timeMs: number): DecodedEvent {
  return {
    timeMs,
    deviceId: 1 + (i % 3),
    clientAddress: `192.168.7.${1 + (i % 3)}`,
    name: `host${i}.example.com`,
    qtype: 1,
    protocol: 0,
    status: i % 2 === 0 ? 1 : 2,
    reason: 3,
    listId: 4,
    ruleId: 0,
    companyId: 7,
    categoryId: 2,
    appId: 0,
    kind: 1,
    rcode: 0,
    durationUs: 1500,
    upstreamId: 1,
    cnameTarget: i % 10 === 0 ? 'cloak.tracker.example' : '',
  };
}

async function until(check: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((wake) => setTimeout(wake, 50));
  }
}

describe('TRACKSINK_DATABASE_URL', () => {
  it('is optional: without it tracksink stays on SQLite', () => {
    expect(databaseUrlFromEnv({})).toBeNull();
    expect(databaseUrlFromEnv({ TRACKSINK_DATABASE_URL: '  ' })).toBeNull();
  });

  it('parses user, host, port and database, and describes them without the password', () => {
    const target = parseDatabaseUrl('postgres://ts:p%40ss@db.lan:6543/home');
    expect(target).toMatchObject({ host: 'db.lan', port: 6543, database: 'home', user: 'ts' });
    expect(target.describe).toBe('ts@db.lan:6543/home');
    expect(parseDatabaseUrl('postgresql://ts:x@db.lan/home').port).toBe(5432);
  });

  it.each([
    ['mysql://ts:hunter22@db.lan/home', /db\.lan must start with postgres:\/\//],
    ['postgres://ts:hunter22@db.lan:5432', /db\.lan names no database/],
    ['postgres://:hunter22@db.lan/home', /db\.lan names no user/],
    ['not a url hunter22', /is not a URL/],
  ])('refuses %s with a clear message that never shows the password', (url, message) => {
    let error: unknown;
    try {
      parseDatabaseUrl(url);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(PgConfigError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('hunter22');
  });
});

describe('connecting', () => {
  it('an unreachable server is an error naming the host and port, not the password', async () => {
    const target = parseDatabaseUrl('postgres://ts:hunter22@127.0.0.1:1/home');
    const error = await connectPool(target, { applicationName: 'test', connectTimeoutMs: 2000 }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(PgConnectError);
    expect((error as Error).message).toMatch(/could not connect to PostgreSQL at ts@127\.0\.0\.1:1\/home/);
    expect((error as Error).message).toMatch(/nothing listens there/);
    expect((error as Error).message).not.toContain('hunter22');
  });

  it('a wrong password is refused with a message that names the server and hides both passwords', async () => {
    const target = parseDatabaseUrl(`postgres://tracksink:wrong-pw-123@127.0.0.1:${server.port}/tracksink`);
    const error = await connectPool(target, { applicationName: 'test' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PgConnectError);
    const message = (error as Error).message;
    expect(message).toContain(`tracksink@127.0.0.1:${server.port}/tracksink`);
    expect(message).toMatch(/refused the login/);
    expect(message).not.toContain('wrong-pw-123');
    expect(message).not.toContain(server.password);
  });

  it('a database that does not exist is named', async () => {
    const target = parseDatabaseUrl(server.urlFor('nosuchdb'));
    const error = await connectPool(target, { applicationName: 'test' }).catch((caught: unknown) => caught);
    expect((error as Error).message).toMatch(/nosuchdb.*does not exist/);
    expect((error as Error).message).not.toContain(server.password);
  });
});

describe('PostgreSQL migrations', () => {
  it('creates the schema once, then has nothing to apply', async () => {
    const { url, pool } = await freshDatabase('migrate_once');
    const target = parseDatabaseUrl(url);
    const first = await migratePg(pool, target);
    expect(first).toEqual(pgMigrations().map((m) => m.name));
    expect(await migratePg(pool, target)).toEqual([]);
    const tables = await pool.query<{ name: string }>(
      "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
    );
    expect(tables.rows.map((row) => row.name)).toEqual(
      expect.arrayContaining(['config_snapshot', 'query_log', 'replicas', 'tracksink_migrations']),
    );
  });

  it('two replicas migrating at once apply each migration once', async () => {
    const { url, pool } = await freshDatabase('migrate_race');
    const target = parseDatabaseUrl(url);
    const other = await connectPool(target, { applicationName: 'test 2' });
    pools.push(other);
    const [a, b] = await Promise.all([migratePg(pool, target), migratePg(other, target)]);
    expect([...a, ...b].sort()).toEqual(pgMigrations().map((m) => m.name));
  });

  it('refuses a schema from a newer tracksink and changes nothing', async () => {
    const { url, pool } = await freshDatabase('migrate_newer');
    const target = parseDatabaseUrl(url);
    await migratePg(pool, target);
    await pool.query("INSERT INTO tracksink_migrations (version, name) VALUES (9999, '9999-future.sql')");
    const schemaBefore = await pool.query(
      "SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1, 2",
    );
    // A later version of this file would be applied by a newer program; this one must not try.
    const future = [
      ...pgMigrations(),
      { version: 2, name: '0002-would-alter.sql', sql: 'DROP TABLE replicas' },
    ];
    const error = await migratePg(pool, target, future).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PgSchemaError);
    expect((error as Error).message).toMatch(
      /schema version 9999 \(9999-future\.sql\), newer than this tracksink knows/,
    );
    expect((error as Error).message).toContain(`tracksink@127.0.0.1:${server.port}/migrate_newer`);
    expect((error as Error).message).not.toContain(server.password);
    const schemaAfter = await pool.query(
      "SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1, 2",
    );
    expect(schemaAfter.rows).toEqual(schemaBefore.rows);
  });
});

describe('query log shipped to PostgreSQL', () => {
  it('writes every field into one partition per UTC day; retention drops whole days', async () => {
    const { url, pool } = await freshDatabase('ship_days');
    const target = parseDatabaseUrl(url);
    await migratePg(pool, target);
    const shipper = new PgLogShipper({ target, replica: 'r1', retentionDays: 2, anonymizeClients: false });
    const today = Math.floor(Date.now() / DAY_MS) * DAY_MS;
    // Today, yesterday, and five days ago (beyond the 2-day retention, dropped on the first pass).
    const times = [today + 1000, today - DAY_MS + 1000, today - 5 * DAY_MS + 1000];
    const events = times.flatMap((time, day) =>
      Array.from({ length: 100 }, (_, i) => decoded(day * 100 + i, time + i)),
    );
    shipper.push(events.slice(200));
    await shipper.flush(10_000);
    // The old day arrived after the first retention pass; the next one (forced below) drops it.
    const before = (await listDayPartitions(pool)).map((p) => p.name);
    expect(before).toHaveLength(1);
    shipper.push(events.slice(0, 200));
    await shipper.flush(10_000);
    expect(shipper.stats).toMatchObject({ shipped: 300, buffered: 0, dropped: 0, error: null });
    // Rows written before the replica's id was known (the first push) carry it too.
    const mine = await pool.query<{ n: string }>(
      "SELECT count(*) AS n FROM query_log WHERE replica_id = (SELECT id FROM replicas WHERE name = 'r1')",
    );
    expect(Number(mine.rows[0]?.n)).toBe(300);
    const partitions = (await listDayPartitions(pool)).map((p) => p.name);
    const name = (time: number): string =>
      `query_log_p${new Date(time).toISOString().slice(0, 10).replace(/-/g, '')}`;
    expect(partitions.sort()).toEqual(times.map(name).sort());
    const row = await pool.query(
      `SELECT q.*, r.name AS replica FROM query_log q JOIN replicas r ON r.id = q.replica_id WHERE q.name = 'host10.example.com'`,
    );
    expect(row.rows[0]).toMatchObject({
      time: String(times[0]! + 10),
      replica: 'r1',
      device_id: 2,
      client: '192.168.7.2',
      status: 1,
      reason: 3,
      list_id: 4,
      company_id: 7,
      kind: 1,
      duration_us: 1500,
      cname: 'cloak.tracker.example',
    });
    const { dropExpiredPartitions } = await import('../../../server/store/pg/log-partitions.js');
    expect(await dropExpiredPartitions(pool, Date.now() - 2 * DAY_MS)).toEqual([name(times[2]!)]);
    const left = await pool.query<{ n: string }>('SELECT count(*) AS n FROM query_log');
    expect(Number(left.rows[0]?.n)).toBe(200);
    await shipper.close();
  });

  it('stores hostile names exactly (quotes, backslashes, tabs, line breaks, COPY markers), NUL dropped', async () => {
    const { url, pool } = await freshDatabase('ship_hostile');
    const target = parseDatabaseUrl(url);
    await migratePg(pool, target);
    const shipper = new PgLogShipper({ target, replica: 'r1', retentionDays: 30, anonymizeClients: false });
    const names = [
      'a"b.example',
      'back\\slash.example',
      'x,{y}.example',
      'NULL',
      'nul\u0000byte.example',
      '',
      'tab\there.example',
      'line\nbreak\r\n.example',
      '\\N',
      '\\.',
      '\\',
      'ünïcødé.例え.example',
    ];
    shipper.push(names.map((name, i) => ({ ...decoded(i, Date.now() + i), name, cnameTarget: name })));
    await shipper.flush(10_000);
    const rows = await pool.query<{ name: string; cname: string }>(
      'SELECT name, cname FROM query_log ORDER BY time',
    );
    const expected = [
      'a"b.example',
      'back\\slash.example',
      'x,{y}.example',
      'NULL',
      'nulbyte.example',
      '',
      'tab\there.example',
      'line\nbreak\r\n.example',
      '\\N',
      '\\.',
      '\\',
      'ünïcødé.例え.example',
    ];
    expect(rows.rows.map((row) => row.name)).toEqual(expected);
    expect(rows.rows.map((row) => row.cname)).toEqual(expected);
    await shipper.close();
  });

  it('applies privacy modes and anonymisation like the SQLite log', async () => {
    const { url, pool } = await freshDatabase('ship_privacy');
    const target = parseDatabaseUrl(url);
    await migratePg(pool, target);
    const shipper = new PgLogShipper({ target, replica: 'r1', retentionDays: 30, anonymizeClients: true });
    shipper.setPrivacy('all', [
      [2, 'none'],
      [3, 'hide-names'],
    ]);
    shipper.push(Array.from({ length: 30 }, (_, i) => decoded(i, Date.now())));
    await shipper.flush(10_000);
    const rows = await pool.query<{ device_id: number; n: string; names: string; clients: string }>(
      `SELECT device_id, count(*) AS n, string_agg(DISTINCT name, ',') AS names, string_agg(DISTINCT client, ',') AS clients
         FROM query_log GROUP BY 1 ORDER BY 1`,
    );
    expect(rows.rows.map((r) => r.device_id)).toEqual([1, 3]);
    expect(rows.rows[1]).toMatchObject({ n: '10', names: '', clients: '192.168.7.0' });
    expect(rows.rows[0]?.clients).toBe('192.168.7.0');
    await shipper.close();
  });

  it('holds the log while PostgreSQL is down (bounded, drops counted) and catches up when it is back', async () => {
    const { url, pool } = await freshDatabase('ship_outage');
    const target = parseDatabaseUrl(url);
    await migratePg(pool, target);
    const notices: string[] = [];
    const shipper = new PgLogShipper({
      target,
      replica: 'r1',
      retentionDays: 30,
      anonymizeClients: false,
      maxBuffered: 5000,
      notify: (_level, message) => notices.push(message),
    });
    shipper.start();
    shipper.push(Array.from({ length: 1000 }, (_, i) => decoded(i, Date.now())));
    await until(() => shipper.stats.shipped === 1000, 10_000);
    await pool.end();
    pools.splice(pools.indexOf(pool), 1);
    server.stop();
    try {
      shipper.push(Array.from({ length: 3000 }, (_, i) => decoded(1000 + i, Date.now())));
      await until(() => shipper.stats.error !== null, 10_000);
      // 3,000 held, room for 2,000 more: 4,000 pushed, 2,000 dropped.
      shipper.push(Array.from({ length: 4000 }, (_, i) => decoded(4000 + i, Date.now())));
      expect(shipper.stats).toMatchObject({ shipped: 1000, buffered: 5000, dropped: 2000 });
      expect(shipper.stats.error).toMatch(/127\.0\.0\.1.*is failing/);
      expect(shipper.stats.error).not.toContain(server.password);
    } finally {
      server.start();
    }
    await until(() => shipper.stats.shipped === 6000, 20_000);
    expect(shipper.stats).toMatchObject({ buffered: 0, dropped: 2000, error: null });
    expect(notices.some((n) => /resumed/.test(n))).toBe(true);
    const again = await connectPool(target, { applicationName: 'test' });
    pools.push(again);
    const stored = await again.query<{ n: string; lo: string; hi: string }>(
      "SELECT count(DISTINCT name) AS n, min(substring(name from 'host(\\d+)')::int) AS lo, max(substring(name from 'host(\\d+)')::int) AS hi FROM query_log",
    );
    // Everything before the buffer filled: rows 0..5999, none twice.
    expect(stored.rows[0]).toEqual({ n: '6000', lo: 0, hi: 5999 });
    await shipper.close();
  }, 60_000);
});

describe('npm run backup with TRACKSINK_DATABASE_URL', () => {
  it('import makes the file the shared configuration; export reads the shared one', async () => {
    const { runBackupCli } = await import('../../../server/cli/backup.js');
    const { openConfigDb } = await import('../../../server/store/sqlite.js');
    const { BackupRepo } = await import('../../../server/store/repos/backup-repo.js');
    const { exportConfiguration } = await import('../../../server/backup/backup-service.js');
    const { mkdtempSync, readFileSync, rmSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { readSharedConfig } = await import('../../../server/store/pg/config-replication.js');
    const { url, pool } = await freshDatabase('backup_cli');
    const dir = mkdtempSync(join(tmpdir(), 'tracksink-pg-backup-'));
    try {
      const db = openConfigDb(join(dir, 'source.db'));
      const file = { ...exportConfiguration(new BackupRepo(db)) };
      db.close();
      file.rules = [
        {
          id: 1,
          action: 'deny',
          match: 'subdomain',
          pattern: 'from-backup.example',
          deviceId: null,
          groupId: null,
          expiresAt: null,
          comment: '',
          createdAt: Date.now(),
        },
      ];
      writeFileSync(join(dir, 'in.json'), JSON.stringify(file));
      const env = { TRACKSINK_DATABASE_URL: url };
      const imported = await runBackupCli(
        ['import', join(dir, 'in.json'), '--data-dir', join(dir, 'a')],
        env,
      );
      expect(imported.message).toMatch(
        /shared it with the replicas through PostgreSQL tracksink@127\.0\.0\.1:\d+\/backup_cli \(version 1\)/,
      );
      expect(imported.message).not.toContain(server.password);
      const shared = await readSharedConfig(pool);
      expect(shared?.data.rules).toEqual([expect.objectContaining({ pattern: 'from-backup.example' })]);
      // Another machine's data folder (empty): the export is the shared configuration.
      const exported = await runBackupCli(
        ['export', join(dir, 'out.json'), '--data-dir', join(dir, 'b')],
        env,
      );
      expect(exported.message).toMatch(/configuration shared in PostgreSQL/);
      const out = JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8')) as {
        rules: Array<{ pattern: string }>;
      };
      expect(out.rules.map((rule) => rule.pattern)).toEqual(['from-backup.example']);
      await expect(
        runBackupCli(['export', join(dir, 'log.json'), '--with-log', '--data-dir', join(dir, 'a')], env),
      ).rejects.toThrow(/pg_dump/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
