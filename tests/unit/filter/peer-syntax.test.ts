/**
 * Peer rule semantics at the engine level (the same cases run over real DNS in
 * tests/integration/dns/rule-syntax.test.ts where a socket can carry them). Sources:
 *   [UF]  AdGuard urlfilter dnsengine_test.go: TestClient (IPv6 and CIDR cases, names), TestClientTags
 *         ($badfilter of a restricted rule), TestDNSEngine_MatchRequest_dnsType
 *   [DOC] AdGuard DNS filtering syntax: $client ("addresses, CIDR, names; quote names with spaces"),
 *         $dnsrewrite (short forms, RCODE;TYPE;VALUE)
 */
import { describe, expect, it } from 'vitest';
import { ClientMatcher, parseClientSpec } from '../../../server/filter/client-match.js';
import { AdblockPattern, regexProblem } from '../../../server/filter/name-pattern.js';
import { parseRewrite } from '../../../server/filter/rewrite.js';
import { VerdictAction } from '../../../server/filter/verdict.js';
import { decide, engineWith, listInput, parse } from './helpers.js';

function clientEngine(
  rules: string[],
  identities: Record<number, { addresses: string[]; names?: string[] }>,
) {
  const engine = engineWith([listInput(1, rules.join('\n'), 'adblock')]);
  engine.setDeviceIdentities(
    new Map(
      Object.entries(identities).map(([id, v]) => [
        Number(id),
        { addresses: v.addresses, names: v.names ?? [] },
      ]),
    ),
  );
  return engine;
}

describe('$client [UF TestClient]', () => {
  const engine = clientEngine(
    [
      '||host2^$client=2001::c0:ffee',
      '||host3^$client=~2001::c0:ffee',
      '||host6^$client=2001::c0:ffee/120',
      '||host7^$client=~2001::c0:ffee/120',
      "||host8^$client='Frank\\'s laptop'",
      '||host9^$client=0.0.0.0',
      '||host11^$client=2001::0:00c0:ffee',
      '||host12^$client=192.168.3.0/24',
    ],
    {
      1: { addresses: ['2001::c0:ffee'] },
      2: { addresses: ['2001::c0:ffef'] },
      3: { addresses: ['2001::c0:ff07'] },
      4: { addresses: ['2001::c0:feee'] },
      5: { addresses: ['192.168.3.77'], names: ["Frank's laptop"] },
      6: { addresses: ['0.0.0.0'], names: ['Franks laptop'] },
      7: { addresses: ['::ffff:192.168.3.9'] },
    },
  );
  const blocks = (name: string, device: number): boolean =>
    decide(engine, name, 1, device).action === VerdictAction.block;

  it('IPv6 addresses compare as values, written any way', () => {
    expect(blocks('host2', 1)).toBe(true);
    expect(blocks('host2', 2)).toBe(false);
    expect(blocks('host11', 1)).toBe(true); // 2001::0:00c0:ffee is 2001::c0:ffee
    expect(blocks('host3', 1)).toBe(false);
    expect(blocks('host3', 2)).toBe(true);
  });

  it('IPv6 and IPv4 CIDR ranges', () => {
    expect(blocks('host6', 3)).toBe(true);
    expect(blocks('host6', 4)).toBe(false);
    expect(blocks('host7', 3)).toBe(false);
    expect(blocks('host7', 4)).toBe(true);
    expect(blocks('host12', 5)).toBe(true);
    expect(blocks('host12', 7)).toBe(true); // an IPv4-mapped socket address is the IPv4 address
    expect(blocks('host12', 1)).toBe(false);
  });

  it('device names, quoted with an escaped quote; the unspecified address only matches itself', () => {
    expect(blocks('host8', 5)).toBe(true);
    expect(blocks('host8', 6)).toBe(false);
    expect(blocks('host9', 6)).toBe(true);
    expect(blocks('host9', 5)).toBe(false);
  });

  it('an unknown device gets ~ rules, not positive ones', () => {
    expect(blocks('host3', 0)).toBe(true);
    expect(blocks('host2', 0)).toBe(false);
  });

  it('a device seen at a new address is matched from that query on', () => {
    const matcher = new ClientMatcher(new Map([[9, { addresses: [], names: [] }]]));
    const rule = parse('||x^$client=10.0.0.0/8', 'adblock').slowRules[0]!;
    expect(matcher.allows(rule, 9)).toBe(false);
    matcher.addAddress(9, '10.1.2.3');
    expect(matcher.allows(rule, 9)).toBe(true);
  });

  it('parses addresses, ranges and names', () => {
    expect(parseClientSpec(false, '2001:db8::/32')).toMatchObject({ bits: 32 });
    expect(parseClientSpec(false, '10.0.0.0/8')).toMatchObject({ bits: 104 });
    expect(parseClientSpec(false, 'Mum phone')).toMatchObject({ address: null, value: 'Mum phone' });
    expect(parseClientSpec(false, '10.0.0.0/33').address).toBeNull(); // not a range: a name that never matches
  });
});

describe('$badfilter compares modifier values as sets [UF TestClientTags]', () => {
  it('client, dnstype and denyallow lists in any order, addresses in any spelling', () => {
    const engine = engineWith([
      listInput(
        1,
        [
          '||a.test^$client=127.0.0.1|10.0.0.1',
          '||a.test^$client=10.0.0.1|127.0.0.1,badfilter',
          '||b.test^$dnstype=A|AAAA',
          '||b.test^$dnstype=aaaa|a,badfilter',
          '||c.test^$client=2001::c0:ffee',
          '||c.test^$client=2001::0:00c0:ffee,badfilter',
          '||d.test^$client=127.0.0.1|10.0.0.1',
          '||d.test^$client=127.0.0.1,badfilter',
        ].join('\n'),
        'adblock',
      ),
    ]);
    engine.setDeviceIdentities(new Map([[1, { addresses: ['127.0.0.1', '2001::c0:ffee'], names: [] }]]));
    expect(decide(engine, 'a.test', 1, 1).action).toBe(VerdictAction.none);
    expect(decide(engine, 'b.test', 1, 1).action).toBe(VerdictAction.none);
    expect(decide(engine, 'c.test', 1, 1).action).toBe(VerdictAction.none);
    // A different set is a different rule: not disabled.
    expect(decide(engine, 'd.test', 1, 1).action).toBe(VerdictAction.block);
  });
});

describe('$dnstype [UF TestDNSEngine_MatchRequest_dnsType]', () => {
  it('~A|~AAAA excludes both; ~A|AAAA is AAAA only', () => {
    const engine = engineWith([
      listInput(1, '||mr.test^$dnstype=~A|~AAAA\n||md.test^$dnstype=~A|AAAA', 'adblock'),
    ]);
    expect(decide(engine, 'mr.test', 1).action).toBe(VerdictAction.none);
    expect(decide(engine, 'mr.test', 28).action).toBe(VerdictAction.none);
    expect(decide(engine, 'mr.test', 5).action).toBe(VerdictAction.block);
    expect(decide(engine, 'md.test', 28).action).toBe(VerdictAction.block);
    expect(decide(engine, 'md.test', 1).action).toBe(VerdictAction.none);
    expect(decide(engine, 'md.test', 5).action).toBe(VerdictAction.none);
  });
});

describe('adblock patterns over http://<name>/ (urlfilter) and RE2 regexes', () => {
  it.each([
    ['||example.org/*', 'example.org', true],
    ['||example.org/*', 'sub.example.org', true],
    ['||example.org/*', 'notexample.org', false],
    ['://example.org', 'example.org', true],
    ['://example.org', 'example.org.evil', true], // unanchored at the end, as urlfilter
    ['/sub.', 'sub.example.org', true],
    ['/sub.', 'a.sub.example.org', false],
    ['ads*.example^', 'ads1.example', true],
    ['ads*.example^', 'x.ads1.example', true],
    ['ads*.example^', 'ads1.example.com', false],
    ['|ads.', 'ads.example', true],
    ['|ads.', 'x.ads.example', false],
    ['example.org|', 'www.example.org', true],
    ['example.org|', 'example.org.uk', false],
    ['||*^', 'anything.test', true],
  ])('%s on %s → %s', (pattern, name, expected) => {
    expect(new AdblockPattern(pattern).test(name)).toBe(expected);
  });

  it('RE2 refuses what it cannot run in linear time, with the reason', () => {
    expect(regexProblem('(?=ads)')).toMatch(/\(\?=/);
    expect(regexProblem('(a)\\1')).not.toBe('');
    expect(regexProblem('^(.*\\.)*doubleclick\\.net$')).toBe('');
    expect(regexProblem('a'.repeat(2000))).toMatch(/longer than 1024/);
  });
});

describe('$dnsrewrite values [DOC $dnsrewrite]', () => {
  it.each([
    ['1.2.3.4', { rcode: 0, type: 1, value: '1.2.3.4' }],
    ['::1', { rcode: 0, type: 28, value: '::1' }],
    ['example.net', { rcode: 0, type: 5, value: 'example.net' }],
    ['REFUSED', { rcode: 5, type: 0 }],
    ['nxdomain', { rcode: 3, type: 0 }],
    ['NOERROR;;', { rcode: 0, type: 0 }],
    ['NOERROR;A;1.2.3.4', { rcode: 0, type: 1 }],
    ['NOERROR;MX;32 mail.example.com', { type: 15, value: '32 mail.example.com' }],
    ['NOERROR;TXT;Hello World', { type: 16, value: 'Hello World' }],
    ['NOERROR;HTTPS;32 example.com alpn=h3', { type: 65 }],
    ['NOERROR;SRV;10 60 8080 srv.example', { type: 33 }],
    ['NOERROR;PTR;new-ptr.', { type: 12 }],
  ])('%s', (value, expected) => {
    expect(parseRewrite(value)).toMatchObject(expected);
  });

  it.each([
    'NOERROR;A;not-an-address',
    'NOERROR;MX;mail',
    'BOGUS;;',
    'NOERROR;NS;x',
    'REFUSED;A;1.2.3.4',
    '1;2',
  ])('refuses %s with a reason', (value) => {
    expect(typeof parseRewrite(value)).toBe('string');
  });
});
