/**
 * The log writer's name → id index, held entirely in memory.
 *
 * Interning through SQLite (look the name up, insert it under a UNIQUE index) costs one random page
 * write per new name: with a million distinct names (the benchmark's all-blocked mix, or a device that
 * resolves random subdomains) that page traffic made the writer spend ~40–80 µs per event. Here a name
 * is found by a 64-bit hash in an open-addressing table of typed arrays (12 bytes a slot, load ≤ ½:
 * ~24 MB for a million names, no per-name JavaScript object), and a new name is only appended to the
 * `names` table, in id order.
 *
 * Two names sharing all 64 hash bits would share an id (one would be shown under the other's name);
 * with a million names the chance is about 3 in 10^8, accepted.
 */

const INITIAL_SLOTS = 1 << 16;

export class NameIndex {
  private hashHi: Int32Array;
  private hashLo: Int32Array;
  /** 0 = empty slot (name ids start at 1). */
  private ids: Uint32Array;
  private mask: number;
  private count = 0;
  // The hash of the last find(), so add() after a miss does not hash the name again.
  private lastHi = 0;
  private lastLo = 0;
  private lastSlot = -1;

  constructor(slots = INITIAL_SLOTS) {
    this.hashHi = new Int32Array(slots);
    this.hashLo = new Int32Array(slots);
    this.ids = new Uint32Array(slots);
    this.mask = slots - 1;
  }

  get size(): number {
    return this.count;
  }

  /** The id of `name`, or 0. Remembers where a missing name would go, for add(). */
  find(name: string): number {
    let hi = 0x811c9dc5;
    let lo = 0x9747b28c;
    for (let i = 0; i < name.length; i++) {
      const c = name.charCodeAt(i);
      hi = Math.imul(hi ^ c, 0x01000193);
      lo = Math.imul(lo ^ c, 0x5bd1e995);
      lo ^= lo >>> 15;
    }
    hi = fmix(hi);
    lo = fmix(lo ^ name.length);
    this.lastHi = hi;
    this.lastLo = lo;
    const ids = this.ids;
    let slot = hi & this.mask;
    for (;;) {
      const id = ids[slot] as number;
      if (id === 0) {
        this.lastSlot = slot;
        return 0;
      }
      if (this.hashHi[slot] === hi && this.hashLo[slot] === lo) return id;
      slot = (slot + 1) & this.mask;
    }
  }

  /** Stores `id` for the name of the last find(), which must have returned 0. */
  add(id: number): void {
    if (this.lastSlot < 0) throw new Error('NameIndex.add() needs a find() that missed');
    this.put(this.lastSlot, this.lastHi, this.lastLo, id);
    this.lastSlot = -1;
    this.count++;
    if (this.count * 2 > this.ids.length) this.grow();
  }

  /** Adds `name` → `id` (loading the index from the names table). */
  set(name: string, id: number): void {
    if (this.find(name) === 0) this.add(id);
  }

  clear(): void {
    this.ids.fill(0);
    this.count = 0;
    this.lastSlot = -1;
  }

  private put(slot: number, hi: number, lo: number, id: number): void {
    this.hashHi[slot] = hi;
    this.hashLo[slot] = lo;
    this.ids[slot] = id;
  }

  private grow(): void {
    const { hashHi, hashLo, ids } = this;
    const slots = ids.length * 2;
    this.hashHi = new Int32Array(slots);
    this.hashLo = new Int32Array(slots);
    this.ids = new Uint32Array(slots);
    this.mask = slots - 1;
    for (let old = 0; old < ids.length; old++) {
      const id = ids[old] as number;
      if (id === 0) continue;
      const hi = hashHi[old] as number;
      let slot = hi & this.mask;
      while (this.ids[slot] !== 0) slot = (slot + 1) & this.mask;
      this.put(slot, hi, hashLo[old] as number, id);
    }
  }
}

/** MurmurHash3's finaliser: spreads every input bit over the 32 output bits. */
function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}
