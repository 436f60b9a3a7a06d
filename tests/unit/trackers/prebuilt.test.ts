/**
 * The prebuilt catalog (issue 16, start-up): the build stores the checked YAML sources and the shipped
 * companies database in dist/catalog/; a start reads them instead of parsing YAML, and gets exactly the
 * catalog the YAML gives. A prebuilt file that no longer matches its sources (a company file edited after
 * the build), is damaged, or is of another format is ignored: the YAML stays the source of truth.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { blocklistsDir } from '../../../server/paths.js';
import { APPS_PREBUILT, appsDir, loadAppCatalog } from '../../../server/trackers/apps/app-catalog.js';
import { buildPrebuiltCatalog } from '../../../server/trackers/build-prebuilt.js';
import { CATALOG_PREBUILT, type Catalog, loadCatalog } from '../../../server/trackers/catalog.js';
import { COMPANIESDB_PREBUILT, loadShippedCompaniesDb } from '../../../server/trackers/companiesdb.js';
import { PREBUILT_FORMAT, prebuiltDir } from '../../../server/trackers/prebuilt.js';

const tmp = mkdtempSync(join(tmpdir(), 'tracksink-prebuilt-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Everything a catalog says that callers read (attribution of every known name included). */
function contentOf(catalog: Catalog): unknown {
  const names = [
    ...catalog.companies.flatMap((c) => c.domains),
    ...catalog.apps.flatMap((a) => a.domains),
    ...catalog.endpoints.map((e) => e.domain),
    // Names only the companies database knows, and subdomains (suffix match).
    ...[...loadShippedCompaniesDb(undefined, { prebuilt: false }).trackerDomains.keys()].slice(0, 2000),
    'www.instagram.com',
    'a.b.ct.pinterest.com',
    'not-a-tracker.example',
  ];
  return {
    categories: catalog.categories,
    companies: catalog.companies,
    apps: catalog.apps,
    endpoints: catalog.endpoints,
    publicResolvers: catalog.publicResolvers,
    companiesDbInfo: catalog.companiesDbInfo,
    attributedDomains: catalog.attributedDomains,
    tracking: catalog.trackingListText(),
    resolvers: catalog.publicResolversListText(),
    names: names.map((name) => [name, catalog.describe(name)]),
  };
}

describe('prebuilt tracker catalog', () => {
  const out = join(tmp, 'shipped');
  const summary = buildPrebuiltCatalog(blocklistsDir, out);

  it('gives exactly the catalog the YAML and companiesdb.json give', () => {
    expect(summary.companies).toBeGreaterThan(20);
    expect(summary.trackerDomains).toBeGreaterThan(1000);
    const fromYaml = loadCatalog(blocklistsDir, { prebuilt: false });
    const prebuilt = loadCatalog(blocklistsDir, { prebuiltDir: out });
    expect(contentOf(prebuilt)).toEqual(contentOf(fromYaml));
    expect(prebuilt.describe('ct.pinterest.com').source).toMatch(
      /^blocklists\/companies\/pinterest\.yaml:\d+$/,
    );
  });

  it('gives exactly the app catalog the app files give', () => {
    expect(summary.apps).toBeGreaterThan(50);
    const fromYaml = loadAppCatalog(appsDir, { prebuilt: false });
    const prebuilt = loadAppCatalog(appsDir, { prebuiltDir: out });
    expect(prebuilt.apps).toEqual(fromYaml.apps);
    const hosts = fromYaml.apps.flatMap((app) => app.hosts.map((host) => `x.${host}`));
    expect(hosts.map((host) => prebuilt.match(host)?.key)).toEqual(
      hosts.map((host) => fromYaml.match(host)?.key),
    );
    // An edited app file is read again.
    const dir = join(tmp, 'apps-edited', 'blocklists', 'apps');
    cpSync(blocklistsDir, join(dir, '..'), { recursive: true });
    buildPrebuiltCatalog(join(dir, '..'), join(tmp, 'apps-edited-prebuilt'));
    const first = fromYaml.apps[0]!;
    const file = join(dir, first.file.split('/').pop()!);
    writeFileSync(file, readFileSync(file, 'utf8').replace(`name: ${first.name}`, 'name: Edited'));
    expect(
      loadAppCatalog(dir, { prebuiltDir: join(tmp, 'apps-edited-prebuilt') }).byKey(first.key)?.name,
    ).toBe('Edited');
  });

  it('is fresh in this build (else run npm run build:server)', () => {
    // What `npm run build` left in dist/catalog/ is what the sources give now, byte for byte.
    for (const name of [CATALOG_PREBUILT, COMPANIESDB_PREBUILT, APPS_PREBUILT]) {
      const built = join(prebuiltDir, name);
      expect(existsSync(built), `${built} is missing: run npm run build:server`).toBe(true);
      expect(
        readFileSync(built, 'utf8') === readFileSync(join(out, name), 'utf8'),
        `${built} is stale: run npm run build:server`,
      ).toBe(true);
    }
  });

  it('is ignored once a source file changed after the build', () => {
    const dir = join(tmp, 'edited', 'blocklists');
    cpSync(blocklistsDir, dir, { recursive: true });
    const edited = join(tmp, 'edited-prebuilt');
    buildPrebuiltCatalog(dir, edited);
    const file = join(dir, 'companies', 'pinterest.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace(/^name: .*$/m, 'name: Pinterest (edited)'));
    expect(loadCatalog(dir, { prebuiltDir: edited }).company('pinterest')?.name).toBe('Pinterest (edited)');
    // A new company file counts too.
    cpSync(join(dir, 'companies', 'pinterest.yaml'), join(dir, 'companies', 'zz-copy.yaml'));
    expect(() => loadCatalog(dir, { prebuiltDir: edited })).toThrow(
      /company key 'pinterest' is already used/,
    );
  });

  it('is ignored when damaged or of another format', () => {
    const damaged = join(tmp, 'damaged');
    cpSync(out, damaged, { recursive: true });
    writeFileSync(join(damaged, CATALOG_PREBUILT), '{"format": 1, "sources": "');
    const other = JSON.parse(readFileSync(join(out, COMPANIESDB_PREBUILT), 'utf8')) as {
      format: number;
      data: { trackerDomains: string[] };
    };
    // A file of another format is never read as this one, even with matching sources.
    other.format = PREBUILT_FORMAT + 1;
    other.data.trackerDomains = [];
    writeFileSync(join(damaged, COMPANIESDB_PREBUILT), JSON.stringify(other));
    expect(contentOf(loadCatalog(blocklistsDir, { prebuiltDir: damaged }))).toEqual(
      contentOf(loadCatalog(blocklistsDir, { prebuilt: false })),
    );
  });
});
