/**
 * Schema check of the files that merge the AdGuard companies database into the curated catalog
 * (`blocklists/trackerdb/overrides.yaml`, `blocklists/trackerdb/hosts.yaml`) and of the
 * shared-infrastructure list (`blocklists/shared-infrastructure.yaml`). Every problem names the file,
 * the line, the entry and the field; every entry must carry a public source.
 */
import { Checker, KEY, KEY_HINT, SOURCE, SOURCE_HINT } from './catalog-schema.js';
import type { YamlFile } from './yaml-file.js';

/**
 * A brand people know, mapped from companiesdb trackers/companies. Without `name` the entry is a link:
 * it maps more ids to a company of the curated catalog or to a brand named elsewhere in the file.
 */
export interface RawBrand {
  key: string;
  /** Null: `key` is a company of the curated catalog, and this entry only links companiesdb ids to it. */
  name: string | null;
  owner: string | null;
  website: string | null;
  /** Forces the tracksink category of the domains of the trackers listed in `trackers` (else derived from companiesdb). */
  category: string | null;
  trackers: string[];
  companies: string[];
  source: string;
  /** `file:line` of the entry. */
  at: string;
}

/** A curated host (attribution only: it never makes the policy block a name). */
export interface RawHost {
  domain: string;
  company: string;
  category: string;
  /** Only the exact name, not its subdomains. */
  exact: boolean;
  what: string;
  source: string;
  at: string;
}

export interface RawShared {
  domain: string;
  operator: string;
  source: string;
  at: string;
}

function entries(
  yaml: YamlFile,
  listKey: string,
  problems: string[],
  each: (obj: Record<string, unknown>, at: Checker, where: string) => void,
): void {
  const top = new Checker(problems, yaml.file).object(yaml.doc, 'the file');
  if (!top) return;
  const check = new Checker(problems, yaml.file);
  check.unknownFields(top, [listKey]);
  check.list(top, listKey, false).forEach((entry, index) => {
    const line = yaml.itemLine(listKey, index);
    const name =
      (entry as Record<string, unknown> | null)?.['key'] ??
      (entry as Record<string, unknown> | null)?.['domain'];
    const where = `${yaml.file}${line ? `:${line}` : ''}`;
    const at = new Checker(
      problems,
      `${where}: ${listKey}[${index}]${typeof name === 'string' ? ` (${name})` : ''}`,
    );
    const obj = at.object(entry, 'an entry');
    if (obj) each(obj, at, where);
  });
}

export function checkBrands(yaml: YamlFile, problems: string[]): RawBrand[] {
  const out: RawBrand[] = [];
  entries(yaml, 'brands', problems, (obj, at, where) => {
    at.unknownFields(obj, ['key', 'name', 'owner', 'website', 'category', 'trackers', 'companies', 'source']);
    const trackers = at.keys(obj, 'trackers');
    const companies = at.keys(obj, 'companies');
    if (!obj['name'] && trackers.length === 0 && companies.length === 0)
      at.problem(
        'trackers',
        'or companies must name at least one companiesdb id (a link without them does nothing)',
      );
    out.push({
      key: at.string(obj, 'key', { pattern: KEY, hint: KEY_HINT }),
      name: at.string(obj, 'name', { optional: true }) || null,
      owner: at.string(obj, 'owner', { optional: true }) || null,
      website:
        at.string(obj, 'website', { optional: true, pattern: SOURCE, hint: 'must be an http(s) URL' }) ||
        null,
      category: at.string(obj, 'category', { optional: true, pattern: KEY, hint: KEY_HINT }) || null,
      trackers,
      companies,
      source: at.string(obj, 'source', { pattern: SOURCE, hint: SOURCE_HINT }),
      at: where,
    });
  });
  return out;
}

export function checkHosts(yaml: YamlFile, problems: string[]): RawHost[] {
  const out: RawHost[] = [];
  entries(yaml, 'hosts', problems, (obj, at, where) => {
    at.unknownFields(obj, ['domain', 'company', 'category', 'exact', 'what', 'source']);
    out.push({
      domain: at.domain(obj, 'domain'),
      company: at.string(obj, 'company', { pattern: KEY, hint: KEY_HINT }),
      category: at.string(obj, 'category', { pattern: KEY, hint: KEY_HINT }),
      exact: at.boolean(obj, 'exact', false),
      what: at.string(obj, 'what', { optional: true }),
      source: at.string(obj, 'source', { pattern: SOURCE, hint: SOURCE_HINT }),
      at: where,
    });
  });
  return out;
}

export function checkShared(yaml: YamlFile, problems: string[]): RawShared[] {
  const out: RawShared[] = [];
  entries(yaml, 'shared', problems, (obj, at, where) => {
    at.unknownFields(obj, ['domain', 'operator', 'what', 'source']);
    out.push({
      domain: at.domain(obj, 'domain'),
      operator: at.string(obj, 'operator'),
      source: at.string(obj, 'source', { pattern: SOURCE, hint: SOURCE_HINT }),
      at: where,
    });
  });
  return out;
}

/**
 * Cross-file checks: brand keys unique and not clashing with catalog companies unless they only link;
 * hosts name a known company and category, and no host is described twice.
 */
export function checkTrackerDbReferences(
  brands: readonly RawBrand[],
  hosts: readonly RawHost[],
  catalogCompanies: ReadonlySet<string>,
  categories: ReadonlySet<string>,
  problems: string[],
): void {
  const brandKeys = new Map<string, string>();
  for (const brand of brands) {
    if (!brand.name) continue;
    const where = `${brand.at}: brands (${brand.key})`;
    const previous = brandKeys.get(brand.key);
    if (previous) problems.push(`${where}: brand '${brand.key}' is already named at ${previous}`);
    brandKeys.set(brand.key, brand.at);
    if (catalogCompanies.has(brand.key))
      problems.push(
        `${where}: '${brand.key}' is a catalog company: a link names no 'name' (set it in its file)`,
      );
  }
  for (const brand of brands) {
    const where = `${brand.at}: brands (${brand.key})`;
    if (!brand.name && !catalogCompanies.has(brand.key) && !brandKeys.has(brand.key))
      problems.push(
        `${where}: field 'name' is required (no catalog company or named brand has key '${brand.key}')`,
      );
    if (brand.category && categories.size > 0 && !categories.has(brand.category))
      problems.push(`${where}: field 'category' names unknown category '${brand.category}'`);
  }
  const seen = new Map<string, string>();
  for (const host of hosts) {
    const where = `${host.at}: hosts (${host.domain})`;
    if (seen.has(host.domain))
      problems.push(`${where}: domain '${host.domain}' is already described at ${seen.get(host.domain)}`);
    seen.set(host.domain, host.at);
    if (host.company && !catalogCompanies.has(host.company) && !brandKeys.has(host.company))
      problems.push(
        `${where}: field 'company' names '${host.company}', which is neither a catalog company nor a brand`,
      );
    if (host.category && categories.size > 0 && !categories.has(host.category))
      problems.push(`${where}: field 'category' names unknown category '${host.category}'`);
  }
}
