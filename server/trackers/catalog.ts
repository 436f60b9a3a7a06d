/**
 * Loads the project's own tracker catalog (`blocklists/`), validates it, gives every company, category
 * and app a stable numeric id, and answers the two questions the server asks of it: "who is behind this
 * name?" (attribution, by longest-suffix match over every known domain, on the DNS hot path) and "which
 * names are safe to block?" (the catalog's `tracking` endpoints, rendered as a list the filter parses).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseDocument } from 'yaml';
import { blocklistsDir } from '../paths.js';
import { type Attribution, type AttributionResult, NameKind, clearAttributionResult } from './attribution.js';
import { CatalogError } from './catalog-error.js';
import {
  type RawCategory,
  type RawCompany,
  type RawResolver,
  checkCategories,
  checkCompany,
  checkCrossReferences,
  checkResolvers,
} from './catalog-schema.js';
import type {
  CatalogApp,
  CatalogCategory,
  CatalogCompany,
  CatalogEndpoint,
  CatalogIdStore,
  CompaniesDbInfo,
  PublicResolver,
} from './catalog-types.js';
import { COMPANIESDB_ATTRIBUTION, COMPANIESDB_LICENCE, type CompaniesDb } from './companiesdb.js';
import { SuffixIndex } from './suffix-index.js';

export { CatalogError } from './catalog-error.js';
export type * from './catalog-types.js';

export interface LoadCatalogOptions {
  /** Stable ids from tracksink.db; without it ids follow file order (stable while the files are). */
  ids?: CatalogIdStore;
  /** The imported AdGuard companies database, to widen attribution. */
  companiesDb?: CompaniesDb | null;
}

/** Everything attribution says about a name, as objects (for explain and the API; allocates). */
export interface NameDescription {
  company: CatalogCompany | null;
  category: CatalogCategory | null;
  app: CatalogApp | null;
  endpoint: CatalogEndpoint | null;
  /** The known domain that matched (the longest suffix of the name). */
  matchedDomain: string | null;
}

/** Where the matched domain came from; kept per attribution record so explain can say it. */
interface AttributionRecord {
  domain: string;
  companyId: number;
  categoryId: number;
  appId: number;
  tracking: boolean;
  dualUse: boolean;
  kind: NameKind;
}

const FLAG_TRACKING = 1;
const FLAG_DUAL_USE = 2;
/** Bits 2–3 of the flag column hold the NameKind. */
const KIND_SHIFT = 2;
const KIND_MASK = 3;

/** AdGuard companiesdb category names → this catalog's category keys. */
const COMPANIESDB_CATEGORY: Record<string, string> = {
  advertising: 'advertising',
  pornvertising: 'advertising',
  site_analytics: 'analytics',
  mobile_analytics: 'analytics',
  social_media: 'social',
  comments: 'social',
  telemetry: 'telemetry',
  audio_video_player: 'video',
  customer_interaction: 'push-notifications',
  email: 'productivity',
  cdn: 'platform',
  hosting: 'platform',
  essential: 'platform',
};

/** Categories whose imported names are tracker endpoints (the rest are services: CDN, hosting, players …). */
const TRACKER_CATEGORY_KEYS = new Set(['advertising', 'analytics', 'telemetry']);

export class Catalog {
  readonly categories: readonly CatalogCategory[];
  readonly companies: readonly CatalogCompany[];
  readonly apps: readonly CatalogApp[];
  readonly endpoints: readonly CatalogEndpoint[];
  readonly publicResolvers: readonly PublicResolver[];
  readonly companiesDbInfo: CompaniesDbInfo | null;

  private readonly byKey = {
    company: new Map<string, CatalogCompany>(),
    category: new Map<string, CatalogCategory>(),
    app: new Map<string, CatalogApp>(),
  };
  private readonly byId = {
    company: new Map<number, CatalogCompany>(),
    category: new Map<number, CatalogCategory>(),
    app: new Map<number, CatalogApp>(),
  };
  private readonly endpointByDomain = new Map<string, CatalogEndpoint>();
  private readonly records: AttributionRecord[];
  private readonly index: SuffixIndex;
  // Columns of the records for the allocation-free hot path.
  private readonly companyCol: Int32Array;
  private readonly categoryCol: Int32Array;
  private readonly appCol: Int32Array;
  private readonly flagCol: Uint8Array;
  private trackingText: string | null = null;

  /** Use loadCatalog(); the constructor takes already validated, id-assigned parts. */
  constructor(parts: {
    categories: CatalogCategory[];
    companies: CatalogCompany[];
    apps: CatalogApp[];
    endpoints: CatalogEndpoint[];
    publicResolvers: PublicResolver[];
    records: AttributionRecord[];
    companiesDbInfo: CompaniesDbInfo | null;
  }) {
    this.categories = parts.categories;
    this.companies = parts.companies;
    this.apps = parts.apps;
    this.endpoints = parts.endpoints;
    this.publicResolvers = parts.publicResolvers;
    this.companiesDbInfo = parts.companiesDbInfo;
    for (const c of parts.categories) {
      this.byKey.category.set(c.key, c);
      this.byId.category.set(c.id, c);
    }
    for (const c of parts.companies) {
      this.byKey.company.set(c.key, c);
      this.byId.company.set(c.id, c);
    }
    for (const a of parts.apps) {
      this.byKey.app.set(a.key, a);
      this.byId.app.set(a.id, a);
    }
    for (const e of parts.endpoints) this.endpointByDomain.set(e.domain, e);
    this.records = parts.records;
    const n = parts.records.length;
    this.companyCol = new Int32Array(n);
    this.categoryCol = new Int32Array(n);
    this.appCol = new Int32Array(n);
    this.flagCol = new Uint8Array(n);
    parts.records.forEach((r, i) => {
      this.companyCol[i] = r.companyId;
      this.categoryCol[i] = r.categoryId;
      this.appCol[i] = r.appId;
      this.flagCol[i] =
        (r.tracking ? FLAG_TRACKING : 0) | (r.dualUse ? FLAG_DUAL_USE : 0) | (r.kind << KIND_SHIFT);
    });
    this.index = new SuffixIndex(parts.records.map((r, i) => [r.domain, i] as const));
  }

  company(idOrKey: number | string): CatalogCompany | undefined {
    return typeof idOrKey === 'number' ? this.byId.company.get(idOrKey) : this.byKey.company.get(idOrKey);
  }

  category(idOrKey: number | string): CatalogCategory | undefined {
    return typeof idOrKey === 'number' ? this.byId.category.get(idOrKey) : this.byKey.category.get(idOrKey);
  }

  app(idOrKey: number | string): CatalogApp | undefined {
    return typeof idOrKey === 'number' ? this.byId.app.get(idOrKey) : this.byKey.app.get(idOrKey);
  }

  /** The catalog endpoint described for exactly this domain. */
  endpoint(domain: string): CatalogEndpoint | undefined {
    return this.endpointByDomain.get(domain.toLowerCase());
  }

  /** Number of domains attribution knows (catalog plus companiesdb import). */
  get attributedDomains(): number {
    return this.records.length;
  }

  /** Longest-suffix attribution; synchronous and allocation-free (the DNS hot path calls it). */
  attribution(): Attribution {
    const { index, companyCol, categoryCol, appCol, flagCol } = this;
    return {
      attribute(name: string, out: AttributionResult): boolean {
        const i = index.lookup(name);
        if (i < 0) {
          clearAttributionResult(out);
          return false;
        }
        out.companyId = companyCol[i] as number;
        out.categoryId = categoryCol[i] as number;
        out.appId = appCol[i] as number;
        const flags = flagCol[i] as number;
        out.tracking = (flags & FLAG_TRACKING) !== 0;
        out.dualUse = (flags & FLAG_DUAL_USE) !== 0;
        out.kind = ((flags >> KIND_SHIFT) & KIND_MASK) as NameKind;
        return true;
      },
    };
  }

  /** Attribution as objects, with the domain that matched (explain, API). */
  describe(name: string): NameDescription {
    const i = this.index.lookup(name.toLowerCase());
    const record = i >= 0 ? this.records[i] : undefined;
    if (!record) return { company: null, category: null, app: null, endpoint: null, matchedDomain: null };
    return {
      company: this.byId.company.get(record.companyId) ?? null,
      category: this.byId.category.get(record.categoryId) ?? null,
      app: this.byId.app.get(record.appId) ?? null,
      endpoint: this.endpointByDomain.get(record.domain) ?? null,
      matchedDomain: record.domain,
    };
  }

  /** Every domain attributed to a company (its own, its apps', its endpoints'): "block everything". */
  companyDomains(idOrKey: number | string): string[] {
    const company = this.company(idOrKey);
    if (!company) return [];
    return this.records.filter((r) => r.companyId === company.id).map((r) => r.domain);
  }

  /**
   * The catalog's `tracking` endpoints as an adblock-syntax list (`||domain^` blocks the domain and its
   * subdomains). Dual-use endpoints are left out: blocking them breaks the company's own app.
   * Line numbers in this text are what verdicts and explain refer to.
   */
  trackingListText(): string {
    if (this.trackingText === null) {
      const lines = [
        '! Title: tracksink tracker catalog (tracking endpoints)',
        '! Generated from blocklists/ of the tracksink project; each entry has its public source there.',
      ];
      for (const company of this.companies) {
        const endpoints = this.endpoints.filter((e) => e.companyKey === company.key && e.use === 'tracking');
        if (endpoints.length === 0) continue;
        lines.push(`! ${company.name}`);
        for (const endpoint of endpoints) lines.push(`||${endpoint.domain}^`);
      }
      this.trackingText = `${lines.join('\n')}\n`;
    }
    return this.trackingText;
  }

  /** Public DoH/DoT resolver names as an adblock list (for dns.blockPublicResolvers). */
  publicResolversListText(): string {
    const lines = ['! Title: tracksink public DoH/DoT resolvers'];
    for (const resolver of this.publicResolvers) lines.push(`||${resolver.domain}^`);
    return `${lines.join('\n')}\n`;
  }
}

function readYaml(path: string, root: string, problems: string[]): unknown {
  const file = relative(root, path) || path;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    problems.push(
      `${file}: cannot read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
    return undefined;
  }
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    for (const error of doc.errors) {
      const line = error.linePos?.[0]?.line;
      problems.push(
        `${file}${line ? `:${line}` : ''}: YAML error: ${error.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '')}`,
      );
    }
    return undefined;
  }
  return doc.toJS();
}

function sequentialIds(keys: readonly string[]): Map<string, number> {
  return new Map(keys.map((key, i) => [key, i + 1]));
}

/**
 * Reads and validates `dir` (default: the shipped `blocklists/`). Throws CatalogError listing every
 * problem (file, entry, field) when the catalog is malformed.
 */
export function loadCatalog(dir: string = blocklistsDir, options: LoadCatalogOptions = {}): Catalog {
  const problems: string[] = [];
  const root = join(dir, '..');
  const categoriesRaw: RawCategory[] = checkCategories(
    readYaml(join(dir, 'categories.yaml'), root, problems),
    relative(root, join(dir, 'categories.yaml')),
    problems,
  );
  const companiesRaw: RawCompany[] = [];
  let files: string[] = [];
  try {
    files = readdirSync(join(dir, 'companies'))
      .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
      .sort();
  } catch (error) {
    problems.push(
      `${relative(root, join(dir, 'companies'))}: cannot read the folder (${(error as Error).message})`,
    );
  }
  for (const name of files) {
    const path = join(dir, 'companies', name);
    const doc = readYaml(path, root, problems);
    if (doc === undefined) continue;
    const company = checkCompany(doc, relative(root, path), problems);
    if (company) companiesRaw.push(company);
  }
  const resolversRaw: RawResolver[] = checkResolvers(
    readYaml(join(dir, 'public-resolvers.yaml'), root, problems),
    relative(root, join(dir, 'public-resolvers.yaml')),
    problems,
  );
  checkCrossReferences(categoriesRaw, companiesRaw, problems);
  if (problems.length > 0) throw new CatalogError(problems);
  return assemble(categoriesRaw, companiesRaw, resolversRaw, options);
}

function assemble(
  categoriesRaw: RawCategory[],
  companiesRaw: RawCompany[],
  resolversRaw: RawResolver[],
  options: LoadCatalogOptions,
): Catalog {
  const companiesDb = options.companiesDb ?? null;
  const assign = (kind: 'company' | 'category' | 'app', keys: string[]): Map<string, number> =>
    options.ids ? options.ids.assign(kind, keys) : sequentialIds(keys);

  // Companies that only the companiesdb import knows get keys 'adguard:<id>'.
  const adguardToCompany = new Map<string, string>();
  for (const company of companiesRaw)
    for (const id of company.adguardCompanyIds) adguardToCompany.set(id, company.key);
  const importedCompanies = new Map<string, { name: string; website: string }>();
  const importedDomains: { domain: string; companyKey: string; categoryKey: string }[] = [];
  if (companiesDb) {
    for (const [domain, trackerId] of companiesDb.trackerDomains) {
      const tracker = companiesDb.trackers.get(trackerId);
      if (!tracker) continue;
      const sourceCompany = tracker.companyId ?? `tracker-${trackerId}`;
      let companyKey = tracker.companyId ? adguardToCompany.get(tracker.companyId) : undefined;
      if (!companyKey) {
        companyKey = `adguard:${sourceCompany}`;
        if (!importedCompanies.has(companyKey)) {
          const info = tracker.companyId ? companiesDb.companies.get(tracker.companyId) : undefined;
          importedCompanies.set(companyKey, {
            name: info?.name ?? tracker.name,
            website: info?.websiteUrl ?? tracker.url ?? '',
          });
        }
      }
      const categoryName = companiesDb.categories.get(tracker.categoryId) ?? 'misc';
      importedDomains.push({ domain, companyKey, categoryKey: COMPANIESDB_CATEGORY[categoryName] ?? 'misc' });
    }
  }

  const categoryIds = assign(
    'category',
    categoriesRaw.map((c) => c.key),
  );
  const companyKeys = [...companiesRaw.map((c) => c.key), ...[...importedCompanies.keys()].sort()];
  const companyIds = assign('company', companyKeys);
  const appIds = assign(
    'app',
    companiesRaw.flatMap((c) => c.apps.map((a) => a.key)),
  );
  const id = (ids: Map<string, number>, key: string): number => ids.get(key) ?? 0;

  const categories: CatalogCategory[] = categoriesRaw.map((c) => ({ ...c, id: id(categoryIds, c.key) }));
  const companies: CatalogCompany[] = companiesRaw.map((c) => ({
    id: id(companyIds, c.key),
    key: c.key,
    name: c.name,
    website: c.website,
    source: c.source,
    categoryKey: c.category,
    domains: c.domains,
    origin: 'catalog',
  }));
  for (const [key, info] of importedCompanies) {
    companies.push({
      id: id(companyIds, key),
      key,
      name: info.name,
      website: info.website,
      source: 'https://github.com/AdguardTeam/companiesdb',
      categoryKey: 'misc',
      domains: [],
      origin: 'companiesdb',
    });
  }
  const apps: CatalogApp[] = companiesRaw.flatMap((c) =>
    c.apps.map((a) => ({
      id: id(appIds, a.key),
      key: a.key,
      name: a.name,
      companyKey: c.key,
      categoryKey: a.category,
      domains: a.domains,
      source: a.source,
    })),
  );
  const endpoints: CatalogEndpoint[] = companiesRaw.flatMap((c) =>
    c.endpoints.map((e) => ({
      domain: e.domain,
      use: e.use,
      companyKey: c.key,
      categoryKey: e.category,
      appKey: e.app,
      what: e.what,
      source: e.source,
    })),
  );

  const records: AttributionRecord[] = [];
  const curated = new Set<string>();
  const add = (
    domain: string,
    companyKey: string,
    categoryKey: string,
    appKey: string | null,
    use: string | null,
  ): void => {
    curated.add(domain);
    records.push({
      domain,
      companyId: id(companyIds, companyKey),
      categoryId: id(categoryIds, categoryKey),
      appId: appKey ? id(appIds, appKey) : 0,
      // Both kinds are tracking endpoints; only `tracking` ones are safe to block.
      tracking: use === 'tracking' || use === 'dual-use',
      dualUse: use === 'dual-use',
      // Endpoints are trackers; a company's or app's own domains are services it offers.
      kind: use === null ? NameKind.service : NameKind.tracker,
    });
  };
  for (const c of companiesRaw) {
    for (const domain of c.domains) add(domain, c.key, c.category, null, null);
    for (const a of c.apps) for (const domain of a.domains) add(domain, c.key, a.category, a.key, null);
    for (const e of c.endpoints) add(e.domain, c.key, e.category, e.app, e.use);
  }
  // The import widens coverage but never overrides what the catalog says about the same domain, and
  // never marks anything as blockable: it only attributes.
  for (const d of importedDomains) {
    if (curated.has(d.domain)) continue;
    records.push({
      domain: d.domain,
      companyId: id(companyIds, d.companyKey),
      categoryId: id(categoryIds, d.categoryKey),
      appId: 0,
      tracking: false,
      dualUse: false,
      kind: TRACKER_CATEGORY_KEYS.has(d.categoryKey) ? NameKind.tracker : NameKind.service,
    });
  }

  return new Catalog({
    categories,
    companies,
    apps,
    endpoints,
    publicResolvers: resolversRaw.map((r) => ({ ...r })),
    records,
    companiesDbInfo: companiesDb
      ? {
          attribution: COMPANIESDB_ATTRIBUTION,
          licence: COMPANIESDB_LICENCE,
          timeUpdated: companiesDb.timeUpdated,
          trackers: companiesDb.trackers.size,
          domains: companiesDb.trackerDomains.size,
          companies: companiesDb.companies.size,
        }
      : null,
  });
}
