/**
 * Reads numbers out of other modules' stats objects without depending on their exact shape: those
 * modules are written in parallel and their stats may be plain counters, getters or functions.
 */
export function formatAddress(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'object') {
    const { address, port } = value as { address?: unknown; port?: unknown };
    if (typeof address === 'string' && typeof port === 'number') {
      return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
    }
  }
  return null;
}

/** `source.key` as a number: a number property, a getter or a zero-argument function. */
export function numberAt(source: unknown, ...keys: string[]): number | null {
  if (source === null || typeof source !== 'object') return null;
  for (const key of keys) {
    const value = (source as Record<string, unknown>)[key];
    if (typeof value === 'number' && Number.isFinite(value)) return value;
    if (typeof value === 'bigint') return Number(value);
    if (typeof value === 'function') {
      const result = (value as () => unknown).call(source);
      if (typeof result === 'number') return result;
    }
  }
  return null;
}

/** Calls `source.stats()` when it is a function, else returns `source.stats`. */
export function statsOf(source: unknown): unknown {
  if (source === null || typeof source !== 'object') return undefined;
  const stats = (source as { stats?: unknown }).stats;
  return typeof stats === 'function' ? (stats as () => unknown).call(source) : stats;
}
