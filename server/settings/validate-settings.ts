/**
 * A settings change is checked with exactly the config loader's rules (types, ranges, cross-checks such
 * as "custom mode needs an address"), whoever brings it: the dashboard, a saved value at start-up, a backup.
 */
import { ConfigError, loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { flatten } from './dotted-keys.js';

/** A change the loader refuses; the message names each key and its problem. */
export class SettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SettingsError';
  }
}

/** The config as it would be with `changes` (dotted keys), checked by the loader; throws SettingsError. */
export function validateChanges(config: Config, changes: Record<string, unknown>): Config {
  // The map-valued key (dns.local) cannot go through overrides leaf by leaf; it is not a setting here.
  const current = flatten(config);
  for (const key of Object.keys(current)) if (key.startsWith('dns.local.')) delete current[key];
  try {
    const { config: next } = loadConfig({
      env: {},
      cwd: '/nonexistent/tracksink-settings-check',
      overrides: { ...current, 'dns.local': config.dns.local, ...changes },
    });
    return next;
  } catch (error) {
    if (error instanceof ConfigError) {
      throw new SettingsError(error.problems.map((problem) => problem.replace(' (override)', '')).join('; '));
    }
    throw error;
  }
}
