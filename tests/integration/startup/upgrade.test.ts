/**
 * Upgrades: a data directory written by the first released schema (config migration 0001 only, as
 * tracksink 0.1's first cut created it) is opened by this version, migrated in place, and everything the
 * user had — devices, groups, lists, rules — is still there and in force.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { migrationsDir, readMigrations } from '../../../server/store/sqlite.js';
import { dig } from '../../helpers/dns-clients.js';
import { startTracksink } from '../../helpers/tracksink-process.js';

const dataDir = mkdtempSync(join(tmpdir(), 'tracksink-upgrade-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** Writes tracksink.db exactly as schema version 1 had it, with a household's data in it. */
function writeFirstSchemaDataDir(): void {
  const first = readMigrations(migrationsDir('config')).find((migration) => migration.version === 1);
  if (!first) throw new Error('migration 0001 is missing');
  const hosts = join(dataDir, 'my-hosts.txt');
  writeFileSync(hosts, '0.0.0.0 tracker.upgrade.test\n0.0.0.0 ads.upgrade.test\n');
  const db = new Database(join(dataDir, 'tracksink.db'));
  db.exec(first.sql);
  db.pragma('user_version = 1');
  const now = Date.now();
  db.prepare("INSERT INTO groups (id, name) VALUES (1, 'Kids')").run();
  db.prepare(
    "INSERT INTO devices (id, mac, name, type, first_seen, last_seen) VALUES (1, '02:00:00:00:00:01', 'Living room TV', 'tv', ?, ?)",
  ).run(now, now);
  db.prepare('INSERT INTO device_groups (device_id, group_id) VALUES (1, 1)').run();
  db.prepare(
    "INSERT INTO lists (id, name, source, format, created_at) VALUES (1, 'my hosts', ?, 'hosts', ?)",
  ).run(hosts, now);
  db.prepare(
    "INSERT INTO rules (id, action, match, pattern, created_at) VALUES (1, 'deny', 'subdomain', 'denied.upgrade.test', ?)",
  ).run(now);
  db.close();
  writeFirstSchemaQueryLog();
}

/** querylog.db as its schema version 1 had it: names unique by name, rollups written with each row. */
function writeFirstSchemaQueryLog(): void {
  const first = readMigrations(migrationsDir('querylog')).find((migration) => migration.version === 1);
  if (!first) throw new Error('query log migration 0001 is missing');
  const db = new Database(join(dataDir, 'querylog.db'));
  db.exec(first.sql);
  db.pragma('user_version = 1');
  const time = Date.now() - 60_000;
  db.prepare("INSERT INTO names (id, name) VALUES (1, 'tracker.upgrade.test')").run();
  db.prepare(
    `INSERT INTO queries (time, device_id, client_id, name_id, qtype, protocol, status, reason, list_id, rule_id,
       company_id, category_id, app_id, rcode, duration_us, upstream_id, cname_id)
     VALUES (?, 1, 0, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 100, 0, 0)`,
  ).run(time);
  for (const device of [1, -1]) {
    db.prepare(
      'INSERT INTO names_total (device_id, name_id, status, company_id, count) VALUES (?, 1, 1, 0, 1)',
    ).run(device);
  }
  db.close();
}

describe('upgrade from the first released schema', () => {
  it('migrates the data directory in place and keeps every rule, list, device and group in force', async () => {
    writeFirstSchemaDataDir();
    const server = await startTracksink({ dataDir, env: { TRACKSINK_UPSTREAMS: 'udp://127.0.0.1:9' } });
    try {
      expect((await dig(server.dnsPort, 'tracker.upgrade.test')).answers[0]?.data).toBe('0.0.0.0');
      expect((await dig(server.dnsPort, 'www.denied.upgrade.test')).answers[0]?.data).toBe('0.0.0.0');
      expect(await server.stop()).toBe(0);
    } finally {
      server.cleanup();
    }
    const db = new Database(join(dataDir, 'tracksink.db'), { readonly: true });
    try {
      const latest = Math.max(
        ...readMigrations(migrationsDir('config')).map((migration) => migration.version),
      );
      expect(db.pragma('user_version', { simple: true })).toBe(latest);
      expect(db.prepare('SELECT name, type FROM devices WHERE id = 1').get()).toEqual({
        name: 'Living room TV',
        type: 'tv',
      });
      expect(db.prepare('SELECT group_id FROM device_groups WHERE device_id = 1').get()).toEqual({
        group_id: 1,
      });
      // The list file sits in the data directory, outside lists.fileDir (a rule newer than the list): a
      // list subscribed before that rule keeps loading, and its blocking above still holds.
      expect(db.prepare('SELECT entries FROM lists WHERE id = 1').get()).toEqual({ entries: 2 });
      expect(db.prepare('SELECT source FROM list_sources_before_file_dir').pluck().all()).toEqual([
        join(dataDir, 'my-hosts.txt'),
      ]);
      expect(db.prepare('SELECT pattern FROM rules WHERE id = 1').get()).toEqual({
        pattern: 'denied.upgrade.test',
      });
    } finally {
      db.close();
    }
    const log = new Database(join(dataDir, 'querylog.db'), { readonly: true });
    try {
      const latest = Math.max(
        ...readMigrations(migrationsDir('querylog')).map((migration) => migration.version),
      );
      expect(log.pragma('user_version', { simple: true })).toBe(latest);
      // The name asked again after the upgrade keeps its old id: stored once, counted once more.
      expect(log.prepare("SELECT id FROM names WHERE name = 'tracker.upgrade.test'").pluck().all()).toEqual([
        1,
      ]);
      const total = log
        .prepare('SELECT sum(count) FROM names_total WHERE device_id = -1 AND name_id = 1')
        .pluck()
        .get();
      expect(total).toBe(2);
      expect(log.prepare('SELECT count(*) FROM queries WHERE name_id = 1').pluck().get()).toBe(2);
    } finally {
      log.close();
    }
  });
});
