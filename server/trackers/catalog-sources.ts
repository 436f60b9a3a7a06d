/**
 * Reads and validates the curated catalog's YAML files (`blocklists/`): categories, companies, public
 * resolvers, shared infrastructure, the tracker database's brand overrides and curated hosts. The result
 * is plain data (JSON-safe): loadCatalog assembles it, and the build stores it prebuilt (prebuilt.ts) so a
 * start need not parse YAML again (issue 16: the YAML parse was most of the catalog's start-up CPU).
 */
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import {
  type RawCategory,
  type RawCompany,
  type RawResolver,
  checkCategories,
  checkCompany,
  checkCrossReferences,
  checkResolvers,
} from './catalog-schema.js';
import {
  type RawBrand,
  type RawHost,
  type RawShared,
  checkBrands,
  checkHosts,
  checkShared,
  checkTrackerDbReferences,
} from './trackerdb-schema.js';
import { type YamlFile, readYamlFile } from './yaml-file.js';

/** A company file's content without its line finder (the assembled catalog needs only the data). */
export type CompanySource = Omit<RawCompany, 'at'>;

export interface CatalogSources {
  categories: RawCategory[];
  companies: CompanySource[];
  resolvers: RawResolver[];
  shared: RawShared[];
  brands: RawBrand[];
  hosts: RawHost[];
  /** Line of each curated domain in its company file (`file` → domain → line), for record sources. */
  domainLines: Record<string, Record<string, number>>;
}

function yamlFiles(folder: string): string[] {
  return readdirSync(folder)
    .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
    .sort();
}

/**
 * The YAML files the curated catalog is made of, in reading order (the prebuilt copy's freshness is a
 * hash over them). A missing companies folder gives no company files (reading reports it).
 */
export function catalogSourceFiles(dir: string): string[] {
  let companies: string[] = [];
  try {
    companies = yamlFiles(join(dir, 'companies')).map((name) => join(dir, 'companies', name));
  } catch {
    // reported by readCatalogSources
  }
  return [
    join(dir, 'categories.yaml'),
    ...companies,
    join(dir, 'public-resolvers.yaml'),
    join(dir, 'shared-infrastructure.yaml'),
    join(dir, 'trackerdb', 'overrides.yaml'),
    join(dir, 'trackerdb', 'hosts.yaml'),
  ];
}

/**
 * Reads and checks every curated file of `dir`. Problems (file, line, entry, field) are appended to
 * `problems`; what could be read is returned either way.
 */
export function readCatalogSources(dir: string, problems: string[]): CatalogSources {
  const root = join(dir, '..');
  const read = (path: string): YamlFile | undefined => readYamlFile(path, root, problems);
  const categoriesYaml = read(join(dir, 'categories.yaml'));
  const categories = categoriesYaml ? checkCategories(categoriesYaml.doc, categoriesYaml.file, problems) : [];
  const companies: RawCompany[] = [];
  const domainLines: Record<string, Record<string, number>> = {};
  let files: string[] = [];
  try {
    files = yamlFiles(join(dir, 'companies'));
  } catch (error) {
    problems.push(
      `${relative(root, join(dir, 'companies'))}: cannot read the folder (${(error as Error).message})`,
    );
  }
  for (const name of files) {
    const yaml = read(join(dir, 'companies', name));
    if (!yaml) continue;
    const company = checkCompany(yaml.doc, yaml.file, problems, yaml);
    if (!company) continue;
    companies.push(company);
    const lines: Record<string, number> = {};
    const domains = [
      ...company.domains,
      ...company.apps.flatMap((a) => a.domains),
      ...company.endpoints.map((e) => e.domain),
    ];
    for (const domain of domains) {
      const line = yaml.valueLine(domain);
      if (line !== null) lines[domain] = line;
    }
    domainLines[yaml.file] = lines;
  }
  const resolversYaml = read(join(dir, 'public-resolvers.yaml'));
  const resolvers = resolversYaml ? checkResolvers(resolversYaml.doc, resolversYaml.file, problems) : [];
  const sharedYaml = read(join(dir, 'shared-infrastructure.yaml'));
  const shared = sharedYaml ? checkShared(sharedYaml, problems) : [];
  const brandsYaml = read(join(dir, 'trackerdb', 'overrides.yaml'));
  const brands = brandsYaml ? checkBrands(brandsYaml, problems) : [];
  const hostsYaml = read(join(dir, 'trackerdb', 'hosts.yaml'));
  const hosts = hostsYaml ? checkHosts(hostsYaml, problems) : [];
  checkCrossReferences(categories, companies, problems);
  checkTrackerDbReferences(
    brands,
    hosts,
    new Set(companies.map((c) => c.key)),
    new Set(categories.map((c) => c.key)),
    problems,
  );
  return {
    categories,
    // Plain data: the line finder stays behind (checks above were its only user).
    companies: companies.map(({ at: _at, ...company }) => company),
    resolvers,
    shared,
    brands,
    hosts,
    domainLines,
  };
}
