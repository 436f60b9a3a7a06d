/** Maps the list manager's records to the API's List shape (tolerant of 0/1 booleans and snake_case). */
import type { List } from '../schemas/lists.js';

function pick(row: Record<string, unknown>, ...keys: string[]): unknown {
  for (const key of keys) if (row[key] !== undefined) return row[key];
  return undefined;
}
const num = (value: unknown): number | null =>
  typeof value === 'number' && Number.isFinite(value) ? value : null;
const str = (value: unknown): string | null => (typeof value === 'string' ? value : null);

export function toList(raw: unknown, refreshing: ReadonlySet<number> = new Set()): List {
  const row = (raw ?? {}) as Record<string, unknown>;
  const id = num(row.id) ?? 0;
  const kind = row.kind === 'allow' ? 'allow' : 'block';
  return {
    id,
    name: str(row.name) ?? str(row.source) ?? `list ${id}`,
    source: str(row.source) ?? '',
    format: str(row.format) ?? 'auto',
    kind,
    enabled: Boolean(pick(row, 'enabled') ?? true),
    builtin: Boolean(pick(row, 'builtin') ?? false),
    entries: num(pick(row, 'entries')) ?? 0,
    invalidLines: num(pick(row, 'invalidLines', 'invalid_lines', 'invalidCount')) ?? 0,
    lastRefresh: num(pick(row, 'lastRefresh', 'last_refresh')),
    lastSuccess: num(pick(row, 'lastSuccess', 'last_success')),
    lastError: str(pick(row, 'lastError', 'last_error')),
    refreshing: refreshing.has(id),
  };
}
