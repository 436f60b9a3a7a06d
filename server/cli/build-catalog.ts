/**
 * `npm run build` step after tsc: writes the prebuilt tracker catalog to dist/catalog/ (see
 * trackers/prebuilt.ts). Malformed catalog files fail the build, naming file, line, entry and field.
 */
import { relative } from 'node:path';
import { projectRoot } from '../paths.js';
import { buildPrebuiltCatalog } from '../trackers/build-prebuilt.js';
import { AppCatalogError } from '../trackers/apps/app-catalog.js';
import { CatalogError } from '../trackers/catalog-error.js';

try {
  const summary = buildPrebuiltCatalog();
  console.log(
    `prebuilt catalog: ${summary.companies} company files, ${summary.trackerDomains} companiesdb domains, ${summary.apps} apps → ${summary.files
      .map((file) => relative(projectRoot, file))
      .join(', ')}`,
  );
} catch (error) {
  if (!(error instanceof CatalogError || error instanceof AppCatalogError)) throw error;
  console.error(`build-catalog: ${error.message}`);
  process.exit(1);
}
