/**
 * A compact, allocation-free longest-suffix index: domain → small integer value.
 *
 * Names are hashed from the right one character at a time, so a single pass over a query name yields the
 * hash of each of its suffixes at each label boundary without creating a substring. Each candidate is
 * confirmed by comparing characters with the stored domain, so a hash collision can never attribute a
 * name wrongly. Open addressing with linear probing over typed arrays keeps it small and cache-friendly.
 *
 * Two flags refine "longest suffix":
 * - `SUFFIX_EXACT`: the entry matches only the name itself, not its subdomains (a precise hostname).
 * - `SUFFIX_SHARED`: the domain is shared infrastructure (a cloud or CDN where anyone gets a subdomain,
 *   e.g. amazonaws.com). A deeper name never inherits a match at or above it: `x.s3.amazonaws.com` is
 *   not Amazon's just because amazonaws.com is. Entries below it (`sdtagging.azureedge.net`) still match.
 */

/** The entry matches only the exact name. */
export const SUFFIX_EXACT = 1;
/** Shared infrastructure: matches at or above this domain do not count for deeper names. */
export const SUFFIX_SHARED = 2;

/** Value of an entry that only marks shared infrastructure (no attribution of its own). */
export const NO_VALUE = -1;

const SEED = 0x811c9dc5;

function step(h: number, c: number): number {
  return Math.imul(h ^ c, 0x01000193);
}

function lower(c: number): number {
  return c >= 65 && c <= 90 ? c | 0x20 : c;
}

function hashOf(domain: string): number {
  let h = SEED;
  for (let i = domain.length - 1; i >= 0; i--) h = step(h, lower(domain.charCodeAt(i)));
  return h | 0;
}

export class SuffixIndex {
  private readonly mask: number;
  private readonly hashes: Int32Array;
  /** Entry index + 1 per slot; 0 marks an empty slot. */
  private readonly slots: Int32Array;
  private readonly domains: string[] = [];
  private readonly values: Int32Array;
  private readonly flags: Uint8Array;

  /**
   * `entries`: domain (lower case, no trailing dot) → value ≥ 0 (or NO_VALUE for a bare shared-infrastructure
   * mark), with optional flags. A later duplicate replaces the value; flags of duplicates add up.
   */
  constructor(entries: Iterable<readonly [string, number] | readonly [string, number, number]>) {
    const list = new Map<string, { value: number; flags: number }>();
    for (const entry of entries) {
      const domain = entry[0].toLowerCase();
      const flags = (entry[2] ?? 0) | (list.get(domain)?.flags ?? 0);
      const value = entry[1] === NO_VALUE ? (list.get(domain)?.value ?? NO_VALUE) : entry[1];
      list.set(domain, { value, flags });
    }
    // Every label-aligned suffix of a known domain is in the table too (without a value), so a lookup
    // can stop at the first suffix of the name that is not: no longer suffix can then be known. Most
    // names miss after one or two probes.
    for (const domain of [...list.keys()]) {
      for (let dot = domain.indexOf('.'); dot >= 0; dot = domain.indexOf('.', dot + 1)) {
        const suffix = domain.slice(dot + 1);
        if (!list.has(suffix)) list.set(suffix, { value: NO_VALUE, flags: 0 });
      }
    }
    let size = 16;
    while (size < list.size * 2) size *= 2;
    this.mask = size - 1;
    this.hashes = new Int32Array(size);
    this.slots = new Int32Array(size);
    this.values = new Int32Array(list.size);
    this.flags = new Uint8Array(list.size);
    for (const [domain, { value, flags }] of list) {
      const index = this.domains.length;
      this.domains.push(domain);
      this.values[index] = value;
      this.flags[index] = flags;
      const h = hashOf(domain);
      let slot = h & this.mask;
      while (this.slots[slot] !== 0) slot = (slot + 1) & this.mask;
      this.hashes[slot] = h;
      this.slots[slot] = index + 1;
    }
  }

  /** Number of table entries (known domains and their suffixes). */
  get size(): number {
    return this.domains.length;
  }

  /** Value of the longest known suffix of `name` (label-aligned), or -1. Never allocates. */
  lookup(name: string): number {
    let end = name.length;
    if (end > 0 && name.charCodeAt(end - 1) === 46) end--; // tolerate one trailing dot
    let h = SEED;
    let best = -1;
    for (let i = end - 1; i >= 0; i--) {
      const c = name.charCodeAt(i);
      h = step(h, lower(c));
      if (i === 0 || name.charCodeAt(i - 1) === 46) {
        const entry = this.find(h | 0, name, i, end);
        if (entry < 0) break; // not even a suffix of a known domain: nothing longer can match
        const flags = this.flags[entry] as number;
        if (i > 0) {
          // A deeper name: shared infrastructure forgets what matched so far, exact entries do not apply.
          if ((flags & SUFFIX_SHARED) !== 0) {
            best = -1;
            continue;
          }
          if ((flags & SUFFIX_EXACT) !== 0) continue;
        }
        const value = this.values[entry] as number;
        if (value !== NO_VALUE) best = value;
      }
    }
    return best;
  }

  /** Entry index of exactly name[start, end), or -1. */
  private find(h: number, name: string, start: number, end: number): number {
    let slot = h & this.mask;
    while (true) {
      const entry = this.slots[slot] as number;
      if (entry === 0) return -1;
      if (this.hashes[slot] === h && this.sameAs(entry - 1, name, start, end)) return entry - 1;
      slot = (slot + 1) & this.mask;
    }
  }

  private sameAs(index: number, name: string, start: number, end: number): boolean {
    const domain = this.domains[index] as string;
    if (domain.length !== end - start) return false;
    for (let i = 0; i < domain.length; i++) {
      if (domain.charCodeAt(i) !== lower(name.charCodeAt(start + i))) return false;
    }
    return true;
  }
}
