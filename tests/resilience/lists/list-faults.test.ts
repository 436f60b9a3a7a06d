/**
 * Faults of the list server (down, slow, HTML, truncated), at start-up and during refresh, seen through
 * the real PolicyEngine: the last good lists keep blocking, DNS decisions never wait on a download, and
 * the error is visible on the list.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PolicyEngine } from '../../../server/filter/policy-engine.js';
import { emptyVerdict, VerdictAction } from '../../../server/filter/verdict.js';
import { ListManager } from '../../../server/lists/list-manager.js';
import { BUILTIN_CATALOG } from '../../../server/lists/list-source.js';
import { silentLogger } from '../../../server/logger.js';
import { ListsRepo } from '../../../server/store/repos/lists-repo.js';
import { openConfigDb, type Db } from '../../../server/store/sqlite.js';
import { type Catalog, loadCatalog } from '../../../server/trackers/catalog.js';
import { hostsList, ListServer, type Mode } from '../../integration/lists/list-server.js';

const server = new ListServer();
let catalog: Catalog;
let dir: string;
let db: Db;
const managers: ListManager[] = [];

function blocked(policy: PolicyEngine, name: string): boolean {
  const verdict = emptyVerdict();
  policy.decide(name, 1, 0, verdict);
  return verdict.action === VerdictAction.block;
}

function manager(
  policy: PolicyEngine,
  extra: { fetchTimeoutMs?: number; checkIntervalMs?: number } = {},
): ListManager {
  const m = new ListManager({
    db,
    dataDir: dir,
    policy,
    catalog,
    logger: silentLogger,
    refreshHours: 24,
    // Lists come from the local test server and the temp dir (source-policy.test.ts checks the limits).
    sources: { fileDir: dir, allowPrivateUrls: true, trusted: new Set() },
    fetchTimeoutMs: extra.fetchTimeoutMs ?? 800,
    ...(extra.checkIntervalMs ? { checkIntervalMs: extra.checkIntervalMs } : {}),
  });
  managers.push(m);
  return m;
}

beforeAll(async () => {
  await server.start();
  catalog = loadCatalog();
});
afterAll(() => server.close());
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tracksink-list-faults-'));
  db = openConfigDb(join(dir, 'tracksink.db'));
  new ListsRepo(db).insert({ name: 'catalog', source: BUILTIN_CATALOG, format: 'adblock', builtin: true });
});
afterEach(async () => {
  for (const m of managers.splice(0)) await m.stop();
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const GOOD = hostsList(500, 'fault.test');
const FAULTS: Array<{ name: string; mode: Mode; error: RegExp }> = [
  {
    name: 'down (connection refused)',
    mode: { kind: 'status', status: 0 },
    error: /could not download|ECONNREFUSED/,
  },
  {
    name: 'slow past the timeout',
    mode: { kind: 'slow-body', body: GOOD, delayMs: 5_000 },
    error: /timed out/,
  },
  { name: 'answering HTML', mode: { kind: 'html' }, error: /HTML/ },
  { name: 'truncating the body', mode: { kind: 'truncated', body: GOOD }, error: /truncated/ },
];

/** "Down" is modelled by closing the server; the other faults are modes of a running one. */
function isDown(mode: Mode): boolean {
  return mode.kind === 'status' && mode.status === 0;
}

describe('list server faults', () => {
  for (const fault of FAULTS) {
    it(`at start-up, server ${fault.name}: the cached copy blocks, a new list's error is visible`, async () => {
      const own = new ListServer();
      await own.start();
      try {
        own.set('/cached.txt', { kind: 'ok', body: GOOD });
        const first = manager(new PolicyEngine());
        const { list } = await first.add({ source: own.url('/cached.txt') });
        await first.stop();
        const fresh = new ListsRepo(db).insert({ name: 'fresh', source: own.url('/fresh.txt') });

        if (isDown(fault.mode)) await own.close();
        else for (const path of ['/cached.txt', '/fresh.txt']) own.set(path, fault.mode);

        const policy = new PolicyEngine();
        const lists = manager(policy);
        await lists.start();
        expect(blocked(policy, 't42.fault.test')).toBe(true);
        await lists.idle();
        expect(blocked(policy, 'connect.facebook.net')).toBe(true);
        expect(lists.get(list.id)?.lastError).toBeNull();
        expect(lists.get(fresh.id)?.lastError).toMatch(fault.error);
        expect(lists.get(fresh.id)?.lastError).toMatch(/no copy to fall back on/);
        expect(lists.stats().failing).toBe(1);

        // A refresh of the cached list during the fault keeps it blocking, with the error shown.
        const [summary] = await lists.refresh(list.id);
        expect(summary?.status).toBe('failed');
        expect(lists.get(list.id)?.lastError).toMatch(fault.error);
        expect(lists.get(list.id)?.lastError).toMatch(/kept the last good copy/);
        expect(blocked(policy, 't499.fault.test')).toBe(true);
      } finally {
        await own.close();
      }
    });

    it(`during refresh, server ${fault.name}: blocking goes on while the download is pending and after`, async () => {
      const path = `/during-${fault.mode.kind}.txt`;
      server.set(path, { kind: 'ok', body: GOOD });
      const policy = new PolicyEngine();
      const lists = manager(policy);
      await lists.start();
      const { list } = await lists.add({ source: server.url(path) });
      expect(blocked(policy, 't1.fault.test')).toBe(true);

      // "Down" during a refresh: a server that accepts and never answers (the timeout ends it).
      server.set(path, isDown(fault.mode) ? { kind: 'hang' } : fault.mode);
      const pending = lists.refresh(list.id);
      // DNS decisions do not wait for the download.
      expect(blocked(policy, 't2.fault.test')).toBe(true);
      const [summary] = await pending;
      expect(summary?.status).toBe('failed');
      expect(summary?.error).toMatch(isDown(fault.mode) ? /timed out/ : fault.error);
      expect(summary?.error).toMatch(/kept the last good copy/);
      expect(lists.get(list.id)?.lastError).toBe(summary?.error);
      expect(blocked(policy, 't3.fault.test')).toBe(true);
      expect(blocked(policy, 'unrelated.example')).toBe(false);
    });
  }

  it('a slow server within the timeout is fine', async () => {
    server.set('/slow-ok.txt', { kind: 'slow-body', body: GOOD, delayMs: 200 });
    const policy = new PolicyEngine();
    const lists = manager(policy, { fetchTimeoutMs: 5_000 });
    const { summary } = await lists.add({ source: server.url('/slow-ok.txt') });
    expect(summary?.status).toBe('updated');
    expect(blocked(policy, 't7.fault.test')).toBe(true);
  });

  it('the schedule retries a failing list and recovers when the server does', async () => {
    server.set('/scheduled.txt', { kind: 'ok', body: GOOD });
    const policy = new PolicyEngine();
    const first = manager(policy);
    const { list } = await first.add({ source: server.url('/scheduled.txt') });
    await first.stop();
    // The last attempt was a day ago: due at the next check.
    new ListsRepo(db).recordError(list.id, 'old failure', Date.now() - 25 * 3_600_000);
    server.set('/scheduled.txt', { kind: 'ok', body: hostsList(600, 'fault.test') });
    const before = server.requests('/scheduled.txt').length;
    const lists = manager(policy, { checkIntervalMs: 50 });
    await lists.start();
    const deadline = Date.now() + 10_000;
    while (lists.get(list.id)?.entries !== 600 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    expect(server.requests('/scheduled.txt').length).toBeGreaterThan(before);
    expect(lists.get(list.id)).toMatchObject({ entries: 600, lastError: null });
    expect(blocked(policy, 't599.fault.test')).toBe(true);
  });
});
