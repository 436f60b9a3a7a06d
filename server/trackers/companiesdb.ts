/**
 * Optional import of the AdGuard companies database (github.com/AdguardTeam/companiesdb, `dist/trackers.json`
 * and `dist/companies.json`, CC BY-SA 4.0) to widen attribution beyond the project's own catalog. It only
 * attributes (company, category); it never blocks. The downloaded files are validated and then saved in
 * the data directory, so later start-ups use the saved copy without a download.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { downloadList } from '../lists/download.js';

export const COMPANIESDB_LICENCE = 'CC BY-SA 4.0';
export const COMPANIESDB_ATTRIBUTION =
  'Tracker and company data from the AdGuard companies database (https://github.com/AdguardTeam/companiesdb), ' +
  'licensed under CC BY-SA 4.0 (https://creativecommons.org/licenses/by-sa/4.0/).';
export const DEFAULT_COMPANIESDB_URLS = {
  trackers: 'https://raw.githubusercontent.com/AdguardTeam/companiesdb/main/dist/trackers.json',
  companies: 'https://raw.githubusercontent.com/AdguardTeam/companiesdb/main/dist/companies.json',
} as const;

export interface CompaniesDbTracker {
  name: string;
  categoryId: number;
  url: string | null;
  companyId: string | null;
}

export interface CompaniesDbCompany {
  name: string;
  websiteUrl: string | null;
}

export interface CompaniesDb {
  timeUpdated: string;
  /** AdGuard category id → AdGuard category name (e.g. 4 → advertising). */
  categories: Map<number, string>;
  trackers: Map<string, CompaniesDbTracker>;
  /** Domain → tracker id. */
  trackerDomains: Map<string, string>;
  companies: Map<string, CompaniesDbCompany>;
}

export class CompaniesDbError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CompaniesDbError';
  }
}

type Obj = Record<string, unknown>;

function isObject(value: unknown): value is Obj {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function parseJson(text: string, where: string): Obj {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw new CompaniesDbError(`${where}: not valid JSON (${(error as Error).message})`);
  }
  if (!isObject(doc)) throw new CompaniesDbError(`${where}: expected a JSON object at the top`);
  return doc;
}

function field(obj: Obj, key: string, where: string): Obj {
  const value = obj[key];
  if (!isObject(value)) throw new CompaniesDbError(`${where}: field '${key}' must be an object`);
  return value;
}

/** Validates both files; a malformed entry names the file, the entry and the field. */
export function parseCompaniesDb(
  trackersText: string,
  companiesText: string,
  where = { trackers: 'trackers.json', companies: 'companies.json' },
): CompaniesDb {
  const trackersDoc = parseJson(trackersText, where.trackers);
  const companiesDoc = parseJson(companiesText, where.companies);

  const categories = new Map<number, string>();
  for (const [id, name] of Object.entries(field(trackersDoc, 'categories', where.trackers))) {
    if (!/^\d+$/.test(id) || typeof name !== 'string') {
      throw new CompaniesDbError(`${where.trackers}: categories.${id} must map a number to a name`);
    }
    categories.set(Number(id), name);
  }

  const trackers = new Map<string, CompaniesDbTracker>();
  for (const [id, entry] of Object.entries(field(trackersDoc, 'trackers', where.trackers))) {
    const at = `${where.trackers}: trackers.${id}`;
    if (!isObject(entry)) throw new CompaniesDbError(`${at} must be an object`);
    if (typeof entry['name'] !== 'string') throw new CompaniesDbError(`${at}: field 'name' must be a string`);
    if (typeof entry['categoryId'] !== 'number' || !categories.has(entry['categoryId'])) {
      throw new CompaniesDbError(`${at}: field 'categoryId' must be one of the file's categories`);
    }
    const companyId = entry['companyId'];
    if (companyId !== undefined && companyId !== null && typeof companyId !== 'string') {
      throw new CompaniesDbError(`${at}: field 'companyId' must be a string or null`);
    }
    trackers.set(id, {
      name: entry['name'],
      categoryId: entry['categoryId'],
      url: typeof entry['url'] === 'string' ? entry['url'] : null,
      companyId: typeof companyId === 'string' ? companyId : null,
    });
  }

  const trackerDomains = new Map<string, string>();
  for (const [domain, trackerId] of Object.entries(field(trackersDoc, 'trackerDomains', where.trackers))) {
    if (typeof trackerId !== 'string' || !trackers.has(trackerId)) {
      throw new CompaniesDbError(
        `${where.trackers}: trackerDomains.${domain} names unknown tracker ${JSON.stringify(trackerId)}`,
      );
    }
    const name = domain.toLowerCase().replace(/\.$/, '');
    if (!/^[a-z0-9_-]+(\.[a-z0-9_-]+)+$/.test(name)) continue; // odd keys are skipped, not fatal
    trackerDomains.set(name, trackerId);
  }

  const companies = new Map<string, CompaniesDbCompany>();
  for (const [id, entry] of Object.entries(field(companiesDoc, 'companies', where.companies))) {
    if (!isObject(entry) || typeof entry['name'] !== 'string') {
      throw new CompaniesDbError(`${where.companies}: companies.${id}: field 'name' must be a string`);
    }
    companies.set(id, {
      name: entry['name'],
      websiteUrl: typeof entry['websiteUrl'] === 'string' ? entry['websiteUrl'] : null,
    });
  }
  if (trackerDomains.size === 0) throw new CompaniesDbError(`${where.trackers}: no tracker domains`);

  return {
    timeUpdated: typeof trackersDoc['timeUpdated'] === 'string' ? trackersDoc['timeUpdated'] : '',
    categories,
    trackers,
    trackerDomains,
    companies,
  };
}

const SAVED_DIR = 'companiesdb';

export function savedCompaniesDbDir(dataDir: string): string {
  return join(dataDir, SAVED_DIR);
}

/** The saved import, or null when none was made. A damaged saved copy is an error (not silently dropped). */
export function loadSavedCompaniesDb(dataDir: string): CompaniesDb | null {
  const dir = savedCompaniesDbDir(dataDir);
  const trackers = join(dir, 'trackers.json');
  const companies = join(dir, 'companies.json');
  if (!existsSync(trackers) || !existsSync(companies)) return null;
  return parseCompaniesDb(readFileSync(trackers, 'utf8'), readFileSync(companies, 'utf8'), {
    trackers,
    companies,
  });
}

export interface ImportOptions {
  /** URLs (http/https) or local file paths. */
  trackers?: string;
  companies?: string;
  dataDir: string;
  timeoutMs?: number;
  maxBytes?: number;
}

async function fetchSource(source: string, timeoutMs: number, maxBytes: number): Promise<string> {
  if (!/^https?:\/\//i.test(source)) return readFileSync(source, 'utf8');
  const result = await downloadList(source, { timeoutMs, maxBytes });
  if (result.status !== 'ok') throw new CompaniesDbError(`${source}: unexpected 304`);
  return result.text;
}

/**
 * Downloads (or reads) both files, validates them, and only then replaces the saved copy (write to a
 * temporary file, then rename), so a failed import never loses the previous one.
 */
export async function importCompaniesDb(options: ImportOptions): Promise<CompaniesDb> {
  const trackersSource = options.trackers ?? DEFAULT_COMPANIESDB_URLS.trackers;
  const companiesSource = options.companies ?? DEFAULT_COMPANIESDB_URLS.companies;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const maxBytes = options.maxBytes ?? 32 * 1024 * 1024;
  const [trackersText, companiesText] = await Promise.all([
    fetchSource(trackersSource, timeoutMs, maxBytes),
    fetchSource(companiesSource, timeoutMs, maxBytes),
  ]);
  const db = parseCompaniesDb(trackersText, companiesText, {
    trackers: trackersSource,
    companies: companiesSource,
  });
  const dir = savedCompaniesDbDir(options.dataDir);
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of [
    ['trackers.json', trackersText],
    ['companies.json', companiesText],
  ] as const) {
    const path = join(dir, name);
    writeFileSync(`${path}.tmp`, text);
    renameSync(`${path}.tmp`, path);
  }
  return db;
}
