/**
 * The merged tracker knowledge: brands and current owners over the database's stale ones, shared
 * infrastructure never named after the cloud, tracker vs service for every name, a source for every
 * attribution, and bad input refused with file and line.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { blocklistsDir, projectRoot } from '../../../server/paths.js';
import { NameKind, emptyAttributionResult } from '../../../server/trackers/attribution.js';
import { CatalogError, loadCatalog } from '../../../server/trackers/catalog.js';
import { loadShippedCompaniesDb } from '../../../server/trackers/companiesdb.js';
import { parse } from 'yaml';

const catalog = loadCatalog();
const attribution = catalog.attribution();

function who(name: string) {
  const out = emptyAttributionResult();
  attribution.attribute(name, out);
  const company = catalog.company(out.companyId);
  return {
    company: company?.name ?? null,
    owner: company?.owner ?? null,
    kind: out.kind,
    tracking: out.tracking,
  };
}

/** The text of `file:line` from a source string, to check that sources point at the fact. */
function lineOf(source: string): string {
  const match = /^(blocklists\/[^:]+):(\d+)/.exec(source);
  if (!match) throw new Error(`not a file:line source: ${source}`);
  return readFileSync(join(projectRoot, match[1] as string), 'utf8').split('\n')[Number(match[2]) - 1] ?? '';
}

describe('brands and current owners', () => {
  it('names the brand people know, with the owner apart', () => {
    expect(who('ads.mopub.com')).toMatchObject({ company: 'AppLovin (MoPub)', owner: 'AppLovin' });
    expect(who('api.vungle.com').company).toBe('Liftoff (Vungle)');
    expect(who('idsync.rlcdn.com')).toMatchObject({ company: 'LiveRamp', owner: null });
    expect(who('ads.yahoo.com')).toMatchObject({ company: 'Yahoo', owner: 'Apollo Global Management' });
    expect(who('ib.adnxs.com')).toMatchObject({ company: 'Microsoft (Xandr)', owner: 'Microsoft' });
    expect(who('pixel.tapad.com').owner).toBe('Experian');
    expect(who('x.bidswitch.net').owner).toBe('Criteo');
    expect(who('outcome-ssp.supersonicads.com').company).toMatch(/^Unity/);
    expect(who('tags.bluekai.com').company).toMatch(/^Oracle/);
    expect(who('z.moatads.com').company).toMatch(/^Oracle/);
    expect(who('getadmiral.com').company).toBe('Admiral');
    // A database company that the catalog describes is named as the catalog does.
    expect(who('analytics.twitter.com').company).toBe(catalog.company('x')?.name);
    expect(who('static.xx.fbcdn.net').company).toBe(catalog.company('meta')?.name);
  });

  it('maps only ids the shipped database has (a stale override would silently do nothing)', () => {
    const db = loadShippedCompaniesDb();
    const companyIds = new Set([...db.trackers.values()].map((t) => t.companyId));
    const overrides = parse(readFileSync(join(blocklistsDir, 'trackerdb/overrides.yaml'), 'utf8')) as {
      brands: { key: string; trackers?: string[]; companies?: string[] }[];
    };
    for (const brand of overrides.brands) {
      for (const id of brand.trackers ?? [])
        expect(db.trackers.has(id), `${brand.key}: tracker ${id}`).toBe(true);
      for (const id of brand.companies ?? [])
        expect(companyIds.has(id), `${brand.key}: company ${id}`).toBe(true);
    }
  });

  it('keeps a source for every attribution: the catalog line, or the database entry and the override', () => {
    const meta = catalog.describe('pixel.facebook.com');
    expect(meta.source).toMatch(/^blocklists\/companies\/meta\.yaml:\d+$/);
    expect(lineOf(meta.source as string)).toContain(meta.matchedDomain as string);
    const rlcdn = catalog.describe('idsync.rlcdn.com');
    expect(rlcdn.source).toMatch(/AdGuard companiesdb \(CC BY-SA 4\.0\), tracker 'liveramp'/);
    const override = /brand and owner: (blocklists\/trackerdb\/overrides\.yaml:\d+)/.exec(
      rlcdn.source ?? '',
    )?.[1];
    expect(lineOf(override as string)).toContain('key: liveramp');
    const sdk = catalog.describe('api.radar.io');
    expect(lineOf(sdk.source as string)).toContain('domain: radar.io');
    expect(sdk.owner).toBeNull();
    expect(catalog.describe('ads.mopub.com').owner).toBe('AppLovin');
  });
});

describe('shared infrastructure', () => {
  it('never names a third party on a shared cloud after the cloud', () => {
    for (const name of [
      'foo.execute-api.us-east-1.amazonaws.com',
      'some-bucket.s3.amazonaws.com',
      'sdtagging.azureedge.net',
      'x.sdtagging.azureedge.net',
      'someone.azurewebsites.net',
      'project.firebaseio.com',
      'app.herokuapp.com',
      'abc.global.ssl.fastly.net',
      'tenant.blob.core.windows.net',
      'a1.bc.googleusercontent.com',
    ]) {
      expect(who(name).company, name).toBeNull();
    }
    // Precise hostnames on the shared cloud do attribute.
    expect(who('bin5y4muil.execute-api.us-east-1.amazonaws.com').company).toBe('Outlogic (X-Mode)');
    expect(who('hypertrack.amazonaws.com').company).toBe('HyperTrack');
    expect(who('incoming-data-sense360.s3.amazonaws.com').company).toBe('Sense360');
    expect(who('other.incoming-data-sense360.s3.amazonaws.com').company).toBeNull(); // exact only
    // A company's own name below the shared domain, and the shared domain itself.
    expect(who('d24n15hnbwhuhn.cloudfront.net').company).toMatch(/Amplitude/);
    expect(who('admarvel.s3.amazonaws.com').company).toBe('Digital Turbine (AdColony)');
    expect(who('amazonaws.com').company).toBe(catalog.company('amazon')?.name);
  });
});

describe('tracker or service', () => {
  it('counts none of the ordinary services of the issue as tracking', () => {
    const ordinary = [
      'www.pinterest.com',
      'i.pinimg.com',
      'www.instagram.com',
      'scontent.cdninstagram.com',
      'mail.google.com',
      'www.youtube.com',
      'www.tiktok.com',
      'www.facebook.com',
      'web.whatsapp.com',
      'www.amazon.com',
      'www.reddit.com',
      'www.yahoo.com',
      'www.google.de',
      'vk.com',
      // Portals the database files under advertising; curated hosts make them services.
      'www.baidu.com',
      'www.ebay.com',
      'www.yahoo.co.jp',
      'ya.ru',
    ];
    for (const name of ordinary) expect(who(name).kind, name).not.toBe(NameKind.tracker);
    expect(who('www.pinterest.com').kind).toBe(NameKind.service);
  });

  it('calls tracker endpoints trackers, by curated endpoint, curated host or database category', () => {
    for (const name of [
      'www.google-analytics.com',
      'stats.g.doubleclick.net',
      'ct.pinterest.com',
      'app-measurement.com',
      'sdk.iad-01.braze.com',
      'api.radar.io',
      'tag.mmtro.com',
      'alb.reddit.com',
      'manager.smartlook.com',
      'hm.baidu.com',
      'rover.ebay.com',
    ]) {
      expect(who(name).kind, name).toBe(NameKind.tracker);
    }
    // Consent banners, chat widgets and CDNs are services; the database's misc is unknown.
    expect(who('cdn.cookielaw.org').kind).toBe(NameKind.service);
    expect(who('widget.intercom.io').kind).toBe(NameKind.service);
    expect(who('cdn.jsdelivr.net').kind).not.toBe(NameKind.tracker);
    // Only curated endpoints are blockable; the database and curated hosts only attribute.
    expect(who('api.radar.io').tracking).toBe(false);
    expect(who('tag.mmtro.com').tracking).toBe(false);
    expect(who('pixel.facebook.com').tracking).toBe(true);
  });
});

describe('bad input', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  /** A copy of blocklists/ with one file changed by `edit`. */
  function withEdited(file: string, edit: (text: string) => string): string {
    const root = mkdtempSync(join(tmpdir(), 'tracksink-trackerdb-'));
    dirs.push(root);
    const dir = join(root, 'blocklists');
    cpSync(blocklistsDir, dir, { recursive: true });
    writeFileSync(join(dir, file), edit(readFileSync(join(dir, file), 'utf8')));
    return dir;
  }
  function problemsOf(dir: string): string {
    try {
      loadCatalog(dir);
    } catch (error) {
      expect(error).toBeInstanceOf(CatalogError);
      return (error as CatalogError).message;
    }
    throw new Error('the catalog loaded');
  }

  it('refuses a malformed override or curated host with file and line', () => {
    const overrides = withEdited('trackerdb/overrides.yaml', (t) =>
      t
        .replace('    name: LiveRamp\n', '    name: LiveRamp\n    colour: blue\n')
        .replace("source: 'https://en.wikipedia.org/wiki/Tapad'", 'source: tapad'),
    );
    const text = readFileSync(join(overrides, 'trackerdb/overrides.yaml'), 'utf8').split('\n');
    const line = text.findIndex((l) => l.includes('key: liveramp')) + 1;
    const problems = problemsOf(overrides);
    expect(problems).toContain(`blocklists/trackerdb/overrides.yaml:${line}: brands[`);
    expect(problems).toMatch(
      /overrides\.yaml:\d+: brands\[\d+\] \(liveramp\): field 'colour' is not a known field/,
    );

    const hosts = withEdited('trackerdb/hosts.yaml', (t) =>
      t.replace('  - domain: radar.io\n    company: radar\n', '  - domain: Radar.IO\n    company: nobody\n'),
    );
    const hostLine =
      readFileSync(join(hosts, 'trackerdb/hosts.yaml'), 'utf8')
        .split('\n')
        .findIndex((l) => l.includes('domain: Radar.IO')) + 1;
    const hostProblems = problemsOf(hosts);
    expect(hostProblems).toContain(`blocklists/trackerdb/hosts.yaml:${hostLine}: hosts[`);
    expect(hostProblems).toMatch(/field 'domain' must be a lower-case domain/);
    expect(hostProblems).toMatch(
      /field 'company' names 'nobody', which is neither a catalog company nor a brand/,
    );
  });

  it('refuses a malformed shared-infrastructure entry and a broken YAML file with file and line', () => {
    const shared = withEdited('shared-infrastructure.yaml', (t) =>
      t.replace('  - domain: herokuapp.com\n', '  - domain: "*.herokuapp.com"\n'),
    );
    expect(problemsOf(shared)).toMatch(
      /shared-infrastructure\.yaml:\d+: shared\[\d+\] \(\*\.herokuapp\.com\): field 'domain'/,
    );
    const broken = withEdited('trackerdb/hosts.yaml', (t) =>
      t.replace('hosts:\n', 'hosts:\n  - domain: [unclosed\n'),
    );
    expect(problemsOf(broken)).toMatch(/blocklists\/trackerdb\/hosts\.yaml:\d+: YAML error/);
  });

  it('refuses a malformed shipped database with file, line and entry', () => {
    const dir = withEdited('trackerdb/companiesdb.json', (t) =>
      t.replace('"mopub": {"name":"MoPub","categoryId":4', '"mopub": {"name":"MoPub","categoryId":"4"'),
    );
    const line =
      readFileSync(join(dir, 'trackerdb/companiesdb.json'), 'utf8')
        .split('\n')
        .findIndex((l) => l.includes('"mopub": {')) + 1;
    expect(problemsOf(dir)).toContain(
      `blocklists/trackerdb/companiesdb.json:${line}: trackers.mopub: field 'categoryId' must be one of the file's categories`,
    );
  });
});
