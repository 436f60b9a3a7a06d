/**
 * Name hashing shared by the parsers (which hash a domain straight out of the list text) and the
 * matchers (which hash a query name's suffixes). Both hash from the RIGHT, one character at a time, so
 * the running hash at each label boundary of a name is exactly the hash of that suffix as a stand-alone
 * domain: one pass over the name yields the keys of all its suffixes, with no substring allocation.
 *
 * Two independent 32-bit lanes give a 64-bit key; a false match needs both lanes to collide
 * (about n / 2^64 per probe), which is far below any practical concern for lists of millions of names.
 */

export const HASH1_SEED = 0x811c9dc5;
export const HASH2_SEED = 0x3c6ef372;

/** Lane 1: FNV-1a step. */
export function stepHash1(h: number, c: number): number {
  return Math.imul(h ^ c, 0x01000193);
}

/** Lane 2: a multiply-xorshift step with a different constant, independent of lane 1. */
export function stepHash2(h: number, c: number): number {
  const m = Math.imul(h ^ c, 0x5bd1e995);
  return m ^ (m >>> 15);
}

/** Mixes both lanes into a bucket selector (murmur3 finaliser) so similar names spread evenly. */
export function bucketOf(h1: number, h2: number): number {
  let h = h1 ^ Math.imul(h2, 0x85ebca6b);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Lower-cases an ASCII letter code; other codes are returned as they are. */
export function lowerCode(c: number): number {
  return c >= 65 && c <= 90 ? c | 0x20 : c;
}

/** Hash of a whole (already normalised) domain, as a pair written into `out` (parsing and tests). */
export function hashDomain(name: string, out: { hi: number; lo: number }): void {
  let h1 = HASH1_SEED;
  let h2 = HASH2_SEED;
  for (let i = name.length - 1; i >= 0; i--) {
    const c = lowerCode(name.charCodeAt(i));
    h1 = stepHash1(h1, c);
    h2 = stepHash2(h2, c);
  }
  out.hi = h1 >>> 0;
  out.lo = h2 >>> 0;
}
