/**
 * The AdGuard companies database (github.com/AdguardTeam/companiesdb, `dist/trackers.json` and
 * `dist/companies.json`, CC BY-SA 4.0) widens attribution beyond the project's own catalog. It only
 * attributes (company, category); it never blocks. A derived copy ships in `blocklists/trackerdb/`
 * (offline on the first run); an optional refresh downloads the upstream files, validates them and saves
 * them in the data directory, and later start-ups prefer that saved copy. A damaged saved copy falls back
 * to the shipped one and says why.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { downloadList } from '../net/download.js';
import { blocklistsDir, projectRoot } from '../paths.js';
import { readPrebuilt } from './prebuilt.js';

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
  /** `shipped`: the copy in blocklists/trackerdb; `refreshed`: a validated download in the data directory. */
  origin: 'shipped' | 'refreshed';
  /** Why a refreshed copy in the data directory is not in use (it was damaged), or null. */
  problem: string | null;
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

/** Line (1-based) of the entry `key` inside the object `section` of a JSON text, for error messages. */
function lineOfEntry(text: string | undefined, section: string, key: string): number | null {
  if (!text) return null;
  const sectionAt = text.search(new RegExp(`"${section}"\\s*:`));
  if (sectionAt < 0) return null;
  const quoted = JSON.stringify(key).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const match = new RegExp(`${quoted}\\s*:`).exec(text.slice(sectionAt));
  if (!match) return null;
  const offset = sectionAt + match.index;
  let line = 1;
  for (let i = 0; i < offset; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** Validates both files; a malformed entry names the file, its line, the entry and the field. */
export function parseCompaniesDb(
  trackersText: string,
  companiesText: string,
  where = { trackers: 'trackers.json', companies: 'companies.json' },
): CompaniesDb {
  return parseCompaniesDbDocs(
    parseJson(trackersText, where.trackers),
    parseJson(companiesText, where.companies),
    where,
    { trackers: trackersText, companies: companiesText },
  );
}

/** The same checks on already parsed documents (the shipped file holds both in one). */
export function parseCompaniesDbDocs(
  trackersDoc: Obj,
  companiesDoc: Obj,
  where: { trackers: string; companies: string },
  texts: { trackers?: string; companies?: string } = {},
): CompaniesDb {
  const at = (file: 'trackers' | 'companies', section: string, key: string): string => {
    const line = lineOfEntry(texts[file], section, key);
    return `${where[file]}${line ? `:${line}` : ''}: ${section}.${key}`;
  };
  const categories = new Map<number, string>();
  for (const [id, name] of Object.entries(field(trackersDoc, 'categories', where.trackers))) {
    if (!/^\d+$/.test(id) || typeof name !== 'string') {
      throw new CompaniesDbError(`${at('trackers', 'categories', id)} must map a number to a name`);
    }
    categories.set(Number(id), name);
  }

  const trackers = new Map<string, CompaniesDbTracker>();
  for (const [id, entry] of Object.entries(field(trackersDoc, 'trackers', where.trackers))) {
    // Computed only on error: finding the line scans the text.
    const here = (): string => at('trackers', 'trackers', id);
    if (!isObject(entry)) throw new CompaniesDbError(`${here()} must be an object`);
    if (typeof entry['name'] !== 'string' || entry['name'].trim() === '')
      throw new CompaniesDbError(`${here()}: field 'name' must be a non-empty string`);
    if (typeof entry['categoryId'] !== 'number' || !categories.has(entry['categoryId'])) {
      throw new CompaniesDbError(`${here()}: field 'categoryId' must be one of the file's categories`);
    }
    const companyId = entry['companyId'];
    if (companyId !== undefined && companyId !== null && typeof companyId !== 'string') {
      throw new CompaniesDbError(`${here()}: field 'companyId' must be a string or null`);
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
        `${at('trackers', 'trackerDomains', domain)} names unknown tracker ${JSON.stringify(trackerId)}`,
      );
    }
    const name = domain.toLowerCase().replace(/\.$/, '');
    if (!/^[a-z0-9_-]+(\.[a-z0-9_-]+)+$/.test(name)) continue; // odd keys are skipped, not fatal
    trackerDomains.set(name, trackerId);
  }

  const companies = new Map<string, CompaniesDbCompany>();
  for (const [id, entry] of Object.entries(field(companiesDoc, 'companies', where.companies))) {
    if (!isObject(entry) || typeof entry['name'] !== 'string') {
      throw new CompaniesDbError(`${at('companies', 'companies', id)}: field 'name' must be a string`);
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
    origin: 'refreshed',
    problem: null,
  };
}

const SAVED_DIR = 'companiesdb';
const ETAGS_FILE = 'validators.json';

/** The shipped, derived copy (see scripts/build-trackerdb.mjs). */
export const shippedCompaniesDbFile = join(blocklistsDir, 'trackerdb', 'companiesdb.json');

export function savedCompaniesDbDir(dataDir: string): string {
  return join(dataDir, SAVED_DIR);
}

/** Name of the shipped copy's prebuilt, compact form in dist/catalog/ (cli/build-catalog.ts writes it). */
export const COMPANIESDB_PREBUILT = 'companiesdb.json';

/** The checked database as arrays (no per-entry keys): several times faster to read than the original. */
export interface CompactCompaniesDb {
  timeUpdated: string;
  categories: Array<[number, string]>;
  /** [id, name, categoryId, url, companyId] */
  trackers: Array<[string, string, number, string | null, string | null]>;
  /** [id, name, websiteUrl] */
  companies: Array<[string, string, string | null]>;
  /** domain, tracker id, domain, tracker id … */
  trackerDomains: string[];
}

export function compactCompaniesDb(db: CompaniesDb): CompactCompaniesDb {
  return {
    timeUpdated: db.timeUpdated,
    categories: [...db.categories],
    trackers: [...db.trackers].map(([id, t]) => [id, t.name, t.categoryId, t.url, t.companyId]),
    companies: [...db.companies].map(([id, c]) => [id, c.name, c.websiteUrl]),
    trackerDomains: [...db.trackerDomains].flat(),
  };
}

function fromCompact(compact: CompactCompaniesDb): CompaniesDb {
  const trackerDomains = new Map<string, string>();
  const pairs = compact.trackerDomains;
  for (let i = 0; i + 1 < pairs.length; i += 2)
    trackerDomains.set(pairs[i] as string, pairs[i + 1] as string);
  return {
    timeUpdated: compact.timeUpdated,
    categories: new Map(compact.categories),
    trackers: new Map(
      compact.trackers.map(([id, name, categoryId, url, companyId]) => [
        id,
        { name, categoryId, url, companyId },
      ]),
    ),
    trackerDomains,
    companies: new Map(compact.companies.map(([id, name, websiteUrl]) => [id, { name, websiteUrl }])),
    origin: 'shipped',
    problem: null,
  };
}

/**
 * Reads the shipped copy (one JSON file holding both upstream documents). Malformed → CompaniesDbError.
 * The build's prebuilt form is used while it was made from this very file (`prebuilt: false`: never).
 */
export function loadShippedCompaniesDb(
  file: string = shippedCompaniesDbFile,
  options: { prebuilt?: boolean; prebuiltDir?: string } = {},
): CompaniesDb {
  if (options.prebuilt !== false) {
    const compact = readPrebuilt<CompactCompaniesDb>(
      COMPANIESDB_PREBUILT,
      [file],
      projectRoot,
      options.prebuiltDir,
    );
    if (compact) return fromCompact(compact);
  }
  const where = relative(join(blocklistsDir, '..'), file) || file;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new CompaniesDbError(
      `${where}: cannot read (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
    );
  }
  const doc = parseJson(text, where);
  const db = parseCompaniesDbDocs(
    doc,
    doc,
    { trackers: where, companies: where },
    { trackers: text, companies: text },
  );
  return { ...db, origin: 'shipped' };
}

/** The saved refreshed copy, or null when none was made. A damaged saved copy throws CompaniesDbError. */
export function loadRefreshedCompaniesDb(dataDir: string): CompaniesDb | null {
  const dir = savedCompaniesDbDir(dataDir);
  const trackers = join(dir, 'trackers.json');
  const companies = join(dir, 'companies.json');
  if (!existsSync(trackers) || !existsSync(companies)) return null;
  return parseCompaniesDb(readFileSync(trackers, 'utf8'), readFileSync(companies, 'utf8'), {
    trackers,
    companies,
  });
}

/**
 * The database to use at start-up: the refreshed copy in the data directory when there is a good one,
 * else the shipped copy (no network needed). A damaged refreshed copy is not used: the shipped copy
 * is, with `problem` saying why, so attribution keeps working and the dashboard can tell.
 */
export function loadSavedCompaniesDb(dataDir: string, shippedFile?: string): CompaniesDb {
  try {
    const refreshed = loadRefreshedCompaniesDb(dataDir);
    if (refreshed) return refreshed;
  } catch (error) {
    return {
      ...loadShippedCompaniesDb(shippedFile),
      problem: `the refreshed companies database is damaged, using the shipped copy: ${(error as Error).message}`,
    };
  }
  return loadShippedCompaniesDb(shippedFile);
}

export interface ImportOptions {
  /** URLs (http/https) or local file paths. */
  trackers?: string;
  companies?: string;
  dataDir: string;
  timeoutMs?: number;
  maxBytes?: number;
}

interface Validators {
  etag: string | null;
  lastModified: string | null;
}

type Fetched = { text: string; validators: Validators } | 'not-modified';

async function fetchSource(
  source: string,
  previous: Validators | undefined,
  timeoutMs: number,
  maxBytes: number,
): Promise<Fetched> {
  if (!/^https?:\/\//i.test(source))
    return { text: readFileSync(source, 'utf8'), validators: { etag: null, lastModified: null } };
  const result = await downloadList(source, {
    timeoutMs,
    maxBytes,
    etag: previous?.etag ?? null,
    lastModified: previous?.lastModified ?? null,
  });
  if (result.status === 'not-modified') return 'not-modified';
  return { text: result.text, validators: { etag: result.etag, lastModified: result.lastModified } };
}

function readValidators(dir: string): Record<string, Validators> {
  try {
    return JSON.parse(readFileSync(join(dir, ETAGS_FILE), 'utf8')) as Record<string, Validators>;
  } catch {
    return {};
  }
}

/**
 * Downloads (or reads) both files, validates them, and only then replaces the saved copy (write to a
 * temporary file, then rename), so a refused update never loses the previous one. Conditional requests
 * (ETag / Last-Modified) make an unchanged upstream cost nothing: the saved copy is returned as is.
 */
export async function importCompaniesDb(options: ImportOptions): Promise<CompaniesDb> {
  const trackersSource = options.trackers ?? DEFAULT_COMPANIESDB_URLS.trackers;
  const companiesSource = options.companies ?? DEFAULT_COMPANIESDB_URLS.companies;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const maxBytes = options.maxBytes ?? 32 * 1024 * 1024;
  const dir = savedCompaniesDbDir(options.dataDir);
  const saved = loadRefreshedCompaniesDbQuietly(options.dataDir);
  const validators = saved ? readValidators(dir) : {};
  const [trackersFetched, companiesFetched] = await Promise.all([
    fetchSource(trackersSource, validators[trackersSource], timeoutMs, maxBytes),
    fetchSource(companiesSource, validators[companiesSource], timeoutMs, maxBytes),
  ]);
  if (trackersFetched === 'not-modified' && companiesFetched === 'not-modified' && saved) return saved;
  // One side unchanged: use the saved text of that side.
  const text = (fetched: Fetched, name: string): string =>
    fetched === 'not-modified' ? readFileSync(join(dir, name), 'utf8') : fetched.text;
  const trackersText = text(trackersFetched, 'trackers.json');
  const companiesText = text(companiesFetched, 'companies.json');
  const db = parseCompaniesDb(trackersText, companiesText, {
    trackers: trackersSource,
    companies: companiesSource,
  });
  mkdirSync(dir, { recursive: true });
  const next: Record<string, Validators> = {};
  if (trackersFetched !== 'not-modified') next[trackersSource] = trackersFetched.validators;
  else if (validators[trackersSource]) next[trackersSource] = validators[trackersSource];
  if (companiesFetched !== 'not-modified') next[companiesSource] = companiesFetched.validators;
  else if (validators[companiesSource]) next[companiesSource] = validators[companiesSource];
  for (const [name, content] of [
    ['trackers.json', trackersText],
    ['companies.json', companiesText],
    [ETAGS_FILE, JSON.stringify(next)],
  ] as const) {
    const path = join(dir, name);
    writeFileSync(`${path}.tmp`, content);
    renameSync(`${path}.tmp`, path);
  }
  return db;
}

function loadRefreshedCompaniesDbQuietly(dataDir: string): CompaniesDb | null {
  try {
    return loadRefreshedCompaniesDb(dataDir);
  } catch {
    return null; // a damaged saved copy is replaced by this import, if it validates
  }
}
