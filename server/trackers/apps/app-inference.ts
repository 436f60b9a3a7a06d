/**
 * Starts app inference for the running server: the shipped app catalog (checked whole at start-up), and
 * the rollup job over querylog.db every two seconds, off the DNS path. A log from before the `kind`
 * column counts a name as a tracker by its catalog category.
 */
import type { Logger } from '../../logger.js';
import { AppRollups } from '../../store/app-rollups.js';
import type { CatalogCategory } from '../catalog-types.js';
import { shippedAppCatalog } from './app-catalog.js';

export const APP_PASS_INTERVAL_MS = 2000;

export function startAppInference(options: {
  dataDir: string;
  categories: readonly CatalogCategory[];
  logger: Logger;
  intervalMs?: number;
}): { rollups: AppRollups; stop(): void } {
  const tracking = new Set(options.categories.filter((c) => c.tracking).map((c) => c.id));
  const rollups = new AppRollups({
    dataDir: options.dataDir,
    catalog: shippedAppCatalog(),
    trackingCategories: () => tracking,
    logger: options.logger,
  });
  rollups.start(options.intervalMs ?? APP_PASS_INTERVAL_MS);
  return { rollups, stop: () => rollups.stop() };
}
