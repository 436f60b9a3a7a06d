import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SuffixIndex } from '../../../server/trackers/suffix-index.js';

describe('SuffixIndex', () => {
  const index = new SuffixIndex([
    ['example.com', 1],
    ['a.example.com', 2],
    ['b.a.example.com', 3],
    ['co.uk', 4],
  ]);

  it('returns the longest label-aligned suffix', () => {
    expect(index.lookup('example.com')).toBe(1);
    expect(index.lookup('x.example.com')).toBe(1);
    expect(index.lookup('x.a.example.com')).toBe(2);
    expect(index.lookup('b.a.example.com')).toBe(3);
    expect(index.lookup('z.b.a.example.com')).toBe(3);
    expect(index.lookup('badexample.com')).toBe(-1);
    expect(index.lookup('example.org')).toBe(-1);
    expect(index.lookup('EXAMPLE.com.')).toBe(1);
  });

  it('agrees with a naive implementation on random names', () => {
    const label = fc.constantFrom('a', 'b', 'example', 'com', 'co', 'uk', 'x');
    const name = fc.array(label, { minLength: 1, maxLength: 5 }).map((labels) => labels.join('.'));
    fc.assert(
      fc.property(fc.array(name, { maxLength: 20 }), name, (domains, query) => {
        const idx = new SuffixIndex(domains.map((d, i) => [d, i] as const));
        const last = new Map(domains.map((d, i) => [d, i]));
        let expected = -1;
        const labels = query.split('.');
        for (let i = labels.length - 1; i >= 0; i--) {
          const found = last.get(labels.slice(i).join('.'));
          if (found !== undefined) expected = found;
        }
        expect(idx.lookup(query)).toBe(expected);
      }),
      { numRuns: 300 },
    );
  });
});
