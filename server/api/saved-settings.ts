/**
 * Settings saved from the dashboard win over the config file and the environment. Call
 * `applySavedSettings(config, configDb, logger)` once, right after opening tracksink.db and before
 * starting the modules. A saved value that no longer validates (e.g. after an upgrade tightened a rule)
 * is skipped with a warning: the file's value serves, nothing is lost from the database.
 */
import type { Config } from '../config/schema.js';
import type { Logger } from '../logger.js';
import { SettingsRepo } from '../store/repos/settings-repo.js';
import type { Db } from '../store/sqlite.js';
import { flatten, validateChanges } from './routes/settings-routes.js';
import { isDashboardSetting } from './settings-keys.js';

/** Sets a dotted key ("dns.blocking.ttl") in a config object in place. */
export function setIn(target: Config | Record<string, unknown>, dotted: string, value: unknown): void {
  const parts = dotted.split('.');
  let node = target as Record<string, unknown>;
  for (const part of parts.slice(0, -1)) node = node[part] as Record<string, unknown>;
  node[parts[parts.length - 1] as string] = value;
}

/** Applies the saved settings to `config` in place; returns the keys applied. */
export function applySavedSettings(config: Config, configDb: Db, logger: Pick<Logger, 'warn'>): string[] {
  const saved = new SettingsRepo(configDb).configOverrides();
  const known = new Set(Object.keys(flatten(config)));
  const applied: string[] = [];
  for (const [key, value] of Object.entries(saved)) {
    if (!known.has(key)) {
      logger.warn({ key }, `saved setting ${key} is not a config key any more: ignored`);
      continue;
    }
    // Only the dashboard's settings are saved in tracksink.db; any other key there (an old backup import
    // could set http.password, dataDir …) must not beat the file and the environment.
    if (!isDashboardSetting(key)) {
      logger.warn({ key }, `saved setting ${key} is not a dashboard setting: ignored`);
      continue;
    }
    try {
      validateChanges(config, { [key]: value });
    } catch (error) {
      logger.warn({ key }, `saved setting ignored: ${(error as Error).message}`);
      continue;
    }
    setIn(config, key, value);
    applied.push(key);
  }
  return applied;
}
