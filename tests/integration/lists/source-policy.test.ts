/**
 * Where lists may come from (issue 14, item 7), through the real ListManager, real files, a real HTTP
 * server on 127.0.0.1 and the real downloader: local files only in the list directory (symlinks followed),
 * no list on a loopback/private address unless allowed, every redirect hop checked, explain shows list
 * entries only, and errors never repeat what a foreign server or file said.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { downloadList } from '../../../server/net/download.js';
import { ListManager } from '../../../server/lists/list-manager.js';
import {
  isLocalAddress,
  type ListSourcePolicy,
  sourcePolicyFor,
} from '../../../server/lists/source-policy.js';
import { silentLogger } from '../../../server/logger.js';
import { CompaniesDbUpdater } from '../../../server/trackers/companiesdb-updater.js';
import { CatalogRepo } from '../../../server/store/repos/catalog-repo.js';
import { openConfigDb, type Db } from '../../../server/store/sqlite.js';
import { type Catalog, loadCatalog } from '../../../server/trackers/catalog.js';
import { hostsList, ListServer } from './list-server.js';
import { RecordingPolicy } from './recording-policy.js';

const SECRET = 'DB_PASSWORD=hunter2-do-not-show';
const server = new ListServer();
let catalog: Catalog;
let dir: string;
let fileDir: string;
let db: Db;
const managers: ListManager[] = [];

function manager(policy: RecordingPolicy, sources: Partial<ListSourcePolicy> = {}): ListManager {
  const m = new ListManager({
    db,
    dataDir: dir,
    policy,
    catalog,
    logger: silentLogger,
    refreshHours: 24,
    fetchTimeoutMs: 2_000,
    sources: { fileDir, allowPrivateUrls: false, trusted: new Set(), ...sources },
  });
  managers.push(m);
  return m;
}

/** A server whose answers carry words that must never reach an error message. */
let chatty: Server;
let chattyUrl: string;

beforeAll(async () => {
  await server.start();
  catalog = loadCatalog();
  chatty = createServer((req, res) => {
    if (req.url === '/redirect-local') {
      res.writeHead(302, { location: `http://localhost:${(chatty.address() as AddressInfo).port}/list` });
      return void res.end();
    }
    if (req.url === '/list') return void res.writeHead(200).end('chatty.example\n');
    if (req.url === '/ssh') return void res.writeHead(200).end(`SSH-2.0-OpenSSH_9.2 ${SECRET}\r\n`);
    res.statusMessage = `Forbidden ${SECRET}`;
    res.writeHead(403).end(SECRET);
  });
  await new Promise<void>((done) => chatty.listen(0, '127.0.0.1', done));
  chattyUrl = `http://127.0.0.1:${(chatty.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await server.close();
  await new Promise((done) => chatty.close(done));
});
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tracksink-sources-'));
  fileDir = join(dir, 'lists-local');
  mkdirSync(fileDir);
  db = openConfigDb(join(dir, 'tracksink.db'));
});
afterEach(async () => {
  for (const m of managers.splice(0)) await m.stop();
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('local list files', () => {
  it('are read from the list directory, and refused anywhere else (the error does not say whether it exists)', async () => {
    const inside = join(fileDir, 'mine.txt');
    writeFileSync(inside, 'mine.example\n');
    const outside = join(dir, 'service.env');
    writeFileSync(outside, `${SECRET}\ntracker.example\n`);
    const policy = new RecordingPolicy();
    const lists = manager(policy);
    const { list } = await lists.add({ source: inside });
    expect(list).toMatchObject({ entries: 1, loaded: true });
    expect(policy.blocks('mine.example')).toBe(true);

    for (const source of [outside, '/etc/passwd', '/etc/no-such-file', join(fileDir, '..', 'service.env')]) {
      const refused = lists.add({ source });
      await expect(refused).rejects.toThrow(/must be in the list directory/);
      await expect(refused).rejects.not.toThrow(/ENOENT|hunter2/);
    }
    expect(lists.list()).toHaveLength(1);
  });

  it('a symlink in the list directory that points outside it is refused when read', async () => {
    const outside = join(dir, 'service.env');
    writeFileSync(outside, `${SECRET}\ntracker.example\n`);
    symlinkSync(outside, join(fileDir, 'link.txt'));
    const policy = new RecordingPolicy();
    const lists = manager(policy);
    const { summary, list } = await lists.add({ source: join(fileDir, 'link.txt'), format: 'domains' });
    expect(summary?.status).toBe('failed');
    expect(summary?.error).toMatch(/must be in the list directory/);
    expect(summary?.error).not.toMatch(/hunter2/);
    expect(list.loaded).toBe(false);
    expect(lists.invalidLines(list.id)).toEqual([]);
    expect(policy.blocks('tracker.example')).toBe(false);
  });

  it('lists.extra (config file, environment) names any file: the owner chose it', async () => {
    const outside = join(dir, 'owner.txt');
    writeFileSync(outside, 'owner.example\n');
    const config = { dataDir: dir, lists: { fileDir: '', allowPrivateUrls: false, extra: [outside] } };
    const sources = sourcePolicyFor(config);
    expect(sources.fileDir).toBe(join(dir, 'lists-local'));
    const policy = new RecordingPolicy();
    const lists = manager(policy, sources);
    lists.ensureDefaults(config.lists.extra, false);
    await lists.start();
    expect(policy.blocks('owner.example')).toBe(true);
  });
});

describe('http(s) lists on local addresses', () => {
  it('are refused unless lists.allowPrivateUrls, by address and by name', async () => {
    server.set('/private.txt', { kind: 'ok', body: hostsList(3, 'private.test') });
    const port = new URL(server.url('/')).port;
    const policy = new RecordingPolicy();
    const lists = manager(policy);
    await expect(lists.add({ source: server.url('/private.txt') })).rejects.toThrow(
      /127\.0\.0\.1 is a local or private network address/,
    );
    await expect(lists.add({ source: `http://[::1]:${port}/private.txt` })).rejects.toThrow(
      /local or private/,
    );
    // A name is checked by what it resolves to, when the download starts.
    const before = server.requests('/private.txt').length;
    const { summary } = await lists.add({ source: `http://localhost:${port}/private.txt` });
    expect(summary?.error).toMatch(/localhost is a local or private network address/);
    expect(server.requests('/private.txt').length).toBe(before);
    expect(policy.blocks('t1.private.test')).toBe(false);

    const allowed = manager(new RecordingPolicy(), { allowPrivateUrls: true });
    expect((await allowed.add({ source: server.url('/private.txt') })).summary?.status).toBe('updated');
  });

  it('every redirect hop is checked before it is requested', async () => {
    const asked: string[] = [];
    const refuseLocalhost = async (url: URL) => {
      asked.push(url.hostname);
      if (url.hostname === 'localhost') throw new Error('refused hop');
    };
    await expect(
      downloadList(`${chattyUrl}/redirect-local`, {
        timeoutMs: 2_000,
        maxBytes: 1_000,
        checkTarget: refuseLocalhost,
      }),
    ).rejects.toThrow(/refused hop/);
    expect(asked).toEqual(['127.0.0.1', 'localhost']);
  });

  it('classifies loopback, private, link-local, CGNAT and mapped addresses as local', () => {
    for (const local of [
      '127.0.0.1',
      '10.1.2.3',
      '172.16.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '::1',
      '::',
      'fe80::1',
      'fd00::1',
      '::ffff:127.0.0.1',
      '::ffff:7f00:1',
    ]) {
      expect(isLocalAddress(local), local).toBe(true);
    }
    for (const global of ['1.1.1.1', '9.9.9.9', '2606:4700:4700::1111', '::ffff:8.8.8.8']) {
      expect(isLocalAddress(global), global).toBe(false);
    }
  });
});

describe('foreign content stays unseen', () => {
  it('download errors give the status, never the server words', async () => {
    const lists = manager(new RecordingPolicy(), { allowPrivateUrls: true });
    const { summary } = await lists.add({ source: `${chattyUrl}/forbidden` });
    expect(summary?.error).toMatch(/HTTP 403/);
    expect(summary?.error).not.toMatch(/hunter2|Forbidden/);
  });

  it('a companies database import that gets something else does not repeat it', async () => {
    const updater = new CompaniesDbUpdater({
      dataDir: dir,
      ids: new CatalogRepo(db),
      current: () => ({ companiesDbInfo: null }),
      onCatalog: () => undefined,
      timeoutMs: 2_000,
    });
    const failed = updater.import({ trackers: `${chattyUrl}/ssh`, companies: `${chattyUrl}/ssh` });
    await expect(failed).rejects.toThrow(/not valid JSON/);
    await expect(failed).rejects.not.toThrow(/SSH-2\.0|hunter2/);
  });

  it('explain shows a line only when it is an entry of the list', async () => {
    const file = join(fileDir, 'mixed.txt');
    writeFileSync(file, `# my list\n${SECRET}\nads.mixed.example\n`);
    const lists = manager(new RecordingPolicy());
    const { list } = await lists.add({ source: file, format: 'domains' });
    expect(lists.lineText(list.id, 3)).toBe('ads.mixed.example');
    expect(lists.lineText(list.id, 2)).toBeNull();
    expect(lists.lineText(list.id, 1)).toBeNull();
  });
});
