/**
 * Schema check of the catalog's YAML files. Every problem is collected (not just the first) and names
 * the file, the entry (index and key or domain) and the field, so a contributor can fix a file in one go.
 */
import type { EndpointUse } from './catalog-types.js';

export interface RawCategory {
  key: string;
  name: string;
  tracking: boolean;
  description: string;
}

export interface RawApp {
  key: string;
  name: string;
  category: string;
  domains: string[];
  source: string;
}

export interface RawEndpoint {
  domain: string;
  use: EndpointUse;
  category: string;
  app: string | null;
  what: string;
  source: string;
}

export interface RawCompany {
  file: string;
  key: string;
  name: string;
  website: string;
  /** Display name of the current owner when it is not the company itself (acquisitions), else null. */
  owner: string | null;
  source: string;
  category: string;
  adguardCompanyIds: string[];
  domains: string[];
  apps: RawApp[];
  endpoints: RawEndpoint[];
  /** `file:line` of a top-level field or of item `index` of a top-level list (just `file` when unknown). */
  at(field: string, index?: number): string;
}

/** Where things are in a YAML file (yaml-file.ts implements it). */
export interface LineLookup {
  keyLine(key: string): number | null;
  itemLine(key: string, index: number): number | null;
}

export interface RawResolver {
  domain: string;
  operator: string;
  source: string;
}

export const KEY = /^[a-z0-9][a-z0-9-]*$/;
const LABEL = /^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/;
export const SOURCE = /^https?:\/\/[^\s/]+\.[^\s]+$/;

/** A domain as the catalog accepts it: lower case, at least two labels, no wildcard, no trailing dot. */
export function isCatalogDomain(value: string): boolean {
  if (value.length > 253 || !value.includes('.')) return false;
  return value.split('.').every((label) => LABEL.test(label));
}

type Obj = Record<string, unknown>;

/** Field readers that record a problem and return a safe placeholder, so checking goes on. */
export class Checker {
  constructor(
    private readonly problems: string[],
    private readonly where: string,
    /** Line of a top-level field in the file (so a problem can say `file:line`), when known. */
    private readonly fieldLine?: (field: string) => number | null,
  ) {}

  /** A checker for one entry; `line` (where the entry starts) goes right after the file name. */
  at(where: string, line: number | null = null): Checker {
    return new Checker(this.problems, `${this.where}${line ? `:${line}` : ''}: ${where}`);
  }

  problem(field: string, message: string): void {
    const line = this.fieldLine?.(field.replace(/\[.*$/, '')) ?? null;
    this.problems.push(`${this.where}${line ? `:${line}` : ''}: field '${field}' ${message}`);
  }

  object(value: unknown, what: string): Obj | null {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      this.problems.push(`${this.where}: ${what} must be a mapping, got ${describe(value)}`);
      return null;
    }
    return value as Obj;
  }

  unknownFields(obj: Obj, allowed: readonly string[]): void {
    for (const field of Object.keys(obj)) {
      if (!allowed.includes(field))
        this.problem(field, `is not a known field (known: ${allowed.join(', ')})`);
    }
  }

  string(
    obj: Obj,
    field: string,
    options: { pattern?: RegExp; hint?: string; optional?: boolean } = {},
  ): string {
    const value = obj[field];
    if (value === undefined && options.optional) return '';
    if (typeof value !== 'string' || value.trim() === '') {
      this.problem(field, `must be a non-empty string, got ${describe(value)}`);
      return '';
    }
    if (options.pattern && !options.pattern.test(value)) {
      this.problem(field, `${options.hint ?? `must match ${options.pattern}`}, got ${JSON.stringify(value)}`);
    }
    return value;
  }

  boolean(obj: Obj, field: string, fallback: boolean): boolean {
    const value = obj[field];
    if (value === undefined) return fallback;
    if (typeof value !== 'boolean') {
      this.problem(field, `must be true or false, got ${describe(value)}`);
      return fallback;
    }
    return value;
  }

  domain(obj: Obj, field: string): string {
    const value = this.string(obj, field);
    if (value && !isCatalogDomain(value)) {
      this.problem(
        field,
        `must be a lower-case domain with at least two labels, got ${JSON.stringify(value)}`,
      );
    }
    return value;
  }

  list(obj: Obj, field: string, optional = true): unknown[] {
    const value = obj[field];
    if (value === undefined || value === null) {
      if (!optional) this.problem(field, 'is required (a list)');
      return [];
    }
    if (!Array.isArray(value)) {
      this.problem(field, `must be a list, got ${describe(value)}`);
      return [];
    }
    return value;
  }

  domains(obj: Obj, field: string): string[] {
    const out: string[] = [];
    this.list(obj, field).forEach((value, index) => {
      if (typeof value !== 'string' || !isCatalogDomain(value)) {
        this.problem(`${field}[${index}]`, `must be a lower-case domain, got ${describe(value)}`);
      } else out.push(value);
    });
    return out;
  }

  keys(obj: Obj, field: string): string[] {
    const out: string[] = [];
    this.list(obj, field).forEach((value, index) => {
      if (typeof value !== 'string' || value === '') {
        this.problem(`${field}[${index}]`, `must be a non-empty string, got ${describe(value)}`);
      } else out.push(value);
    });
    return out;
  }
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `${typeof value} ${JSON.stringify(value)}`;
}

export const KEY_HINT = 'must be lower-case letters, digits and dashes';
export const SOURCE_HINT = 'must be a public http(s) URL where the fact can be checked';

export function checkCategories(doc: unknown, file: string, problems: string[]): RawCategory[] {
  const top = new Checker(problems, file).object(doc, 'the file');
  if (!top) return [];
  const check = new Checker(problems, file);
  check.unknownFields(top, ['categories']);
  return check.list(top, 'categories', false).flatMap((entry, index) => {
    const at = check.at(`categories[${index}]`);
    const obj = at.object(entry, 'a category');
    if (!obj) return [];
    at.unknownFields(obj, ['key', 'name', 'tracking', 'description']);
    return [
      {
        key: at.string(obj, 'key', { pattern: KEY, hint: KEY_HINT }),
        name: at.string(obj, 'name'),
        tracking: at.boolean(obj, 'tracking', false),
        description: at.string(obj, 'description', { optional: true }),
      },
    ];
  });
}

export function checkCompany(
  doc: unknown,
  file: string,
  problems: string[],
  lines?: LineLookup,
): RawCompany | null {
  const lineOf = (field: string, index?: number): number | null =>
    (index === undefined ? lines?.keyLine(field) : lines?.itemLine(field, index)) ?? null;
  const at = (field: string, index?: number): string => {
    const line = lineOf(field, index);
    return `${file}${line ? `:${line}` : ''}`;
  };
  const check = new Checker(problems, file, (field) => lineOf(field));
  const obj = check.object(doc, 'the file');
  if (!obj) return null;
  check.unknownFields(obj, [
    'key',
    'name',
    'website',
    'owner',
    'source',
    'category',
    'adguardCompanyIds',
    'domains',
    'apps',
    'endpoints',
  ]);
  const company: RawCompany = {
    file,
    key: check.string(obj, 'key', { pattern: KEY, hint: KEY_HINT }),
    name: check.string(obj, 'name'),
    website: check.string(obj, 'website', { pattern: SOURCE, hint: 'must be an http(s) URL' }),
    owner: check.string(obj, 'owner', { optional: true }) || null,
    source: check.string(obj, 'source', { pattern: SOURCE, hint: SOURCE_HINT }),
    category: check.string(obj, 'category', { pattern: KEY, hint: KEY_HINT }),
    adguardCompanyIds: check.keys(obj, 'adguardCompanyIds'),
    domains: check.domains(obj, 'domains'),
    apps: [],
    endpoints: [],
    at,
  };
  company.apps = check.list(obj, 'apps').flatMap((entry, index) => {
    const key = (entry as Obj | null)?.['key'];
    const at = check.at(`apps[${index}]${typeof key === 'string' ? ` (${key})` : ''}`, lineOf('apps', index));
    const app = at.object(entry, 'an app');
    if (!app) return [];
    at.unknownFields(app, ['key', 'name', 'category', 'domains', 'source']);
    const domains = at.domains(app, 'domains');
    if (domains.length === 0) at.problem('domains', 'must list at least one domain of the app');
    return [
      {
        key: at.string(app, 'key', { pattern: KEY, hint: KEY_HINT }),
        name: at.string(app, 'name'),
        category: at.string(app, 'category', { pattern: KEY, hint: KEY_HINT }),
        domains,
        source: at.string(app, 'source', { pattern: SOURCE, hint: SOURCE_HINT }),
      },
    ];
  });
  company.endpoints = check.list(obj, 'endpoints').flatMap((entry, index) => {
    const domain = (entry as Obj | null)?.['domain'];
    const at = check.at(
      `endpoints[${index}]${typeof domain === 'string' ? ` (${domain})` : ''}`,
      lineOf('endpoints', index),
    );
    const endpoint = at.object(entry, 'an endpoint');
    if (!endpoint) return [];
    at.unknownFields(endpoint, ['domain', 'use', 'category', 'app', 'what', 'source']);
    const use = at.string(endpoint, 'use');
    if (use && use !== 'tracking' && use !== 'dual-use') {
      at.problem(
        'use',
        `must be 'tracking' (safe to block) or 'dual-use' (blocking breaks the app), got ${JSON.stringify(use)}`,
      );
    }
    const app =
      endpoint['app'] === undefined ? null : at.string(endpoint, 'app', { pattern: KEY, hint: KEY_HINT });
    return [
      {
        domain: at.domain(endpoint, 'domain'),
        use: use === 'dual-use' ? 'dual-use' : 'tracking',
        category: at.string(endpoint, 'category', { pattern: KEY, hint: KEY_HINT }),
        app,
        what: at.string(endpoint, 'what'),
        source: at.string(endpoint, 'source', { pattern: SOURCE, hint: SOURCE_HINT }),
      },
    ];
  });
  return company;
}

export function checkResolvers(doc: unknown, file: string, problems: string[]): RawResolver[] {
  const check = new Checker(problems, file);
  const top = check.object(doc, 'the file');
  if (!top) return [];
  check.unknownFields(top, ['resolvers']);
  return check.list(top, 'resolvers', false).flatMap((entry, index) => {
    const at = check.at(`resolvers[${index}]`);
    const obj = at.object(entry, 'a resolver');
    if (!obj) return [];
    at.unknownFields(obj, ['domain', 'operator', 'source']);
    return [
      {
        domain: at.domain(obj, 'domain'),
        operator: at.string(obj, 'operator'),
        source: at.string(obj, 'source', { pattern: SOURCE, hint: SOURCE_HINT }),
      },
    ];
  });
}

/**
 * Checks that hold across files: unique keys, references to known categories and apps, and every
 * domain described exactly once (two entries for one domain would make attribution ambiguous).
 */
export function checkCrossReferences(
  categories: readonly RawCategory[],
  companies: readonly RawCompany[],
  problems: string[],
): void {
  const categoryKeys = new Set<string>();
  for (const category of categories) {
    if (categoryKeys.has(category.key))
      problems.push(`categories.yaml: category key '${category.key}' is used twice`);
    categoryKeys.add(category.key);
  }
  const companyFiles = new Map<string, string>();
  const appOwners = new Map<string, string>();
  const domainOwners = new Map<string, string>();
  const claim = (domain: string, where: string): void => {
    const previous = domainOwners.get(domain);
    if (previous) problems.push(`${where}: domain '${domain}' is already described at ${previous}`);
    else domainOwners.set(domain, where);
  };
  const category = (key: string, where: string): void => {
    // With no categories at all the categories file itself is broken (reported already): no cascade.
    if (key && categoryKeys.size > 0 && !categoryKeys.has(key)) {
      problems.push(
        `${where}: field 'category' names unknown category '${key}' (known: ${[...categoryKeys].join(', ')})`,
      );
    }
  };
  for (const company of companies) {
    const previous = companyFiles.get(company.key);
    if (previous)
      problems.push(`${company.at('key')}: company key '${company.key}' is already used by ${previous}`);
    companyFiles.set(company.key, company.file);
    category(company.category, company.at('category'));
    company.domains.forEach((domain, i) => claim(domain, `${company.at('domains')}: domains[${i}]`));
    const ownApps = new Set<string>();
    company.apps.forEach((app, i) => {
      const where = `${company.at('apps', i)}: apps[${i}] (${app.key})`;
      const owner = appOwners.get(app.key);
      if (owner) problems.push(`${where}: app key '${app.key}' is already used in ${owner}`);
      appOwners.set(app.key, company.file);
      ownApps.add(app.key);
      category(app.category, where);
      app.domains.forEach((domain, j) => claim(domain, `${where} domains[${j}]`));
    });
    company.endpoints.forEach((endpoint, i) => {
      const where = `${company.at('endpoints', i)}: endpoints[${i}] (${endpoint.domain})`;
      category(endpoint.category, where);
      if (endpoint.app && !ownApps.has(endpoint.app)) {
        problems.push(
          `${where}: field 'app' names '${endpoint.app}', which is not one of this company's apps`,
        );
      }
      if (endpoint.domain) claim(endpoint.domain, where);
    });
  }
}
