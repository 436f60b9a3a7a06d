/**
 * Builds the attribution records of the catalog from its sources, in order of authority:
 *
 * 1. the curated company files (`blocklists/companies/*.yaml`): their domains, apps and endpoints;
 * 2. curated hosts (`blocklists/trackerdb/hosts.yaml`): SDK and tracker hosts the database lacks or
 *    gets wrong (attribution only);
 * 3. the AdGuard companies database (shipped copy or a refreshed one), with its trackers and companies
 *    renamed to the brand people know and their current owner (`blocklists/trackerdb/overrides.yaml`).
 *
 * A domain is described by the first source that knows it. Only curated endpoints are ever blockable;
 * the database only attributes. Shared infrastructure (`blocklists/shared-infrastructure.yaml`) is
 * marked so a suffix match never names a third party's subdomain after the cloud.
 */
import { NameKind } from './attribution.js';
import type { RawCategory, RawCompany } from './catalog-schema.js';
import type { CatalogApp, CatalogCategory, CatalogCompany, CatalogEndpoint } from './catalog-types.js';
import type { CompaniesDb } from './companiesdb.js';
import type { RawBrand, RawHost, RawShared } from './trackerdb-schema.js';

/** One known domain and what it says; `source` is where the fact comes from (for explain). */
export interface AttributionRecord {
  domain: string;
  companyId: number;
  categoryId: number;
  appId: number;
  tracking: boolean;
  dualUse: boolean;
  kind: NameKind;
  /** Matches only the exact name (not its subdomains). */
  exact: boolean;
  /** `file:line` of a curated fact, or the database entry (plus the override that renamed it). */
  source: string;
}

/**
 * AdGuard companiesdb category → tracksink category and kind. Documented in blocklists/trackerdb/README.md.
 * Trackers: advertising, analytics, telemetry. Services: a site's own infrastructure or a product the
 * household uses (CDN, hosting, players, chat widgets, mail, comments, social networks, consent banners).
 * Unknown: misc, unknown, extensions (the database does not say what the name does).
 */
export const COMPANIESDB_CATEGORY: Record<string, { category: string; kind: NameKind }> = {
  advertising: { category: 'advertising', kind: NameKind.tracker },
  pornvertising: { category: 'advertising', kind: NameKind.tracker },
  site_analytics: { category: 'analytics', kind: NameKind.tracker },
  mobile_analytics: { category: 'analytics', kind: NameKind.tracker },
  telemetry: { category: 'telemetry', kind: NameKind.tracker },
  social_media: { category: 'social', kind: NameKind.service },
  comments: { category: 'social', kind: NameKind.service },
  customer_interaction: { category: 'customer-support', kind: NameKind.service },
  consent: { category: 'consent', kind: NameKind.service },
  email: { category: 'productivity', kind: NameKind.service },
  audio_video_player: { category: 'video', kind: NameKind.service },
  cdn: { category: 'platform', kind: NameKind.service },
  hosting: { category: 'platform', kind: NameKind.service },
  essential: { category: 'platform', kind: NameKind.service },
  misc: { category: 'misc', kind: NameKind.unknown },
  unknown: { category: 'misc', kind: NameKind.unknown },
  extensions: { category: 'misc', kind: NameKind.unknown },
};

export const COMPANIESDB_SOURCE = 'https://github.com/AdguardTeam/companiesdb';

export interface AssembleInput {
  categories: RawCategory[];
  /** The company files' data (the line finder is not needed here). */
  companies: Array<Omit<RawCompany, 'at'>>;
  brands: RawBrand[];
  hosts: RawHost[];
  shared: RawShared[];
  companiesDb: CompaniesDb | null;
  /** Line of a value in a curated company file (for record sources). */
  lineOf: (file: string, value: string) => number | null;
  assign: (kind: 'company' | 'category' | 'app', keys: string[]) => Map<string, number>;
}

export interface Assembled {
  categories: CatalogCategory[];
  companies: CatalogCompany[];
  apps: CatalogApp[];
  endpoints: CatalogEndpoint[];
  records: AttributionRecord[];
  shared: string[];
}

interface ImportedCompany {
  name: string;
  website: string;
  owner: string | null;
  source: string;
  category: string;
  origin: CatalogCompany['origin'];
}

export function assembleCatalog(input: AssembleInput): Assembled {
  const { companiesDb } = input;
  const catalogKeys = new Set(input.companies.map((c) => c.key));
  const categoryTracking = new Map(input.categories.map((c) => [c.key, c.tracking]));

  // companiesdb ids → company key: brands by tracker first, then brands and catalog files by company.
  const byTracker = new Map<string, RawBrand>();
  const byCompany = new Map<string, { key: string; brand: RawBrand | null }>();
  for (const company of input.companies)
    for (const id of company.adguardCompanyIds) byCompany.set(id, { key: company.key, brand: null });
  for (const brand of input.brands) {
    for (const id of brand.trackers) byTracker.set(id, brand);
    for (const id of brand.companies) byCompany.set(id, { key: brand.key, brand });
  }

  const extraCompanies = new Map<string, ImportedCompany>();
  for (const brand of input.brands) {
    if (catalogKeys.has(brand.key) || !brand.name) continue;
    extraCompanies.set(brand.key, {
      name: brand.name,
      owner: brand.owner,
      website: brand.website ?? '',
      source: brand.source,
      category: brand.category ?? 'misc',
      origin: 'catalog',
    });
  }

  interface Imported {
    domain: string;
    companyKey: string;
    category: string;
    kind: NameKind;
    source: string;
  }
  const imported: Imported[] = [];
  if (companiesDb) {
    for (const [domain, trackerId] of companiesDb.trackerDomains) {
      const tracker = companiesDb.trackers.get(trackerId);
      if (!tracker) continue;
      const brand = byTracker.get(trackerId);
      const linked = tracker.companyId ? byCompany.get(tracker.companyId) : undefined;
      let companyKey = brand?.key ?? linked?.key;
      const override = brand ?? linked?.brand ?? null;
      if (!companyKey) {
        companyKey = `adguard:${tracker.companyId ?? `tracker-${trackerId}`}`;
        if (!extraCompanies.has(companyKey)) {
          const info = tracker.companyId ? companiesDb.companies.get(tracker.companyId) : undefined;
          extraCompanies.set(companyKey, {
            name: info?.name ?? tracker.name,
            owner: null,
            website: info?.websiteUrl ?? tracker.url ?? '',
            source: COMPANIESDB_SOURCE,
            category: 'misc',
            origin: 'companiesdb',
          });
        }
      }
      const mapped = COMPANIESDB_CATEGORY[companiesDb.categories.get(tracker.categoryId) ?? 'misc'] ?? {
        category: 'misc',
        kind: NameKind.unknown,
      };
      // A forced category applies to trackers named one by one, not to a whole company's trackers.
      const forced = brand?.category ?? null;
      imported.push({
        domain,
        companyKey,
        category: forced ?? mapped.category,
        kind: forced ? kindOf(forced, categoryTracking) : mapped.kind,
        source:
          `AdGuard companiesdb (CC BY-SA 4.0), tracker '${trackerId}' (${tracker.name})` +
          (override ? `; brand and owner: ${override.at}` : ''),
      });
    }
  }

  const categoryIds = input.assign(
    'category',
    input.categories.map((c) => c.key),
  );
  const companyIds = input.assign('company', [
    ...input.companies.map((c) => c.key),
    ...[...extraCompanies.keys()].sort(),
  ]);
  const appIds = input.assign(
    'app',
    input.companies.flatMap((c) => c.apps.map((a) => a.key)),
  );
  const id = (ids: Map<string, number>, key: string): number => ids.get(key) ?? 0;

  const categories: CatalogCategory[] = input.categories.map((c) => ({ ...c, id: id(categoryIds, c.key) }));
  const companies: CatalogCompany[] = input.companies.map((c) => ({
    id: id(companyIds, c.key),
    key: c.key,
    name: c.name,
    owner: c.owner,
    website: c.website,
    source: c.source,
    categoryKey: c.category,
    domains: c.domains,
    origin: 'catalog',
  }));
  for (const [key, info] of extraCompanies) {
    companies.push({
      id: id(companyIds, key),
      key,
      name: info.name,
      owner: info.owner,
      website: info.website,
      source: info.source,
      categoryKey: info.category,
      domains: [],
      origin: info.origin,
    });
  }
  const apps: CatalogApp[] = input.companies.flatMap((c) =>
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
  const endpoints: CatalogEndpoint[] = input.companies.flatMap((c) =>
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
  const known = new Set<string>();
  const curated = (
    c: Omit<RawCompany, 'at'>,
    domain: string,
    categoryKey: string,
    appKey: string | null,
    use: string | null,
  ): void => {
    known.add(domain);
    const line = input.lineOf(c.file, domain);
    records.push({
      domain,
      companyId: id(companyIds, c.key),
      categoryId: id(categoryIds, categoryKey),
      appId: appKey ? id(appIds, appKey) : 0,
      // Both kinds are tracking endpoints; only `tracking` ones are safe to block.
      tracking: use === 'tracking' || use === 'dual-use',
      dualUse: use === 'dual-use',
      // Endpoints are trackers; a company's or app's own domains are services it offers.
      kind: use === null ? NameKind.service : NameKind.tracker,
      exact: false,
      source: `${c.file}${line ? `:${line}` : ''}`,
    });
  };
  for (const c of input.companies) {
    for (const domain of c.domains) curated(c, domain, c.category, null, null);
    for (const a of c.apps) for (const domain of a.domains) curated(c, domain, a.category, a.key, null);
    for (const e of c.endpoints) curated(c, e.domain, e.category, e.app, e.use);
  }
  // Curated hosts and the database widen coverage but never override the company files, and never
  // mark anything as blockable: they only attribute.
  for (const h of input.hosts) {
    if (known.has(h.domain)) continue;
    known.add(h.domain);
    records.push({
      domain: h.domain,
      companyId: id(companyIds, h.company),
      categoryId: id(categoryIds, h.category),
      appId: 0,
      tracking: false,
      dualUse: false,
      kind: kindOf(h.category, categoryTracking),
      exact: h.exact,
      source: h.at,
    });
  }
  for (const d of imported) {
    if (known.has(d.domain)) continue;
    records.push({
      domain: d.domain,
      companyId: id(companyIds, d.companyKey),
      categoryId: id(categoryIds, d.category),
      appId: 0,
      tracking: false,
      dualUse: false,
      kind: d.kind,
      exact: false,
      source: d.source,
    });
  }
  return { categories, companies, apps, endpoints, records, shared: input.shared.map((s) => s.domain) };
}

/** A curated category's kind: its purpose is following people → tracker, else a service. */
function kindOf(category: string, tracking: ReadonlyMap<string, boolean>): NameKind {
  return tracking.get(category) ? NameKind.tracker : NameKind.service;
}
