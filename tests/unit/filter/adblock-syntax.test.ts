/** Adblock / AdGuard DNS syntax: anchors, wildcards, regex, exceptions and modifiers. */
import { describe, expect, it } from 'vitest';
import { Reason } from '../../../server/events/query-event.js';
import { VerdictAction } from '../../../server/filter/verdict.js';
import { decide, engineFor, engineWith, listInput, parse } from './helpers.js';

const { none: NONE, block: BLOCK, allow: ALLOW } = VerdictAction;

describe('adblock anchors and patterns', () => {
  const text = [
    '! Title: test',
    '||sub.example^',
    '|exact.example^',
    'plain.example',
    '||star*.example^',
    'unanchored-ad*',
    '/^re[0-9]+\\.example$/',
    '0.0.0.0 hostsline.example',
    '||pipe.example^|',
  ].join('\n');
  const engine = engineFor(text, 'adblock');

  it('`||d^` matches d and its subdomains only', () => {
    expect(decide(engine, 'sub.example')).toMatchObject({ action: BLOCK, reason: Reason.list, ruleId: 2 });
    expect(decide(engine, 'a.b.sub.example').action).toBe(BLOCK);
    expect(decide(engine, 'xsub.example').action).toBe(NONE);
    expect(decide(engine, 'pipe.example').action).toBe(BLOCK);
  });

  it('`|d^` and a plain name match exactly', () => {
    expect(decide(engine, 'exact.example').action).toBe(BLOCK);
    expect(decide(engine, 'www.exact.example').action).toBe(NONE);
    expect(decide(engine, 'plain.example').action).toBe(BLOCK);
    expect(decide(engine, 'www.plain.example').action).toBe(NONE);
  });

  it('`*` is a wildcard; an unanchored pattern matches anywhere', () => {
    expect(decide(engine, 'starfish.example').action).toBe(BLOCK);
    expect(decide(engine, 'x.star.example').action).toBe(BLOCK);
    expect(decide(engine, 'star.example.net').action).toBe(NONE);
    expect(decide(engine, 'my-unanchored-ads.net')).toMatchObject({ action: BLOCK, ruleId: 6 });
  });

  it('`/regex/` rules match the name', () => {
    expect(decide(engine, 're42.example')).toMatchObject({ action: BLOCK, ruleId: 7 });
    expect(decide(engine, 'rex.example').action).toBe(NONE);
  });

  it('hosts lines inside an adblock list are exact rules', () => {
    expect(decide(engine, 'hostsline.example').action).toBe(BLOCK);
    expect(decide(engine, 'a.hostsline.example').action).toBe(NONE);
  });
});

describe('adblock exceptions and $important', () => {
  it('`@@` beats a block, `$important` beats `@@`, `@@…$important` beats `$important`', () => {
    const text = [
      '||example.com^',
      '@@||ok.example.com^',
      '||must.ok.example.com^$important',
      '@@||really.must.ok.example.com^$important',
    ].join('\n');
    const engine = engineFor(text, 'adblock');
    expect(decide(engine, 'ads.example.com')).toMatchObject({ action: BLOCK, ruleId: 1 });
    expect(decide(engine, 'ok.example.com')).toMatchObject({
      action: ALLOW,
      reason: Reason.listException,
      ruleId: 2,
    });
    expect(decide(engine, 'x.ok.example.com')).toMatchObject({ action: ALLOW, ruleId: 2 });
    expect(decide(engine, 'must.ok.example.com')).toMatchObject({
      action: BLOCK,
      reason: Reason.list,
      ruleId: 3,
    });
    expect(decide(engine, 'really.must.ok.example.com')).toMatchObject({ action: ALLOW, ruleId: 4 });
  });

  it('an exception in one list beats a block in another; an exception alone changes nothing', () => {
    const engine = engineWith([
      listInput(1, '||tracker.example^', 'adblock'),
      listInput(2, '@@||cdn.tracker.example^\n@@||unrelated.example^', 'adblock'),
    ]);
    expect(decide(engine, 'cdn.tracker.example')).toMatchObject({ action: ALLOW, listId: 2, ruleId: 1 });
    expect(decide(engine, 'pixel.tracker.example')).toMatchObject({ action: BLOCK, listId: 1 });
    expect(decide(engine, 'unrelated.example')).toMatchObject({ action: NONE, reason: Reason.none });
  });

  it("an allow list's entries act as exceptions", () => {
    const engine = engineWith([
      listInput(1, '||tracker.example^', 'adblock'),
      listInput(2, 'good.tracker.example', 'domains', { kind: 'allow' }),
    ]);
    expect(decide(engine, 'good.tracker.example')).toMatchObject({
      action: ALLOW,
      reason: Reason.listException,
      listId: 2,
    });
    expect(decide(engine, 'bad.tracker.example').action).toBe(BLOCK);
  });
});

describe('adblock modifiers', () => {
  it('$badfilter disables the same rule in every list (domain and pattern rules)', () => {
    const engine = engineWith([
      listInput(1, '||gone.example^\n||kept.example^\n||pat*.example^$dnstype=A', 'adblock'),
      listInput(2, '||gone.example^$badfilter\n||pat*.example^$dnstype=A,badfilter', 'adblock'),
    ]);
    expect(decide(engine, 'gone.example').action).toBe(NONE);
    expect(decide(engine, 'kept.example').action).toBe(BLOCK);
    expect(decide(engine, 'path.example').action).toBe(NONE);
    expect(engine.lists.entries).toBe(1);
  });

  it('$dnstype restricts the rule to (or away from) record types', () => {
    const engine = engineFor('||v6.example^$dnstype=AAAA\n||notmx.example^$dnstype=~MX|~TXT', 'adblock');
    expect(decide(engine, 'v6.example', 28).action).toBe(BLOCK);
    expect(decide(engine, 'v6.example', 1).action).toBe(NONE);
    expect(decide(engine, 'notmx.example', 1).action).toBe(BLOCK);
    expect(decide(engine, 'notmx.example', 15).action).toBe(NONE);
  });

  it('$client restricts the rule to devices by address, CIDR or name; ~ excludes', () => {
    const engine = engineFor(
      [
        '||kids.example^$client=192.168.1.0/24',
        "||tv.example^$client='Living Room TV'",
        '||most.example^$client=~10.0.0.9',
      ].join('\n'),
      'adblock',
    );
    engine.setDeviceIdentities(
      new Map([
        [1, { addresses: ['192.168.1.20'], names: ['tablet'] }],
        [2, { addresses: ['10.0.0.9'], names: ['Living Room TV'] }],
      ]),
    );
    expect(decide(engine, 'kids.example', 1, 1).action).toBe(BLOCK);
    expect(decide(engine, 'kids.example', 1, 2).action).toBe(NONE);
    expect(decide(engine, 'tv.example', 1, 2).action).toBe(BLOCK);
    expect(decide(engine, 'tv.example', 1, 1).action).toBe(NONE);
    expect(decide(engine, 'most.example', 1, 1).action).toBe(BLOCK);
    expect(decide(engine, 'most.example', 1, 2).action).toBe(NONE);
    expect(decide(engine, 'most.example', 1, 0).action).toBe(BLOCK);
  });

  it('$denyallow exempts the listed domains and their subdomains', () => {
    const engine = engineFor('||cdn.example^$denyallow=good.cdn.example|fine.cdn.example', 'adblock');
    expect(decide(engine, 'bad.cdn.example').action).toBe(BLOCK);
    expect(decide(engine, 'good.cdn.example').action).toBe(NONE);
    expect(decide(engine, 'x.fine.cdn.example').action).toBe(NONE);
  });

  it('unknown modifiers and cosmetic rules are ignored (not invalid); broken rules are invalid', () => {
    const parsed = parse(
      [
        '||ctag.example^$ctag=device_tv',
        '||fine.example^',
        'example.com##.banner',
        'example.com#@#.banner',
        '##.ad',
        'example.com#$#body { color: red }',
        '||url.example/path/ad.js',
        '/unclosed(/',
        '||x.example^$dnstype=BOGUS',
        '*',
        '||bad..example^',
      ].join('\n'),
      'adblock',
    );
    expect(parsed.entries).toBe(1);
    expect(parsed.ignoredCount).toBe(6);
    expect(parsed.ignored.map((i) => i.line)).toEqual([1, 3, 4, 5, 6, 7]);
    expect(parsed.ignored[0]!.reason).toBe('unsupported modifier $ctag');
    expect(parsed.invalid.map((i) => i.line)).toEqual([8, 9, 10, 11]);
    expect(parsed.invalid[0]!.reason).toMatch(/^bad regular expression/);
    expect(parsed.invalid[1]!.reason).toBe('$dnstype: unknown record type "BOGUS"');
    expect(parsed.invalid[2]!.reason).toBe('rule would match every name');
    const engine = engineFor('||ctag.example^$ctag=device_tv', 'adblock');
    expect(decide(engine, 'ctag.example').action).toBe(NONE);
  });

  it('$important alone stays on the compact path', () => {
    const parsed = parse('||imp.example^$important\n@@||imp.example^', 'adblock');
    expect(parsed.slowRules).toEqual([]);
    expect(parsed.domainCount).toBe(2);
    expect(
      decide(engineFor('||imp.example^$important\n@@||imp.example^', 'adblock'), 'imp.example').action,
    ).toBe(BLOCK);
  });
});
