/**
 * Where a setting's value comes from, strongest first: a TRACKSINK_* environment variable, then a value
 * saved from the dashboard, then the config file, then the built-in default. The environment wins
 * because it is what a Docker or systemd owner pins on purpose, per machine, and reads in one place
 * (compose file, unit file); a dashboard change that silently lost to it at the next restart would be
 * worse than one the dashboard refuses up front (it shows such a setting as fixed by the environment).
 * Dashboard-saved values beat the file because the file is the starting point, and the dashboard is
 * where the household changes things afterwards.
 *
 * Call `applySavedSettings(config, settingsRepo, logger)` once, right after opening tracksink.db and
 * before starting the modules. A saved value that no longer validates (e.g. after an upgrade tightened a
 * rule) is skipped with a warning: the file's value serves, nothing is lost from the database. A saved
 * value that an environment variable overrides is kept in the database too, with a warning at every start.
 */
import { allKeys } from '../config/load.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../logger.js';
import type { SettingsRepo } from '../store/repos/settings-repo.js';
import { isDashboardSetting } from './dashboard-settings.js';
import { flatten, setIn } from './dotted-keys.js';
import { validateChanges } from './validate-settings.js';

/** Dashboard settings that a TRACKSINK_* variable sets in `env`, by dotted key, with the variable's name. */
export function settingsFromEnvironment(env: NodeJS.ProcessEnv = process.env): Map<string, string> {
  const fixed = new Map<string, string>();
  for (const { key, spec } of allKeys()) {
    if (spec.env && env[spec.env] !== undefined && env[spec.env] !== '' && isDashboardSetting(key))
      fixed.set(key, spec.env);
  }
  return fixed;
}

/** Applies the saved settings to `config` in place; returns the keys applied. */
export function applySavedSettings(
  config: Config,
  saved: Pick<SettingsRepo, 'configOverrides'>,
  logger: Pick<Logger, 'warn'>,
  env: NodeJS.ProcessEnv = process.env,
): string[] {
  const fromEnvironment = settingsFromEnvironment(env);
  const known = new Set(Object.keys(flatten(config)));
  const applied: string[] = [];
  for (const [key, value] of Object.entries(saved.configOverrides())) {
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
    const variable = fromEnvironment.get(key);
    if (variable !== undefined) {
      logger.warn(
        { key, variable },
        `${variable} sets ${key}: the value saved in the dashboard is not used while the variable is set`,
      );
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
