/**
 * Settings travel as dotted config keys ("dns.blocking.ttl") between the dashboard, tracksink.db, backups
 * and the running modules; these turn a nested config into such keys and back.
 */

/** `{ dns: { blocking: { ttl: 5 } } }` → `{ 'dns.blocking.ttl': 5 }` (arrays are leaves). */
export function flatten(value: unknown, prefix = ''): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
      Object.assign(out, flatten(child, prefix ? `${prefix}.${key}` : key));
    }
  } else if (prefix) {
    out[prefix] = value;
  }
  return out;
}

/** Sets a dotted key in a nested object in place (every level above it exists). */
export function setIn(target: object, dotted: string, value: unknown): void {
  const parts = dotted.split('.');
  let node = target as Record<string, unknown>;
  for (const part of parts.slice(0, -1)) node = node[part] as Record<string, unknown>;
  node[parts[parts.length - 1] as string] = value;
}

/** The keys whose value differs between two flattened configs (a key that one lacks counts as changed). */
export function changedKeys(before: Record<string, unknown>, after: Record<string, unknown>): string[] {
  return [...new Set([...Object.keys(before), ...Object.keys(after)])].filter(
    (key) => JSON.stringify(before[key]) !== JSON.stringify(after[key]),
  );
}
