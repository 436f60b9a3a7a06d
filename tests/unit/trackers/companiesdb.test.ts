/** Importing the AdGuard companies database (snapshot in ../shared/fixtures/trackers) widens attribution. */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../../server/paths.js';
import { emptyAttributionResult } from '../../../server/trackers/attribution.js';
import { loadCatalog } from '../../../server/trackers/catalog.js';
import {
  CompaniesDbError,
  importCompaniesDb,
  loadSavedCompaniesDb,
  parseCompaniesDb,
} from '../../../server/trackers/companiesdb.js';

const fixtures = resolve(projectRoot, '../shared/fixtures/trackers');
const trackersFile = join(fixtures, 'companiesdb.trackers.json');
const companiesFile = join(fixtures, 'companiesdb.companies.json');
const dataDir = mkdtempSync(join(tmpdir(), 'tracksink-companiesdb-'));

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('companiesdb import', () => {
  it('imports the snapshot, saves it, and loads the saved copy', async () => {
    const db = await importCompaniesDb({ trackers: trackersFile, companies: companiesFile, dataDir });
    expect(db.trackers.size).toBe(3330);
    expect(db.trackerDomains.size).toBeGreaterThan(5000);
    expect(db.companies.size).toBe(2368);
    expect(existsSync(join(dataDir, 'companiesdb', 'trackers.json'))).toBe(true);
    const saved = loadSavedCompaniesDb(dataDir);
    expect(saved?.trackerDomains.size).toBe(db.trackerDomains.size);
  });

  it('widens attribution without overriding the catalog or marking anything blockable', () => {
    const companiesDb = loadSavedCompaniesDb(dataDir);
    const plain = loadCatalog(undefined, { companiesDb: null });
    const wide = loadCatalog(undefined, { companiesDb });
    expect(wide.attributedDomains).toBeGreaterThan(plain.attributedDomains + 4000);
    expect(wide.companiesDbInfo?.attribution).toMatch(/CC BY-SA 4\.0/);
    expect(plain.companiesDbInfo).toBeNull();

    const attribution = wide.attribution();
    const out = emptyAttributionResult();
    // mmtro.com is only known to companiesdb (1000mercis).
    expect(attribution.attribute('tag.mmtro.com', out)).toBe(true);
    expect(wide.company(out.companyId)).toMatchObject({ key: 'adguard:1000mercis', origin: 'companiesdb' });
    expect(wide.category(out.categoryId)?.key).toBe('analytics');
    expect(out.tracking).toBe(false);
    // A companiesdb tracker of a catalog company is attributed to that company.
    const criteoOnly = [...(companiesDb?.trackerDomains ?? [])].find(
      ([domain, tracker]) =>
        companiesDb?.trackers.get(tracker)?.companyId === 'criteo' && !plain.describe(domain).company,
    );
    if (criteoOnly) {
      attribution.attribute(criteoOnly[0], out);
      expect(wide.company(out.companyId)?.key).toBe('criteo');
    }
    // The catalog's own facts win on the same domain.
    attribution.attribute('graph.facebook.com', out);
    expect(out.dualUse).toBe(true);
    expect(wide.app(out.appId)?.key).toBe('facebook');
  });

  it('refuses malformed files with the file, entry and field, and keeps the saved copy', async () => {
    const bad = join(dataDir, 'bad-trackers.json');
    const doc = JSON.parse(readFileSync(trackersFile, 'utf8'));
    doc.trackers['1000mercis'].categoryId = 999;
    writeFileSync(bad, JSON.stringify(doc));
    await expect(importCompaniesDb({ trackers: bad, companies: companiesFile, dataDir })).rejects.toThrow(
      /bad-trackers\.json:1: trackers\.1000mercis: field 'categoryId'/,
    );
    expect(() => parseCompaniesDb('{', '{}')).toThrow(CompaniesDbError);
    expect(() => parseCompaniesDb('{', '{}')).toThrow(/trackers\.json: not valid JSON/);
    expect(loadSavedCompaniesDb(dataDir)?.trackers.size).toBe(3330);
  });
});
