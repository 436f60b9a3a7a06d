/**
 * A small seeded PRNG (sfc32) so every benchmark input is the same on every machine and every run:
 * results from two runs, or two machines, then compare the same queries.
 */
export interface Random {
  /** Uniform float in [0, 1). */
  next(): number;
  /** Uniform integer in [0, max). */
  int(max: number): number;
  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T;
}

export function createRandom(seed: number): Random {
  // sfc32 state seeded from one 32-bit number via splitmix-style mixing, so nearby seeds diverge.
  let a = 0x9e3779b9;
  let b = 0x243f6a88;
  let c = 0xb7e15162;
  let d = seed >>> 0;
  const step = (): number => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 15; i++) step();
  return {
    next: step,
    int: (max) => Math.floor(step() * max),
    pick: (items) => {
      if (items.length === 0) throw new Error('pick: empty list');
      return items[Math.floor(step() * items.length)] as (typeof items)[number];
    },
  };
}
