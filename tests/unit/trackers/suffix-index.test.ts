import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NO_VALUE, SUFFIX_EXACT, SUFFIX_SHARED, SuffixIndex } from '../../../server/trackers/suffix-index.js';

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

describe('SuffixIndex flags', () => {
  const index = new SuffixIndex([
    ['amazonaws.com', 1],
    ['amazonaws.com', NO_VALUE, SUFFIX_SHARED],
    ['s3.amazonaws.com', NO_VALUE, SUFFIX_SHARED],
    ['bucket.s3.amazonaws.com', 2, SUFFIX_EXACT],
    ['customer.amazonaws.com', 3],
    ['example.com', 4],
  ]);

  it('does not let a deeper name inherit a match at or above shared infrastructure', () => {
    expect(index.lookup('amazonaws.com')).toBe(1); // the shared domain itself is its operator's
    expect(index.lookup('x.execute-api.amazonaws.com')).toBe(-1);
    expect(index.lookup('other.s3.amazonaws.com')).toBe(-1);
    expect(index.lookup('customer.amazonaws.com')).toBe(3);
    expect(index.lookup('a.b.customer.amazonaws.com')).toBe(3); // below the shared domain: a normal suffix
  });

  it('matches exact entries only for the exact name', () => {
    expect(index.lookup('bucket.s3.amazonaws.com')).toBe(2);
    expect(index.lookup('BUCKET.s3.amazonaws.com.')).toBe(2);
    expect(index.lookup('x.bucket.s3.amazonaws.com')).toBe(-1);
  });

  it('still finds a long name when only a suffix of it is known', () => {
    expect(index.lookup('very.deep.name.of.example.com')).toBe(4);
    expect(index.lookup('very.deep.name.of.unknown.com')).toBe(-1);
    expect(index.lookup('com')).toBe(-1); // a bare suffix of known domains is not itself known
  });
});
