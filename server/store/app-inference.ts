/**
 * Starts app inference for the running server: the shipped app catalog (checked whole at start-up), and
 * the rollup job over querylog.db every two seconds, off the DNS path.
 */
import type { Logger } from '../logger.js';
import { shippedAppCatalog } from '../trackers/apps/app-catalog.js';
import { AppRollups } from './app-rollups.js';

export const APP_PASS_INTERVAL_MS = 2000;

export function startAppInference(options: { dataDir: string; logger: Logger; intervalMs?: number }): {
  rollups: AppRollups;
  stop(): void;
} {
  const rollups = new AppRollups({
    dataDir: options.dataDir,
    catalog: shippedAppCatalog(),
    logger: options.logger,
  });
  rollups.start(options.intervalMs ?? APP_PASS_INTERVAL_MS);
  return { rollups, stop: () => rollups.stop() };
}
