/** The compact matcher: shared keys across lists, suffix walk, reports and limits. */
import { describe, expect, it } from 'vitest';
import { hashDomain } from '../../../server/filter/domain-hash.js';
import { buildMatcher, emptyListMatch } from '../../../server/filter/matcher.js';
import type { MatchContext } from '../../../server/filter/matcher.js';
import { FLAG_BITS, RuleFlag } from '../../../server/filter/rule-flags.js';
import { VerdictAction } from '../../../server/filter/verdict.js';
import { decide, engineWith, listInput, parse } from './helpers.js';

const ctx: MatchContext = { deviceId: 0, qtype: 1, groups: undefined, clientAllows: () => true };

describe('compact storage', () => {
  it('stores 64-bit name hashes with line and flags, not strings', () => {
    const parsed = parse('||Sub.Example.^\n\nexact.example', 'adblock');
    const key = { hi: 0, lo: 0 };
    hashDomain('sub.example', key);
    expect(parsed.domainCount).toBe(2);
    expect([parsed.hashHi[0], parsed.hashLo[0]]).toEqual([key.hi, key.lo]);
    expect(parsed.meta[0]! >>> FLAG_BITS).toBe(1);
    expect(parsed.meta[0]! & RuleFlag.subdomain).toBe(RuleFlag.subdomain);
    expect(parsed.meta[1]! >>> FLAG_BITS).toBe(3);
    expect(parsed.meta[1]! & RuleFlag.subdomain).toBe(0);
    expect(parsed.lines).toBe(3);
  });

  it('keeps every line of a long list and reports only the first 100 invalid ones', () => {
    const lines = Array.from({ length: 5000 }, (_, i) => (i % 2 === 0 ? `n${i}.example` : `bad name ${i}`));
    const parsed = parse(lines.join('\n'), 'domains');
    expect(parsed.entries).toBe(2500);
    expect(parsed.invalidCount).toBe(2500);
    expect(parsed.invalid).toHaveLength(100);
    expect(parsed.invalid[99]!.line).toBe(200);
    const engine = engineWith([listInput(1, lines.join('\n'), 'domains')]);
    expect(decide(engine, 'n4998.example')).toMatchObject({ action: VerdictAction.block, ruleId: 4999 });
  });

  it('IDN names are stored as punycode in every format', () => {
    const engine = engineWith([
      listInput(1, '0.0.0.0 münchen.example', 'hosts'),
      listInput(2, '||bücher.example^', 'adblock'),
      listInput(3, 'address=/straße.example/#', 'dnsmasq'),
    ]);
    expect(decide(engine, 'xn--mnchen-3ya.example').listId).toBe(1);
    expect(decide(engine, 'www.xn--bcher-kva.example').listId).toBe(2);
    expect(decide(engine, 'xn--strae-oqa.example').listId).toBe(3);
  });
});

describe('buildMatcher', () => {
  it('chains the same name across lists; counts rules and distinct names', () => {
    const matcher = buildMatcher([
      listInput(1, 'a.example\nb.example\na.example', 'domains'),
      listInput(2, '||a.example^', 'adblock'),
    ]);
    expect(matcher.entries).toBe(4);
    expect(matcher.uniqueNames).toBe(2);
    const hits = matcher.collect('a.example', ctx).map((h) => [h.listId, h.line, h.match]);
    expect(hits).toEqual(
      expect.arrayContaining([
        [1, 1, 'exact'],
        [1, 3, 'exact'],
        [2, 1, 'subdomain'],
      ]),
    );
    expect(matcher.collect('x.a.example', ctx).map((h) => [h.listId, h.domain])).toEqual([[2, 'a.example']]);
  });

  it('the most specific suffix wins within a class', () => {
    const matcher = buildMatcher([listInput(1, '||example.com^\n||ads.example.com^', 'adblock')]);
    const out = emptyListMatch();
    matcher.match('x.ads.example.com', ctx, out);
    expect([out.block, out.blockLine]).toEqual([0, 2]);
    matcher.match('www.example.com', ctx, out);
    expect(out.blockLine).toBe(1);
    matcher.match('example.org', ctx, out);
    expect(out.block).toBe(-1);
  });

  it('an empty matcher matches nothing', () => {
    const matcher = buildMatcher([]);
    const out = emptyListMatch();
    matcher.match('anything.example', ctx, out);
    expect(out).toEqual(emptyListMatch());
    expect(matcher.entries).toBe(0);
  });
});
