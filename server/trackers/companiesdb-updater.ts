/**
 * Refreshing the AdGuard companies database while tracksink runs (the dashboard's "Import" button): the
 * shipped copy is in use until then. The files are downloaded (conditionally, with ETag) and validated
 * (companiesdb.ts keeps the previous copy when they are not good, and `lastRefusal()` says why),
 * then the catalog is rebuilt with them and handed to `onCatalog`, which puts it in use (new attribution
 * for the next query, the dashboard's names). One import at a time.
 */
import { type Catalog, loadCatalog } from './catalog.js';
import type { CatalogIdStore, CompaniesDbInfo } from './catalog-types.js';
import {
  COMPANIESDB_ATTRIBUTION,
  COMPANIESDB_LICENCE,
  DEFAULT_COMPANIESDB_URLS,
  importCompaniesDb,
} from './companiesdb.js';

export class CompaniesDbBusyError extends Error {
  constructor() {
    super('an import of the companies database is already running');
    this.name = 'CompaniesDbBusyError';
  }
}

export interface CompaniesDbUpdaterOptions {
  dataDir: string;
  /** Stable catalog ids (store/repos/catalog-repo.ts). */
  ids: CatalogIdStore;
  /** The catalog in use now (its companiesDbInfo says what is imported). */
  current: () => Pick<Catalog, 'companiesDbInfo'>;
  /** Puts a rebuilt catalog in use. */
  onCatalog: (catalog: Catalog) => Promise<void> | void;
  timeoutMs?: number;
}

/** The last refused update: the previous copy stays in use, and this says why (for the dashboard). */
export interface CompaniesDbRefusal {
  at: string;
  message: string;
}

export class CompaniesDbUpdater {
  private running = false;
  private refusal: CompaniesDbRefusal | null = null;

  constructor(private readonly options: CompaniesDbUpdaterOptions) {}

  readonly attribution = COMPANIESDB_ATTRIBUTION;
  readonly licence = COMPANIESDB_LICENCE;
  readonly defaults = DEFAULT_COMPANIESDB_URLS;

  imported(): CompaniesDbInfo | null {
    return this.options.current().companiesDbInfo;
  }

  /** Why the last update was refused (null after a good one, or before any). */
  lastRefusal(): CompaniesDbRefusal | null {
    return this.refusal;
  }

  /** Downloads both files (default: AdGuard's), validates, saves, and serves the widened catalog. */
  async import(sources: { trackers?: string; companies?: string } = {}): Promise<CompaniesDbInfo> {
    if (this.running) throw new CompaniesDbBusyError();
    this.running = true;
    try {
      const companiesDb = await importCompaniesDb({
        ...sources,
        dataDir: this.options.dataDir,
        ...(this.options.timeoutMs ? { timeoutMs: this.options.timeoutMs } : {}),
      }).catch((error: unknown) => {
        throw withoutForeignText(error);
      });
      const catalog = loadCatalog(undefined, { ids: this.options.ids, companiesDb });
      await this.options.onCatalog(catalog);
      this.refusal = null;
      return catalog.companiesDbInfo as CompaniesDbInfo;
    } catch (error) {
      // The saved copy (or the shipped one) stays in use; remember why this update was refused.
      this.refusal = { at: new Date().toISOString(), message: (error as Error).message };
      throw error;
    } finally {
      this.running = false;
    }
  }
}

/**
 * A JSON parser's message quotes what it read ("Unexpected token 'S', "SSH-2.0-Op"... is not valid
 * JSON"): the downloaded bytes are someone else's, so the error keeps only that it was not JSON.
 */
function withoutForeignText(error: unknown): unknown {
  if (error instanceof Error)
    error.message = error.message.replace(/: not valid JSON \([\s\S]*\)$/, ': not valid JSON');
  return error;
}
