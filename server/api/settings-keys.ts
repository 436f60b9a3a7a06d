/**
 * The dotted config keys the dashboard can change ("dns.blocking.ttl"), derived from the one schema that
 * defines them (schemas/settings.ts). Saved settings and backups are limited to these: a key outside the
 * list (http.password, http.bind, dataDir, devices.leasesFile …) belongs to the config file and the
 * environment, which the machine's owner controls, never to tracksink.db.
 */
import { Settings } from './schemas/settings.js';

interface SchemaNode {
  type?: unknown;
  properties?: Record<string, SchemaNode>;
}

function leafKeys(node: SchemaNode, prefix: string): string[] {
  if (node.type !== 'object' || node.properties === undefined) return prefix ? [prefix] : [];
  return Object.entries(node.properties).flatMap(([key, child]) =>
    leafKeys(child, prefix ? `${prefix}.${key}` : key),
  );
}

export const DASHBOARD_SETTING_KEYS: ReadonlySet<string> = new Set(leafKeys(Settings as SchemaNode, ''));

export function isDashboardSetting(key: string): boolean {
  return DASHBOARD_SETTING_KEYS.has(key);
}
