/**
 * The AdGuard companies database: the shipped copy works offline, a refreshed copy (here a small upstream
 * excerpt under tests/fixtures, CC BY-SA 4.0) replaces it only when valid, conditional requests keep an
 * unchanged upstream cheap, and a refused update leaves the previous copy and says why.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../../server/paths.js';
import { emptyAttributionResult } from '../../../server/trackers/attribution.js';
import { loadCatalog } from '../../../server/trackers/catalog.js';
import {
  CompaniesDbError,
  importCompaniesDb,
  loadSavedCompaniesDb,
  loadShippedCompaniesDb,
  parseCompaniesDb,
  savedCompaniesDbDir,
} from '../../../server/trackers/companiesdb.js';

const fixtures = join(projectRoot, 'tests/fixtures/trackers');
const trackersFile = join(fixtures, 'companiesdb-excerpt.trackers.json');
const companiesFile = join(fixtures, 'companiesdb-excerpt.companies.json');
const dataDir = mkdtempSync(join(tmpdir(), 'tracksink-companiesdb-'));

// A local upstream with ETags: it counts requests and the conditional ones it answered with 304.
const served = {
  trackers: readFileSync(trackersFile, 'utf8'),
  companies: readFileSync(companiesFile, 'utf8'),
};
const seen = { requests: 0, notModified: 0 };
let server: Server;
let base = '';
beforeAll(async () => {
  server = createServer((req, res) => {
    seen.requests++;
    const name =
      req.url === '/trackers.json' ? 'trackers' : req.url === '/companies.json' ? 'companies' : null;
    if (!name) {
      res.writeHead(404).end();
      return;
    }
    const body = served[name];
    const etag = `"${name}-${body.length}"`;
    if (req.headers['if-none-match'] === etag) {
      seen.notModified++;
      res.writeHead(304).end();
      return;
    }
    res.writeHead(200, { etag, 'content-type': 'application/json' }).end(body);
  });
  // Keep idle connections open longer than a slow test step, so a reused socket is never reset.
  server.keepAliveTimeout = 120_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(dataDir, { recursive: true, force: true });
});

describe('shipped tracker database', () => {
  it('loads offline from blocklists/trackerdb and is what a new install uses', () => {
    const shipped = loadShippedCompaniesDb();
    expect(shipped.origin).toBe('shipped');
    expect(shipped.trackers.size).toBeGreaterThan(3000);
    expect(shipped.trackerDomains.size).toBeGreaterThan(5000);
    const fresh = mkdtempSync(join(tmpdir(), 'tracksink-fresh-'));
    try {
      expect(loadSavedCompaniesDb(fresh).origin).toBe('shipped');
    } finally {
      rmSync(fresh, { recursive: true, force: true });
    }
    const catalog = loadCatalog();
    expect(catalog.companiesDbInfo).toMatchObject({
      origin: 'shipped',
      licence: 'CC BY-SA 4.0',
      problem: null,
    });
    expect(catalog.companiesDbInfo?.attribution).toMatch(/AdGuard companies database.*CC BY-SA 4\.0/);
  });
});

describe('refresh from upstream', () => {
  it('imports, saves, and is preferred over the shipped copy; an unchanged upstream answers 304', async () => {
    const sources = { trackers: `${base}/trackers.json`, companies: `${base}/companies.json` };
    const db = await importCompaniesDb({ ...sources, dataDir });
    expect(db.trackers.size).toBe(10);
    const saved = loadSavedCompaniesDb(dataDir);
    expect(saved.origin).toBe('refreshed');
    expect(saved.trackerDomains.get('rlcdn.com')).toBe('liveramp');

    const again = await importCompaniesDb({ ...sources, dataDir });
    expect(seen.notModified).toBe(2);
    expect(again.trackerDomains.size).toBe(db.trackerDomains.size);

    // The refreshed copy widens attribution like the shipped one, renamed by the overrides.
    const catalog = loadCatalog(undefined, { companiesDb: saved });
    const out = emptyAttributionResult();
    expect(catalog.attribution().attribute('idsync.rlcdn.com', out)).toBe(true);
    expect(catalog.company(out.companyId)?.name).toBe('LiveRamp');
    expect(out.tracking).toBe(false); // the database only attributes; it never makes a name blockable
    // Without the database only the curated catalog attributes: mmtro.com (1000mercis) is unknown.
    expect(loadCatalog(undefined, { companiesDb: null }).describe('tag.mmtro.com').company).toBeNull();
    expect(catalog.describe('tag.mmtro.com').company?.origin).toBe('companiesdb');
  });

  it('refuses a malformed update with file, line, entry and field, and keeps the previous copy', async () => {
    const doc = JSON.parse(served.trackers);
    doc.trackers['1000mercis'].categoryId = 999;
    served.trackers = JSON.stringify(doc, null, 2);
    const line = served.trackers.split('\n').findIndex((l) => l.includes('"1000mercis": {')) + 1;
    await expect(
      importCompaniesDb({ trackers: `${base}/trackers.json`, companies: `${base}/companies.json`, dataDir }),
    ).rejects.toThrow(new RegExp(`trackers\\.json:${line}: trackers\\.1000mercis: field 'categoryId'`));
    expect(loadSavedCompaniesDb(dataDir).trackers.size).toBe(10);
    expect(() => parseCompaniesDb('{', '{}')).toThrow(CompaniesDbError);
    expect(() => parseCompaniesDb('{', '{}')).toThrow(/trackers\.json: not valid JSON/);
  });

  it('falls back to the shipped copy, saying why, when the saved copy is damaged', () => {
    writeFileSync(join(savedCompaniesDbDir(dataDir), 'trackers.json'), '{"trackers": ');
    const db = loadSavedCompaniesDb(dataDir);
    expect(db.origin).toBe('shipped');
    expect(db.problem).toMatch(/damaged, using the shipped copy: .*trackers\.json: not valid JSON/);
  });
});
