/**
 * Three-way merge of the shared configuration document (config-replication.ts): when this replica's
 * write lost the compare-and-set on the document's version, its own change (base → local) is applied
 * again on top of the newer document (theirs). What is guaranteed:
 *
 * - Changes to different things both survive: different settings keys, different rows of any table
 *   (rules, lists, devices, groups, schedules, people, ClientIDs, company policies), different fields of
 *   one row, different members of a set (a device's groups, a list's assignments).
 * - Two replicas adding a row with the same number at once (each numbers new rules in its own
 *   tracksink.db): in `rules`, `schedules` and `people`, whose numbers nothing else in the document
 *   points at, this replica's row gets the next free number and both rows are kept. In other tables the
 *   other replica's row is kept and this one's addition is reported as lost (devices cannot meet this:
 *   each replica numbers new devices in its own block, see devices-repo's id blocks).
 * - The same field changed differently on both: this replica's value wins (it is the later change); a
 *   row deleted on one side and changed on the other is deleted.
 * The caller imports the result with the backup checks; a result that fails them (say, a rule naming a
 * group the other replica deleted) is not forced: the other replica's document is taken whole.
 */

type Doc = Record<string, unknown>;

/** Top-level arrays whose row numbers nothing in the document refers to: colliding additions renumber. */
const RENUMBERED = new Set(['rules', 'schedules', 'people']);

export interface MergeResult {
  data: Doc;
  /** What this replica added that could not be kept ("groups #4"). */
  lost: string[];
  /** Rows of this replica renumbered to keep both ("rules #12 → #13"). */
  renumbered: string[];
}

function isObject(value: unknown): value is Doc {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** JSON text with every object's keys sorted (and the keys `skip` names left out), for comparing. */
export function canonicalJson(value: unknown, skip: (key: string) => boolean = () => false): string {
  return JSON.stringify(value, (key, inner: unknown) => {
    if (skip(key)) return undefined;
    if (!isObject(inner)) return inner;
    return Object.fromEntries(
      Object.keys(inner)
        .sort()
        .map((name) => [name, inner[name]]),
    );
  });
}

function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  return canonicalJson(a) === canonicalJson(b);
}

/** A row's identity within its array: its id, else its natural key, else the whole value (a set). */
function identity(item: unknown): string {
  if (!isObject(item)) return `=${canonicalJson(item)}`;
  if (typeof item.id === 'number') return `#${item.id}`;
  if (typeof item.clientId === 'string') return `c:${item.clientId}`;
  if (typeof item.companyKey === 'string') return `k:${item.companyKey}|${String(item.groupId ?? '')}`;
  if (typeof item.address === 'string') return `a:${item.address}`;
  return `=${canonicalJson(item)}`;
}

export function mergeConfig(base: Doc, local: Doc, theirs: Doc): MergeResult {
  const result: MergeResult = { data: {}, lost: [], renumbered: [] };
  result.data = mergeValue(base, local, theirs, '', result) as Doc;
  return result;
}

function mergeValue(base: unknown, local: unknown, theirs: unknown, path: string, out: MergeResult): unknown {
  if (same(local, theirs) || same(theirs, base)) return local;
  if (same(local, base)) return theirs;
  if (isObject(local) && isObject(theirs)) {
    const from = isObject(base) ? base : {};
    const merged: Doc = {};
    for (const key of new Set([...Object.keys(theirs), ...Object.keys(local)])) {
      const value = mergeValue(from[key], local[key], theirs[key], path === '' ? key : `${path}.${key}`, out);
      if (value !== undefined) merged[key] = value;
    }
    return merged;
  }
  if (Array.isArray(local) && Array.isArray(theirs)) {
    return mergeRows(Array.isArray(base) ? base : [], local, theirs, path, out);
  }
  // One value changed differently on both sides (or deleted on one): this replica's change is the later.
  return local;
}

function mergeRows(base: unknown[], local: unknown[], theirs: unknown[], path: string, out: MergeResult) {
  const byKey = (rows: unknown[]) => new Map(rows.map((row) => [identity(row), row]));
  const was = byKey(base);
  const mine = byKey(local);
  const other = byKey(theirs);
  const merged: unknown[] = [];
  const collided: Doc[] = [];
  for (const [key, row] of other) {
    const before = was.get(key);
    const own = mine.get(key);
    if (before === undefined && own !== undefined && !same(own, row)) {
      // Both added a row under the same number.
      if (RENUMBERED.has(path) && isObject(own)) collided.push(own);
      else out.lost.push(`${path} ${key}`);
      merged.push(row);
      continue;
    }
    const value = mergeValue(before, own, row, path, out);
    if (value !== undefined) merged.push(value);
  }
  for (const [key, row] of mine) {
    if (other.has(key)) continue;
    const value = mergeValue(was.get(key), row, undefined, path, out);
    if (value !== undefined) merged.push(value);
  }
  let next = Math.max(0, ...merged.map((row) => (isObject(row) && typeof row.id === 'number' ? row.id : 0)));
  for (const row of collided) {
    next += 1;
    out.renumbered.push(`${path} #${String(row.id)} → #${next}`);
    merged.push({ ...row, id: next });
  }
  return merged;
}
