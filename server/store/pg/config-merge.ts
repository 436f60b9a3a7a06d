/**
 * Three-way merge of the shared configuration document (config-replication.ts): when this replica's
 * write lost the compare-and-set on the document's version, its own change (base → local) is applied
 * again on top of the newer document (theirs). What is guaranteed:
 *
 * - Changes to different things both survive: different settings keys, different rows of any table
 *   (rules, lists, devices, groups, schedules, people, ClientIDs, company policies), different fields of
 *   one row, different members of a set (a device's groups, a list's assignments).
 * - Two replicas adding a group or a person with the same name (case aside), or a list with the same
 *   address, at once: they become one row, as a household means it (one "Kids" group with the members,
 *   lists and rules given to either; one "Anna" with the devices given to either). This replica's row takes
 *   the other's number, every reference follows, and its fields merge into the other's (a field set
 *   differently on both keeps this replica's value, as below). Before, the import refused the two rows
 *   (names and addresses are unique in tracksink.db) and this replica's addition was lost.
 * - Two replicas adding a row with the same number at once (each numbers new rows in its own
 *   tracksink.db): this replica's row gets the next free number and both rows are kept. In `rules`,
 *   `schedules` and `people` nothing else in the document points at the number; a new group's or list's
 *   number is also rewritten wherever this replica's document names it (`groupId`, `groupIds`, `listId`,
 *   `listIds`: its devices, rules, schedules, people, profiles, list assignments) before the merge. In
 *   other tables the other replica's row is kept and this one's addition is reported as lost (devices
 *   cannot meet this: each replica numbers new devices in its own block, see devices-repo's id blocks).
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
  /** Rows of this replica joined into the other's row of the same name or address ('groups "kids" #2 → #3'). */
  joined: string[];
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

/**
 * Times that move by themselves on each replica (a device's first and last use, when a merged device id
 * was folded, when the document was exported): not a change worth sharing, nor a collision.
 */
export const VOLATILE_KEYS: ReadonlySet<string> = new Set([
  'exportedAt',
  'firstSeen',
  'lastSeen',
  'mergedAt',
]);
const volatile = (key: string): boolean => VOLATILE_KEYS.has(key);

/**
 * Equal but for VOLATILE_KEYS: a device whose last use moved here is not a change that brings it back
 * after the other replica deleted it (say, joined it into another: devices/replica-duplicates.ts).
 */
function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  return canonicalJson(a, volatile) === canonicalJson(b, volatile);
}

/** A row's identity within its array: its id, else its natural key, else the whole value (a set). */
function identity(item: unknown): string {
  if (!isObject(item)) return `=${canonicalJson(item)}`;
  if (typeof item.id === 'number') return `#${item.id}`;
  if (typeof item.clientId === 'string') return `c:${item.clientId}`;
  if (typeof item.oldId === 'number') return `o:${item.oldId}`;
  if (typeof item.companyKey === 'string') return `k:${item.companyKey}|${String(item.groupId ?? '')}`;
  if (typeof item.address === 'string') return `a:${item.address}`;
  return `=${canonicalJson(item)}`;
}

/** Tables whose row numbers other rows name, with the fields that name them. */
const REFERENCED: Record<string, { one: string; many: string }> = {
  groups: { one: 'groupId', many: 'groupIds' },
  lists: { one: 'listId', many: 'listIds' },
};

export function mergeConfig(base: Doc, local: Doc, theirs: Doc): MergeResult {
  const result: MergeResult = { data: {}, joined: [], lost: [], renumbered: [] };
  let mine = local;
  for (const [table, fields] of Object.entries(REFERENCED)) {
    mine = renumberReferenced(base, mine, theirs, table, fields, result);
  }
  // People: nothing names them, so only a same-named new person needs the other's number (mergeRows joins it).
  mine = renumberReferenced(base, mine, theirs, 'people', null, result);
  result.data = mergeValue(base, mine, theirs, '', result) as Doc;
  return result;
}

const rowsOf = (doc: Doc, table: string): Doc[] =>
  Array.isArray(doc[table]) ? (doc[table] as unknown[]).filter(isObject) : [];
const idOf = (row: Doc): number | null => (typeof row.id === 'number' ? row.id : null);

/** What makes two rows of a table one thing to a household: a group's or person's name, a list's address. */
const NATURAL_KEYS: Record<string, (row: Doc) => string | null> = {
  groups: (row) => (typeof row.name === 'string' ? row.name.trim().toLowerCase() : null),
  people: (row) => (typeof row.name === 'string' ? row.name.trim().toLowerCase() : null),
  lists: (row) => (typeof row.source === 'string' ? row.source.trim() : null),
};

/** Both rows name the same thing (NATURAL_KEYS): they are to be one row, not two. */
function sameNaturalKey(table: string, a: unknown, b: unknown): boolean {
  const key = NATURAL_KEYS[table];
  if (key === undefined || !isObject(a) || !isObject(b)) return false;
  const mine = key(a);
  return mine !== null && mine === key(b);
}

/**
 * This replica's new rows of `table`: one with the same name or address as a row of the other replica takes
 * that row's number (joined: mergeRows merges the two); one whose number the other replica gave to a
 * different new row gets the next free number. Every reference to a moved number in this replica's document
 * follows (`fields`; null when nothing names the table's rows).
 */
function renumberReferenced(
  base: Doc,
  local: Doc,
  theirs: Doc,
  table: string,
  fields: { one: string; many: string } | null,
  out: MergeResult,
): Doc {
  const before = new Set(rowsOf(base, table).map(idOf));
  const other = new Map(rowsOf(theirs, table).map((row) => [idOf(row), row]));
  const taken = [base, local, theirs].flatMap((doc) => rowsOf(doc, table).map((row) => idOf(row) ?? 0));
  let next = Math.max(0, ...taken);
  const moved = new Map<number, number>();
  for (const row of rowsOf(local, table)) {
    const id = idOf(row);
    if (id === null || before.has(id)) continue;
    const twin = rowsOf(theirs, table).find((theirsRow) => sameNaturalKey(table, row, theirsRow));
    const twinId = twin === undefined ? null : idOf(twin);
    if (twinId !== null) {
      if (twinId !== id) moved.set(id, twinId);
      if (!same(row, twin))
        out.joined.push(`${table} ${JSON.stringify(NATURAL_KEYS[table]!(row))} #${id} → #${twinId}`);
      continue;
    }
    if (fields === null) continue; // mergeRows renumbers these (RENUMBERED)
    const theirsRow = other.get(id);
    if (theirsRow === undefined || same(row, theirsRow)) continue;
    next += 1;
    moved.set(id, next);
    out.renumbered.push(`${table} #${id} → #${next}`);
  }
  if (moved.size === 0) return local;
  const renamed = (id: unknown): unknown => (typeof id === 'number' ? (moved.get(id) ?? id) : id);
  const rewrite = (value: unknown, key: string, inTable: boolean): unknown => {
    if (Array.isArray(value)) return value.map((item) => rewrite(item, key, key === table));
    if (!isObject(value)) return value;
    const copy: Doc = {};
    for (const [name, inner] of Object.entries(value)) {
      if ((name === 'id' && inTable) || name === fields?.one) copy[name] = renamed(inner);
      else if (name === fields?.many && Array.isArray(inner)) copy[name] = inner.map(renamed);
      else copy[name] = rewrite(inner, name, false);
    }
    return copy;
  };
  return rewrite(local, '', false) as Doc;
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
      if (sameNaturalKey(path, own, row)) {
        // Both added the same group, person or list (renumberReferenced gave ours their number): one row.
        merged.push(mergeValue(undefined, own, row, path, out));
        continue;
      }
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
