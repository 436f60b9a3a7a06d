/**
 * Issue 14, items 8 and 9 and the "info" items, over real HTTP where the product would use it:
 * open routes read only a few KB and the backup import's large limit needs a session; sessions are
 * stored hashed and end after an idle time or their absolute lifetime; /metrics shows upstreams
 * without paths, queries or credentials; the data directory is 0700 and database files 0600.
 */
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newUpstreamStats } from '../../server/dns/upstream/upstream-stats.js';
import { ensurePrivateDir } from '../../server/paths.js';
import { migrationsDir, openConfigDb, openDatabase } from '../../server/store/sqlite.js';
import { PASSWORD, startHarness, type Harness } from '../integration/api/harness.js';
import { send } from './helpers/http-client.js';

async function listening(h: Harness): Promise<string> {
  await h.app.listen({ host: '127.0.0.1', port: 0 });
  return `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
}

const mode = (path: string) => statSync(path).mode & 0o777;

describe('body limits', () => {
  let h: Harness;
  let base: string;
  beforeAll(async () => {
    h = await startHarness();
    await h.login();
    base = await listening(h);
  });
  afterAll(async () => {
    await h?.close();
  });

  it('reads only a few KB on open routes (login, setup)', async () => {
    const big = { password: 'x'.repeat(100_000) };
    for (const path of ['/api/auth/login', '/api/auth/setup']) {
      const response = await send(base, { path, body: big });
      expect(response.status, path).toBe(413);
    }
    // 15 MB to the login is refused the same way, without buffering it.
    const huge = await send(base, {
      path: '/api/auth/login',
      rawBody: Buffer.alloc(15 * 1024 * 1024, 0x61),
      headers: { 'content-type': 'application/json' },
    });
    expect([0, 413]).toContain(huge.status);
  });

  it('lets nobody without a session send 100 KB to any route', async () => {
    const spec = (await send(base, { path: '/api/docs/json' })).json<{
      paths: Record<string, Record<string, unknown>>;
    }>();
    const body = Buffer.from(JSON.stringify({ padding: 'z'.repeat(100_000) }));
    const accepted: string[] = [];
    let tried = 0;
    for (const [path, methods] of Object.entries(spec.paths)) {
      for (const method of Object.keys(methods).map((m) => m.toUpperCase())) {
        if (!['POST', 'PUT', 'PATCH', 'DELETE'].includes(method)) continue;
        tried++;
        const url = path.replace(/\{[^}]+\}/g, '1');
        const response = await send(base, {
          method,
          path: url,
          rawBody: body,
          headers: { 'content-type': url === '/dns-query' ? 'application/dns-message' : 'application/json' },
        });
        if (![0, 401, 413].includes(response.status)) accepted.push(`${method} ${url}: ${response.status}`);
      }
    }
    expect(tried).toBeGreaterThan(10);
    expect(accepted).toEqual([]);
  });

  it('gives the large import limit only to a session', async () => {
    const backup = Buffer.from(JSON.stringify({ format: 'x', padding: 'y'.repeat(3 * 1024 * 1024) }));
    const anonymous = await send(base, {
      path: '/api/import',
      rawBody: backup,
      headers: { 'content-type': 'application/json' },
    });
    expect([0, 401]).toContain(anonymous.status);
    const session = await h.login();
    const withSession = await send(base, {
      path: '/api/import',
      rawBody: backup,
      headers: { 'content-type': 'application/json', cookie: session.cookie, 'x-csrf-token': session.csrf },
    });
    // Read and judged (not a valid backup), not refused for its size.
    expect(withSession.status).toBe(400);
    // Other routes with a session stop at 1 MiB.
    const rules = await send(base, {
      path: '/api/rules',
      rawBody: backup,
      headers: { 'content-type': 'application/json', cookie: session.cookie, 'x-csrf-token': session.csrf },
    });
    expect(rules.status).toBe(413);
  });
});

describe('sessions', () => {
  let now = Date.UTC(2026, 0, 1);
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ now: () => now }, (config) => {
      config.http.sessionIdleHours = 24;
      config.http.sessionDays = 7;
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  async function newSession() {
    const response = await h.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { password: PASSWORD },
    });
    expect(response.statusCode).toBe(200);
    return `tracksink_session=${response.cookies.find((c) => c.name === 'tracksink_session')!.value}`;
  }
  const status = async (cookie: string) =>
    (await h.app.inject({ method: 'GET', url: '/api/rules', headers: { cookie } })).statusCode;

  it('stores only the SHA-256 of the session id', async () => {
    await h.login();
    const cookie = await newSession();
    const id = cookie.split('=')[1]!;
    const rows = h.db.prepare('SELECT * FROM sessions').all() as Array<Record<string, unknown>>;
    const dump = JSON.stringify(rows);
    expect(dump).not.toContain(id);
    expect(rows.map((row) => row.id_hash)).toContain(createHash('sha256').update(id).digest('hex'));
  });

  it('ends a session after 24 h without use', async () => {
    const cookie = await newSession();
    now += 23 * 3_600_000;
    expect(await status(cookie)).toBe(200);
    now += 23 * 3_600_000;
    // Used 23 h ago: still alive.
    expect(await status(cookie)).toBe(200);
    now += 24 * 3_600_000 + 1000;
    expect(await status(cookie)).toBe(401);
  });

  it('ends a session 7 days after the login even when used every day', async () => {
    const cookie = await newSession();
    for (let day = 1; day < 7; day++) {
      now += 86_400_000 - 60_000;
      expect(await status(cookie)).toBe(200);
    }
    now += 86_400_000;
    expect(await status(cookie)).toBe(401);
  });
});

describe('/metrics', () => {
  let h: Harness;
  let base: string;
  beforeAll(async () => {
    const stats = [
      newUpstreamStats(1, 'https://dns.nextdns.io/abc123', 'DoH'),
      newUpstreamStats(2, 'https://dns.nextdns.io/def456?device=Kitchen', 'DoH'),
      newUpstreamStats(3, 'https://user:secret@doh.example/dns-query', 'DoH'),
      newUpstreamStats(4, 'https://cloudflare-dns.com/dns-query', 'DoH'),
      newUpstreamStats(5, 'udp://192.168.1.1:53', 'UDP'),
      newUpstreamStats(6, 'https://dns.nextdns.io/ghi789', 'DoH'),
    ];
    h = await startHarness({ upstreams: { describe: () => [], stats: () => stats } });
    base = await listening(h);
  });
  afterAll(async () => {
    await h?.close();
  });

  it('shows upstreams by scheme and host, never a profile id, query or credentials', async () => {
    const response = await send(base, { path: '/metrics' });
    expect(response.status).toBe(200);
    for (const secret of ['abc123', 'def456', 'ghi789', 'Kitchen', 'secret', 'user:']) {
      expect(response.body).not.toContain(secret);
    }
    expect(response.body).toContain('upstream="https://dns.nextdns.io/…"');
    expect(response.body).toContain('upstream="https://dns.nextdns.io/…?…"');
    // Two profiles on one server stay two series.
    expect(response.body).toContain('upstream="https://dns.nextdns.io/… #2"');
    expect(response.body).toContain('upstream="https://doh.example/dns-query"');
    expect(response.body).toContain('upstream="https://cloudflare-dns.com/dns-query"');
    expect(response.body).toContain('upstream="udp://192.168.1.1:53"');
  });
});

describe('file permissions', () => {
  const base = mkdtempSync(join(tmpdir(), 'tracksink-perms-'));
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  it('creates the data directory 0700 and tightens an existing 0755 one', () => {
    const fresh = join(base, 'fresh', 'data');
    ensurePrivateDir(fresh);
    expect(mode(fresh)).toBe(0o700);
    const old = join(base, 'old');
    mkdirSync(old, { mode: 0o755 });
    chmodSync(old, 0o755);
    ensurePrivateDir(old);
    expect(mode(old)).toBe(0o700);
  });

  it('creates tracksink.db, querylog.db and their WAL files 0600, and tightens old 0644 ones', () => {
    const dir = join(base, 'db');
    ensurePrivateDir(dir);
    const config = openConfigDb(join(dir, 'tracksink.db'));
    config.prepare('INSERT INTO settings (key, value) VALUES (?, ?)').run('t', '1');
    const log = openDatabase(join(dir, 'querylog.db'), { migrations: migrationsDir('querylog') });
    for (const file of [
      'tracksink.db',
      'tracksink.db-wal',
      'tracksink.db-shm',
      'querylog.db',
      'querylog.db-wal',
    ]) {
      expect(existsSync(join(dir, file)), file).toBe(true);
      expect(mode(join(dir, file)), file).toBe(0o600);
    }
    config.close();
    log.close();

    const older = join(base, 'older.db');
    writeFileSync(older, '');
    chmodSync(older, 0o644);
    openDatabase(older).close();
    expect(mode(older)).toBe(0o600);
  });
});
