/**
 * ListManager against a real local HTTP server and a real tracksink.db: conditional requests, every
 * failure kind keeping the last good copy (and saying why on the list), start-up from the on-disk copy.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ListManager, type RefreshProgress } from '../../../server/lists/list-manager.js';
import { BUILTIN_CATALOG, STEVENBLACK_UNIFIED } from '../../../server/lists/list-source.js';
import { silentLogger } from '../../../server/logger.js';
import { readBackup, replaceWithBackup } from '../../../server/store/repos/backup-repo.js';
import { ListsRepo } from '../../../server/store/repos/lists-repo.js';
import { openConfigDb, type Db } from '../../../server/store/sqlite.js';
import { type Catalog, loadCatalog } from '../../../server/trackers/catalog.js';
import { hostsList, ListServer } from './list-server.js';
import { RecordingPolicy } from './recording-policy.js';

const server = new ListServer();
let catalog: Catalog;
let dir: string;
let db: Db;
const managers: ListManager[] = [];

function manager(policy: RecordingPolicy, fetchTimeoutMs = 1_000, maxBytes?: number): ListManager {
  const m = new ListManager({
    db,
    dataDir: dir,
    policy,
    catalog,
    logger: silentLogger,
    refreshHours: 24,
    // Lists come from the local test server and the temp dir (source-policy.test.ts checks the limits).
    sources: { fileDir: dir, allowPrivateUrls: true, trusted: new Set() },
    fetchTimeoutMs,
    ...(maxBytes ? { maxBytes } : {}),
  });
  managers.push(m);
  return m;
}

beforeAll(async () => {
  await server.start();
  catalog = loadCatalog();
});

afterAll(async () => {
  await server.close();
});

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tracksink-lists-'));
  db = openConfigDb(join(dir, 'tracksink.db'));
});

afterEach(async () => {
  for (const m of managers.splice(0)) await m.stop();
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const GOOD = hostsList(200, 'good.test');

describe('conditional refresh', () => {
  it('sends If-None-Match and keeps the copy on 304', async () => {
    server.set('/etag.txt', { kind: 'ok', body: GOOD, etag: '"v1"' });
    const policy = new RecordingPolicy();
    const lists = manager(policy);
    const { list, summary } = await lists.add({ source: server.url('/etag.txt') });
    expect(summary?.status).toBe('updated');
    expect(summary?.entries).toBe(200);
    expect(list.etag).toBe('"v1"');
    expect(policy.blocks('t7.good.test')).toBe(true);

    const [again] = await lists.refresh(list.id);
    expect(again?.status).toBe('not-modified');
    expect(server.requests('/etag.txt').at(-1)?.ifNoneMatch).toBe('"v1"');
    expect(policy.blocks('t7.good.test')).toBe(true);
    expect(lists.get(list.id)?.lastError).toBeNull();
    expect(lists.get(list.id)?.entries).toBe(200);
  });

  it('sends If-Modified-Since when the server gives Last-Modified only', async () => {
    const lastModified = 'Wed, 21 Oct 2026 07:28:00 GMT';
    server.set('/lm.txt', { kind: 'ok', body: GOOD, lastModified });
    const lists = manager(new RecordingPolicy());
    const { list } = await lists.add({ source: server.url('/lm.txt') });
    const [again] = await lists.refresh(list.id);
    expect(again?.status).toBe('not-modified');
    expect(server.requests('/lm.txt').at(-1)?.ifModifiedSince).toBe(lastModified);
  });

  it('takes a changed list and reports bytes, then entries, then a summary', async () => {
    server.set('/change.txt', { kind: 'ok', body: GOOD, etag: '"a"' });
    const policy = new RecordingPolicy();
    const lists = manager(policy);
    const { list } = await lists.add({ source: server.url('/change.txt') });
    server.set('/change.txt', { kind: 'ok', body: hostsList(300, 'changed.test'), etag: '"b"' });
    const progress: RefreshProgress[] = [];
    const [summary] = await lists.refresh(list.id, (p) => progress.push(p));
    expect(summary).toMatchObject({ status: 'updated', entries: 300, invalidLines: 0, error: null });
    expect(summary?.durationMs).toBeGreaterThanOrEqual(0);
    expect(progress.at(0)?.phase).toBe('bytes');
    expect(progress.at(-1)).toMatchObject({ phase: 'entries', entries: 300 });
    expect(policy.blocks('t250.changed.test')).toBe(true);
    expect(policy.blocks('t7.good.test')).toBe(false);
  });
});

describe('a bad refresh keeps the last good copy and records the error', () => {
  const cases: Array<{ name: string; mode: Parameters<ListServer['set']>[1]; error: RegExp }> = [
    { name: 'HTTP 500', mode: { kind: 'status', status: 500 }, error: /HTTP 500/ },
    { name: 'a timeout', mode: { kind: 'hang' }, error: /timed out/ },
    { name: 'an empty body', mode: { kind: 'empty' }, error: /empty/ },
    { name: 'an HTML page', mode: { kind: 'html' }, error: /HTML/ },
    { name: 'HTML sent as text/plain', mode: { kind: 'html', contentType: 'text/plain' }, error: /HTML/ },
    { name: 'a truncated body', mode: { kind: 'truncated', body: GOOD }, error: /truncated/ },
    { name: 'binary data', mode: { kind: 'binary' }, error: /not a text list/ },
    {
      name: 'a suspicious shrink',
      mode: { kind: 'ok', body: hostsList(40, 'good.test') },
      error: /suspicious shrink: 40 entries against 200/,
    },
  ];
  for (const { name, mode, error } of cases) {
    it(name, async () => {
      const path = `/bad-${name.replace(/\W+/g, '-')}.txt`;
      server.set(path, { kind: 'ok', body: GOOD });
      const policy = new RecordingPolicy();
      const lists = manager(policy, 500);
      const { list } = await lists.add({ source: server.url(path) });
      const cached = readFileSync(join(dir, 'lists', `${list.id}.txt`), 'utf8');

      server.set(path, mode);
      const [summary] = await lists.refresh(list.id);
      expect(summary?.status).toBe('failed');
      expect(summary?.error).toMatch(error);
      expect(summary?.entries).toBe(200);
      const row = lists.get(list.id);
      expect(row?.lastError).toMatch(error);
      expect(row?.lastError).toMatch(/kept the last good copy/);
      expect(row?.entries).toBe(200);
      expect(policy.blocks('t199.good.test')).toBe(true);
      expect(readFileSync(join(dir, 'lists', `${list.id}.txt`), 'utf8')).toBe(cached);

      // The next good download clears the error.
      server.set(path, { kind: 'ok', body: GOOD });
      const [recovered] = await lists.refresh(list.id);
      expect(recovered?.status).toBe('updated');
      expect(lists.get(list.id)?.lastError).toBeNull();
    });
  }
});

describe('start-up', () => {
  it('loads from the on-disk copy without downloading, with the list server down', async () => {
    server.set('/startup.txt', { kind: 'ok', body: GOOD, etag: '"s1"' });
    const first = manager(new RecordingPolicy());
    const { list } = await first.add({ source: server.url('/startup.txt') });
    await first.stop();

    server.set('/startup.txt', { kind: 'status', status: 503 });
    const before = server.requests('/startup.txt').length;
    const policy = new RecordingPolicy();
    const second = manager(policy);
    await second.start();
    expect(server.requests('/startup.txt').length).toBe(before);
    expect(policy.blocks('t3.good.test')).toBe(true);
    expect(second.get(list.id)).toMatchObject({ loaded: true, entries: 200 });
  });

  it('downloads a list without a copy, and survives when that fails', async () => {
    const repo = new ListsRepo(db);
    repo.insert({ name: 'catalog', source: BUILTIN_CATALOG, format: 'adblock', builtin: true });
    const down = repo.insert({ name: 'down', source: server.url('/never.txt') });
    server.set('/never.txt', { kind: 'status', status: 502 });
    const policy = new RecordingPolicy();
    const lists = manager(policy);
    await lists.start();
    // start() serves what is on disk at once; the download runs after it, in the background.
    expect(policy.blocks('ct.pinterest.com')).toBe(true);
    await lists.idle();
    expect(lists.get(down.id)?.lastError).toMatch(/HTTP 502.*no copy to fall back on/);
    expect(lists.get(down.id)?.loaded).toBe(false);
    // The built-in catalog still blocks.
    expect(policy.blocks('ct.pinterest.com')).toBe(true);
    expect(policy.blocks('connect.facebook.net')).toBe(true);
    expect(policy.blocks('graph.facebook.com')).toBe(false); // dual-use: not in the catalog's block list
    expect(policy.attribution).not.toBeNull();
  });
});

describe('subscriptions', () => {
  it('a new install gets the catalog and StevenBlack; extra sources are added once', () => {
    const lists = manager(new RecordingPolicy());
    lists.ensureDefaults(['/tmp/does-not-matter.txt'], true);
    lists.ensureDefaults(['/tmp/does-not-matter.txt'], true);
    const sources = lists.list().map((l) => l.source);
    expect(sources).toEqual([BUILTIN_CATALOG, STEVENBLACK_UNIFIED, '/tmp/does-not-matter.txt']);
    expect(lists.list()[0]?.builtin).toBe(true);
  });

  it('does not bring defaults back once the user removed them', async () => {
    const lists = manager(new RecordingPolicy());
    lists.ensureDefaults([], true);
    const stevenBlack = lists.list().find((l) => l.source === STEVENBLACK_UNIFIED);
    await lists.remove(stevenBlack?.id ?? -1);
    lists.ensureDefaults([], true);
    expect(lists.list().map((l) => l.source)).toEqual([BUILTIN_CATALOG]);
  });

  it('reads local files, explains lines, updates, assigns and removes', async () => {
    const file = join(dir, 'mine.txt');
    writeFileSync(file, '# mine\n||tracker.mine.test^\n||ads.mine.test^\n');
    const policy = new RecordingPolicy();
    const lists = manager(policy);
    const { list } = await lists.add({ source: file, name: 'Mine' });
    expect(list).toMatchObject({ name: 'Mine', entries: 2, format: 'auto', kind: 'block', loaded: true });
    expect(policy.blocks('x.ads.mine.test')).toBe(true);
    expect(lists.lineText(list.id, 3)).toBe('||ads.mine.test^');
    expect(lists.lineText(list.id, 99)).toBeNull();

    const updated = await lists.update(list.id, {
      assignment: { groupIds: [], deviceIds: [] },
      name: 'Renamed',
    });
    expect(updated.name).toBe('Renamed');
    await lists.update(list.id, { enabled: false });
    expect(policy.blocks('x.ads.mine.test')).toBe(false);
    await lists.update(list.id, { enabled: true });
    expect(policy.blocks('x.ads.mine.test')).toBe(true);

    await lists.remove(list.id);
    expect(lists.get(list.id)).toBeUndefined();
    expect(policy.blocks('x.ads.mine.test')).toBe(false);
  });

  it('rejects bad input with a clear error and keeps what is there', async () => {
    const lists = manager(new RecordingPolicy());
    await expect(lists.add({ source: 'ftp://example.test/list' })).rejects.toThrow(/only http and https/);
    await expect(lists.add({ source: '  ' })).rejects.toThrow(/empty/);
    await expect(lists.add({ source: '/x.txt', format: 'nope' as never })).rejects.toThrow(
      /format must be one of/,
    );
    const file = join(dir, 'one.txt');
    writeFileSync(file, 'one.test\n');
    await lists.add({ source: file });
    await expect(lists.add({ source: file })).rejects.toThrow(/already exists/);
    expect(lists.list()).toHaveLength(1);
    await expect(lists.update(999, { name: 'x' })).rejects.toThrow(/no list with id 999/);
  });

  it('maps company policies to catalog ids for the policy', async () => {
    const policy = new RecordingPolicy();
    const lists = manager(policy);
    await lists.start();
    lists.setCompanyPolicy('meta', 'block-everything');
    lists.setCompanyPolicy('pinterest', 'allow');
    const meta = catalog.company('meta');
    expect(policy.companyPolicies.get(meta?.id ?? -1)).toBe('block-everything');
    expect(policy.companyPolicies.size).toBe(2);
    lists.setCompanyPolicy('meta', 'block-tracking');
    expect(policy.companyPolicies.size).toBe(1);
    expect(() => lists.setCompanyPolicy('nobody', 'allow')).toThrow(/unknown company/);
  });

  it('refuses a list over the size cap and keeps the last good copy', async () => {
    server.set('/big.txt', { kind: 'ok', body: GOOD });
    const policy = new RecordingPolicy();
    const lists = manager(policy, 1_000, GOOD.length + 10);
    const { list } = await lists.add({ source: server.url('/big.txt') });
    server.set('/big.txt', { kind: 'ok', body: hostsList(400, 'good.test') });
    const [summary] = await lists.refresh(list.id);
    expect(summary).toMatchObject({ status: 'failed' });
    expect(summary?.error).toMatch(/over the \d+-byte limit; kept the last good copy/);
    expect(policy.blocks('t150.good.test')).toBe(true);
  });

  it('re-reads local files at start-up, and passes device/group assignments to the matcher', async () => {
    const file = join(dir, 'edited.txt');
    writeFileSync(file, 'one.edited.test\n');
    const first = manager(new RecordingPolicy());
    const { list } = await first.add({ source: file });
    await first.stop();
    writeFileSync(file, 'one.edited.test\ntwo.edited.test\n');
    db.prepare('INSERT INTO devices (id, first_seen, last_seen) VALUES (5, 0, 0)').run();
    const policy = new RecordingPolicy();
    const lists = manager(policy);
    await lists.start();
    expect(policy.blocks('two.edited.test')).toBe(true);
    await lists.update(list.id, { assignment: { deviceIds: [5], groupIds: [] } });
    const info = policy.matcher?.lists.find((l) => l.id === list.id);
    expect(info?.global).toBe(false);
    expect([...(info?.deviceIds ?? [])]).toEqual([5]);
    expect(lists.get(list.id)?.assignment).toEqual({ deviceIds: [5], groupIds: [] });
    // The device's own lookups are blocked, others' are not.
    expect(policy.blocks('two.edited.test')).toBe(false);
  });
});

describe('reload after the lists table was replaced (a configuration import)', () => {
  it('keeps what the last download left for a list whose id and source are unchanged', async () => {
    server.set('/kept.txt', { kind: 'ok', body: GOOD, etag: '"k1"' });
    server.set('/moved.txt', { kind: 'ok', body: hostsList(3, 'moved.test'), etag: '"m1"' });
    const lists = manager(new RecordingPolicy());
    const kept = (await lists.add({ source: server.url('/kept.txt') })).list;
    const moved = (await lists.add({ source: server.url('/moved.txt') })).list;
    const repo = new ListsRepo(db);
    const before = repo.get(kept.id);
    expect(before?.etag).toBe('"k1"');
    expect(before?.lastRefresh).not.toBeNull();

    const data = readBackup(db);
    data.lists = data.lists.map((list) =>
      list.id === moved.id ? { ...list, source: server.url('/moved-elsewhere.txt') } : list,
    );
    replaceWithBackup(db, data);

    const after = repo.get(kept.id);
    expect(after).toMatchObject({
      etag: '"k1"',
      lastRefresh: before?.lastRefresh,
      lastSuccess: before?.lastSuccess,
      entries: 200,
    });
    // Another source under the same id starts afresh: nothing of the old download may vouch for it.
    expect(repo.get(moved.id)).toMatchObject({ etag: null, lastRefresh: null, entries: 0 });
  });

  it('never serves a cached copy under an id that now names another list, and loads the new lists', async () => {
    server.set('/old.txt', { kind: 'ok', body: hostsList(10, 'old.test') });
    server.set('/new.txt', { kind: 'status', status: 503 });
    const policy = new RecordingPolicy();
    const lists = manager(policy);
    const { list } = await lists.add({ source: server.url('/old.txt') });
    expect(policy.blocks('t3.old.test')).toBe(true);
    const local = join(dir, 'local.txt');
    writeFileSync(local, 'local.reload.test\n');
    const data = readBackup(db);
    // The same id, another source (not reachable yet); plus a local file list.
    data.lists = [
      { ...data.lists[0]!, source: server.url('/new.txt'), name: 'new' },
      {
        id: list.id + 1,
        name: 'local',
        source: local,
        format: 'domains',
        kind: 'block',
        enabled: true,
        builtin: false,
        assignments: [],
      },
    ];
    replaceWithBackup(db, data);
    await lists.reload();
    expect(policy.blocks('t3.old.test')).toBe(false);
    expect(policy.blocks('local.reload.test')).toBe(true);
    expect(lists.get(list.id)).toMatchObject({ name: 'new', loaded: false });
    // The new list is downloaded in the background once it answers.
    server.set('/new.txt', { kind: 'ok', body: hostsList(5, 'new.test') });
    await lists.refresh(list.id);
    expect(policy.blocks('t2.new.test')).toBe(true);
    expect(policy.blocks('t3.old.test')).toBe(false);
  });
});
