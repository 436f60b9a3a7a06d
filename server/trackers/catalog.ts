/**
 * Loads the project's own tracker catalog (`blocklists/`), validates it, gives every company, category
 * and app a stable numeric id, and answers the two questions the server asks of it: "who is behind this
 * name?" (attribution, by longest-suffix match over every known domain, on the DNS hot path) and "which
 * names are safe to block?" (the catalog's `tracking` endpoints, rendered as a list the filter parses).
 */
import { join } from 'node:path';
import { blocklistsDir } from '../paths.js';
import { type Attribution, type AttributionResult, NameKind, clearAttributionResult } from './attribution.js';
import { type AttributionRecord, assembleCatalog } from './catalog-assemble.js';
import { CatalogError } from './catalog-error.js';
import { type CatalogSources, catalogSourceFiles, readCatalogSources } from './catalog-sources.js';
import type {
  CatalogApp,
  CatalogCategory,
  CatalogCompany,
  CatalogEndpoint,
  CatalogIdStore,
  CompaniesDbInfo,
  PublicResolver,
} from './catalog-types.js';
import {
  COMPANIESDB_ATTRIBUTION,
  COMPANIESDB_LICENCE,
  type CompaniesDb,
  CompaniesDbError,
  loadShippedCompaniesDb,
} from './companiesdb.js';
import { readPrebuilt } from './prebuilt.js';
import { NO_VALUE, SUFFIX_EXACT, SUFFIX_SHARED, SuffixIndex } from './suffix-index.js';

export { CatalogError } from './catalog-error.js';
export type * from './catalog-types.js';

export interface LoadCatalogOptions {
  /** Stable ids from tracksink.db; without it ids follow file order (stable while the files are). */
  ids?: CatalogIdStore;
  /**
   * The AdGuard companies database that widens attribution. Not given: the shipped copy
   * (blocklists/trackerdb/companiesdb.json). Null: none (the curated catalog alone).
   */
  companiesDb?: CompaniesDb | null;
  /**
   * Use the build's prebuilt sources (prebuilt.ts) when they were made from exactly these files (the
   * default); false reads and checks the YAML every time.
   */
  prebuilt?: boolean;
  /** Where the prebuilt files are (default: dist/catalog/). */
  prebuiltDir?: string;
}

/** Name of the curated sources' prebuilt form in dist/catalog/ (cli/build-catalog.ts writes it). */
export const CATALOG_PREBUILT = 'catalog-sources.json';

/** Everything attribution says about a name, as objects (for explain and the API; allocates). */
export interface NameDescription {
  company: CatalogCompany | null;
  category: CatalogCategory | null;
  app: CatalogApp | null;
  endpoint: CatalogEndpoint | null;
  /** The known domain that matched (the longest suffix of the name, or exactly the name). */
  matchedDomain: string | null;
  /** Where the fact comes from: `file:line` of the curated catalog, or the database entry. */
  source: string | null;
  /** The company's current owner when it differs from its name (e.g. "AppLovin"), else null. */
  owner: string | null;
  /** Tracker endpoint, service or unknown. */
  kind: NameKind;
}

const FLAG_TRACKING = 1;
const FLAG_DUAL_USE = 2;
/** Bits 2–3 of the flag column hold the NameKind. */
const KIND_SHIFT = 2;
const KIND_MASK = 3;

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
    /** Shared-infrastructure domains: no suffix match through them (see suffix-index.ts). */
    shared: readonly string[];
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
    this.index = new SuffixIndex([
      ...parts.records.map((r, i) => [r.domain, i, r.exact ? SUFFIX_EXACT : 0] as const),
      ...parts.shared.map((domain) => [domain, NO_VALUE, SUFFIX_SHARED] as const),
    ]);
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
    return columnAttribution({ index, companyCol, categoryCol, appCol, flagCol });
  }

  /** Attribution as objects, with the domain that matched (explain, API). */
  describe(name: string): NameDescription {
    const i = this.index.lookup(name.toLowerCase());
    const record = i >= 0 ? this.records[i] : undefined;
    if (!record) {
      return {
        company: null,
        category: null,
        app: null,
        endpoint: null,
        matchedDomain: null,
        source: null,
        owner: null,
        kind: NameKind.unknown,
      };
    }
    const company = this.byId.company.get(record.companyId) ?? null;
    return {
      company,
      category: this.byId.category.get(record.categoryId) ?? null,
      app: this.byId.app.get(record.appId) ?? null,
      endpoint: this.endpointByDomain.get(record.domain) ?? null,
      matchedDomain: record.domain,
      source: record.source,
      owner: company?.owner ?? null,
      kind: record.kind,
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

function sequentialIds(keys: readonly string[]): Map<string, number> {
  return new Map(keys.map((key, i) => [key, i + 1]));
}

/**
 * Reads and validates `dir` (default: the shipped `blocklists/`): categories, companies, public
 * resolvers, shared infrastructure, the tracker database's brand overrides and curated hosts, and
 * (unless given) the shipped tracker database. Throws CatalogError listing every problem (file, line,
 * entry, field) when anything is malformed. The build's prebuilt copy of these (already checked) is used
 * instead while it was made from exactly the files there.
 */
export function loadCatalog(dir: string = blocklistsDir, options: LoadCatalogOptions = {}): Catalog {
  const problems: string[] = [];
  const root = join(dir, '..');
  const sources =
    (options.prebuilt === false
      ? null
      : readPrebuilt<CatalogSources>(CATALOG_PREBUILT, catalogSourceFiles(dir), root, options.prebuiltDir)) ??
    readCatalogSources(dir, problems);
  let companiesDb: CompaniesDb | null = options.companiesDb ?? null;
  if (options.companiesDb === undefined) {
    try {
      companiesDb = loadShippedCompaniesDb(join(dir, 'trackerdb', 'companiesdb.json'), options);
    } catch (error) {
      if (!(error instanceof CompaniesDbError)) throw error;
      problems.push(error.message);
    }
  }
  if (problems.length > 0) throw new CatalogError(problems);

  const assembled = assembleCatalog({
    ...sources,
    companiesDb,
    lineOf: (file, value) => sources.domainLines[file]?.[value] ?? null,
    assign: (kind, keys) => (options.ids ? options.ids.assign(kind, keys) : sequentialIds(keys)),
  });
  return new Catalog({
    ...assembled,
    publicResolvers: sources.resolvers.map((r) => ({ ...r })),
    companiesDbInfo: companiesDb
      ? {
          attribution: COMPANIESDB_ATTRIBUTION,
          licence: COMPANIESDB_LICENCE,
          timeUpdated: companiesDb.timeUpdated,
          origin: companiesDb.origin,
          problem: companiesDb.problem,
          trackers: companiesDb.trackers.size,
          domains: companiesDb.trackerDomains.size,
          companies: companiesDb.companies.size,
        }
      : null,
  });
}

/**
 * The hot-path attribution over the catalog's columns. `portable` carries the same columns so a DNS worker
 * thread (dns/workers/) can receive them by postMessage and rebuild it with attributionFromPortable().
 */
function columnAttribution(columns: PortableAttribution): Attribution & { portable: PortableAttribution } {
  const { index, companyCol, categoryCol, appCol, flagCol } = columns;
  return {
    portable: columns,
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

/** The catalog's attribution columns: typed arrays and a SuffixIndex, all structured-cloneable. */
export interface PortableAttribution {
  index: SuffixIndex;
  companyCol: Int32Array;
  categoryCol: Int32Array;
  appCol: Int32Array;
  flagCol: Uint8Array;
}

/** Rebuilds an Attribution from columns that crossed a thread (the index comes back as a plain object). */
export function attributionFromPortable(columns: PortableAttribution): Attribution {
  Object.setPrototypeOf(columns.index, SuffixIndex.prototype);
  return columnAttribution(columns);
}
