/**
 * A compact, allocation-free longest-suffix index: domain → small integer value.
 *
 * Names are hashed from the right one character at a time, so a single pass over a query name yields the
 * hash of each of its suffixes at each label boundary without creating a substring. Each candidate is
 * confirmed by comparing characters with the stored domain, so a hash collision can never attribute a
 * name wrongly. Open addressing with linear probing over typed arrays keeps it small and cache-friendly.
 */

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

  /** `entries`: domain (lower case, no trailing dot) → value ≥ 0. Later duplicates replace earlier ones. */
  constructor(entries: Iterable<readonly [string, number]>) {
    const list = new Map<string, number>();
    for (const [domain, value] of entries) list.set(domain.toLowerCase(), value);
    let size = 16;
    while (size < list.size * 2) size *= 2;
    this.mask = size - 1;
    this.hashes = new Int32Array(size);
    this.slots = new Int32Array(size);
    this.values = new Int32Array(list.size);
    for (const [domain, value] of list) {
      const index = this.domains.length;
      this.domains.push(domain);
      this.values[index] = value;
      const h = hashOf(domain);
      let slot = h & this.mask;
      while (this.slots[slot] !== 0) slot = (slot + 1) & this.mask;
      this.hashes[slot] = h;
      this.slots[slot] = index + 1;
    }
  }

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
        const found = this.find(h | 0, name, i, end);
        if (found >= 0) best = found;
      }
    }
    return best;
  }

  private find(h: number, name: string, start: number, end: number): number {
    let slot = h & this.mask;
    while (true) {
      const entry = this.slots[slot] as number;
      if (entry === 0) return -1;
      if (this.hashes[slot] === h && this.sameAs(entry - 1, name, start, end))
        return this.values[entry - 1] as number;
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
