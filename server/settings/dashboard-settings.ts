/**
 * The dotted config keys the dashboard can change ("dns.blocking.ttl"), derived from the one schema that
 * defines them (settings-schema.ts), and the dashboard's view of a config. Saved settings and backups are
 * limited to these keys: one outside the list (http.password, http.bind, dataDir, devices.leasesFile …)
 * belongs to the config file and the environment, never to tracksink.db.
 */
import type { Config } from '../config/schema.js';
import { Settings } from './settings-schema.js';

interface SchemaNode {
  type?: unknown;
  properties?: Record<string, SchemaNode>;
}

const isBranch = (node: SchemaNode): node is Required<SchemaNode> =>
  node.type === 'object' && node.properties !== undefined;

function leafKeys(node: SchemaNode, prefix: string): string[] {
  if (!isBranch(node)) return prefix ? [prefix] : [];
  return Object.entries(node.properties).flatMap(([key, child]) =>
    leafKeys(child, prefix ? `${prefix}.${key}` : key),
  );
}

export const DASHBOARD_SETTING_KEYS: ReadonlySet<string> = new Set(leafKeys(Settings as SchemaNode, ''));

export function isDashboardSetting(key: string): boolean {
  return DASHBOARD_SETTING_KEYS.has(key);
}

/** The part of `value` that `node` describes, copied (the caller may keep it while the config changes). */
function pick(node: SchemaNode, value: unknown): unknown {
  if (!isBranch(node)) return structuredClone(value);
  const from = value as Record<string, unknown>;
  return Object.fromEntries(
    Object.entries(node.properties).map(([key, child]) => [key, pick(child, from[key])]),
  );
}

/** The dashboard's settings as they are in `config`. */
export function settingsOf(config: Config): Settings {
  return pick(Settings as SchemaNode, config) as Settings;
}
