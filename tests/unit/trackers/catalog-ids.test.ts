/** Catalog ids are kept in tracksink.db: the same key keeps its id across restarts and catalog changes. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CatalogRepo } from '../../../server/store/repos/catalog-repo.js';
import { openConfigDb } from '../../../server/store/sqlite.js';
import { loadCatalog } from '../../../server/trackers/catalog.js';

const dir = mkdtempSync(join(tmpdir(), 'tracksink-catalog-ids-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('stable catalog ids', () => {
  it('keeps ids across reopen and never reuses them', () => {
    const path = join(dir, 'tracksink.db');
    let db = openConfigDb(path);
    const first = new CatalogRepo(db).assign('company', ['meta', 'pinterest']);
    expect([...first.values()]).toEqual([1, 2]);
    db.close();

    db = openConfigDb(path);
    const repo = new CatalogRepo(db);
    // Order changed, one key gone, one new: old keys keep their ids, the new one gets a fresh id.
    const second = repo.assign('company', ['zz-new', 'pinterest']);
    expect(second.get('pinterest')).toBe(2);
    expect(second.get('zz-new')).toBe(3);
    expect(repo.assign('company', ['meta']).get('meta')).toBe(1);
    // Kinds have separate id spaces.
    expect(repo.assign('app', ['instagram']).get('instagram')).toBe(1);
    db.close();
  });

  it('gives the loaded catalog the ids from the database', () => {
    const db = openConfigDb(join(dir, 'catalog.db'));
    const repo = new CatalogRepo(db);
    const a = loadCatalog(undefined, { ids: repo });
    const b = loadCatalog(undefined, { ids: repo });
    expect(b.company('meta')?.id).toBe(a.company('meta')?.id);
    expect(b.app('instagram')?.id).toBe(a.app('instagram')?.id);
    expect(repo.assign('company', ['meta']).get('meta')).toBe(a.company('meta')?.id);
    db.close();
  });

  it('stores company policy presets; block-tracking is the default (no row)', () => {
    const db = openConfigDb(join(dir, 'policies.db'));
    const repo = new CatalogRepo(db);
    repo.setCompanyPolicy('meta', 'block-everything');
    repo.setCompanyPolicy('x', 'allow');
    repo.setCompanyPolicy('x', 'block-tracking');
    expect(repo.companyPolicies().map((r) => [r.companyKey, r.policy])).toEqual([
      ['meta', 'block-everything'],
    ]);
    expect(() => repo.setCompanyPolicy('meta', 'nope' as never)).toThrow(/must be one of/);
    db.close();
  });
});
