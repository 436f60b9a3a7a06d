/**
 * Makes the prebuilt catalog (prebuilt.ts) from the YAML sources and the shipped companies database:
 * run by `npm run build` (cli/build-catalog.ts). Also the app catalog's checked entries. Malformed
 * sources fail the build with the same problems loadCatalog and loadAppCatalog report (file, line, entry,
 * field).
 */
import { join } from 'node:path';
import { blocklistsDir, projectRoot } from '../paths.js';
import { CatalogError } from './catalog-error.js';
import { catalogSourceFiles, readCatalogSources } from './catalog-sources.js';
import { CATALOG_PREBUILT } from './catalog.js';
import {
  COMPANIESDB_PREBUILT,
  CompaniesDbError,
  compactCompaniesDb,
  loadShippedCompaniesDb,
} from './companiesdb.js';
import { prebuiltDir, writePrebuilt } from './prebuilt.js';
import { APPS_PREBUILT, appCatalogFiles, readAppEntries } from './apps/app-catalog.js';

export interface PrebuiltSummary {
  companies: number;
  trackerDomains: number;
  apps: number;
  files: string[];
}

export function buildPrebuiltCatalog(
  dir: string = blocklistsDir,
  out: string = prebuiltDir,
): PrebuiltSummary {
  const problems: string[] = [];
  const sources = readCatalogSources(dir, problems);
  const companiesDbFile = join(dir, 'trackerdb', 'companiesdb.json');
  let companiesDb = null;
  try {
    companiesDb = loadShippedCompaniesDb(companiesDbFile, { prebuilt: false });
  } catch (error) {
    if (!(error instanceof CompaniesDbError)) throw error;
    problems.push(error.message);
  }
  if (problems.length > 0 || companiesDb === null) throw new CatalogError(problems);
  writePrebuilt(CATALOG_PREBUILT, catalogSourceFiles(dir), join(dir, '..'), sources, out);
  writePrebuilt(COMPANIESDB_PREBUILT, [companiesDbFile], projectRoot, compactCompaniesDb(companiesDb), out);
  // The app catalog (blocklists/apps): read by the schedules before DNS and by the log writer thread.
  const appsDir = join(dir, 'apps');
  const appFiles = appCatalogFiles(appsDir);
  const apps = readAppEntries(appsDir, appFiles);
  writePrebuilt(APPS_PREBUILT, appFiles, join(appsDir, '..', '..'), apps, out);
  return {
    apps: apps.length,
    companies: sources.companies.length,
    trackerDomains: companiesDb.trackerDomains.size,
    files: [CATALOG_PREBUILT, COMPANIESDB_PREBUILT, APPS_PREBUILT].map((name) => join(out, name)),
  };
}
