/** The plain list formats: hosts, domains, wildcard, dnsmasq, unbound, RPZ; normalisation; detection. */
import { describe, expect, it } from 'vitest';
import { Reason } from '../../../server/events/query-event.js';
import { detectFormat } from '../../../server/filter/parse.js';
import { VerdictAction } from '../../../server/filter/verdict.js';
import { decide, engineFor, parse } from './helpers.js';

const BLOCK = VerdictAction.block;
const NONE = VerdictAction.none;

describe('hosts format', () => {
  const text = [
    '# a comment',
    '127.0.0.1 localhost',
    '::1 localhost ip6-localhost ip6-loopback',
    'fe80::1%lo0 localhost',
    '255.255.255.255 broadcasthost',
    '0.0.0.0 0.0.0.0',
    '0.0.0.0 ads.example.com tracker.example.net   metrics.example.org # three names',
    '::1 v6.example.com',
    'fe80::1%lo0 zoned.example.com',
    '127.0.0.1\tTabbed.Example.COM.',
    'ads2.example.com',
    '0.0.0.0',
  ].join('\n');

  it('takes every name after any address, skips header names, reports bad lines', () => {
    const parsed = parse(text, 'hosts');
    // A bare name is a rule too (Blocky's hosts parser reads one; lists mix syntaxes).
    expect(parsed.entries).toBe(7);
    expect(parsed.invalidCount).toBe(1);
    expect(parsed.invalid).toEqual([{ line: 12, text: '0.0.0.0', reason: 'no host name after the address' }]);
  });

  it('matches names exactly, after case and trailing-dot normalisation', () => {
    const engine = engineFor(text, 'hosts');
    for (const name of [
      'ads.example.com',
      'tracker.example.net',
      'metrics.example.org',
      'v6.example.com',
      'tabbed.example.com',
    ]) {
      expect(decide(engine, name).action, name).toBe(BLOCK);
    }
    // A real address is a local record, not a block (AdGuard Home answers with the written address).
    expect(decide(engine, 'zoned.example.com', 28).action).toBe(VerdictAction.rewrite);
    expect(decide(engine, 'sub.ads.example.com').action).toBe(NONE);
    expect(decide(engine, 'example.com').action).toBe(NONE);
    expect(decide(engine, 'localhost').action).toBe(NONE);
  });

  it('reports the line number of the rule that blocked', () => {
    const v = decide(engineFor(text, 'hosts'), 'metrics.example.org');
    expect(v).toMatchObject({ action: BLOCK, reason: Reason.list, listId: 1, ruleId: 7 });
  });
});

describe('domains format', () => {
  it('matches exactly; CRLF, BOM, case, trailing dot, IDN and inline comments are normalised', () => {
    const text =
      '\uFEFFFirst.Example.com\r\n# comment\r\nsecond.example.com.  # why\r\nbücher.example\r\n\r\nbad..name\r\ntwo fields\r\n';
    const parsed = parse(text, 'domains');
    expect(parsed.entries).toBe(3);
    expect(parsed.invalid.map((i) => [i.line, i.reason])).toEqual([
      [6, 'empty label (leading dot or "..")'],
      [7, 'more than one field on a domain-list line'],
    ]);
    const engine = engineFor(text, 'domains');
    expect(decide(engine, 'first.example.com').action).toBe(BLOCK);
    expect(decide(engine, 'first.example.com').ruleId).toBe(1);
    expect(decide(engine, 'second.example.com').action).toBe(BLOCK);
    expect(decide(engine, 'xn--bcher-kva.example').action).toBe(BLOCK);
    expect(decide(engine, 'www.first.example.com').action).toBe(NONE);
  });

  it('rejects names that are not host names, with the reason', () => {
    const long = 'a'.repeat(64) + '.example.com';
    const parsed = parse(
      ['ok.example', 'bad/slash.example', long, '.lead.example', 'x'.repeat(250) + '.example'].join('\n'),
      'domains',
    );
    expect(parsed.entries).toBe(1);
    expect(parsed.invalid.map((i) => i.reason)).toEqual([
      'character not allowed in a domain name',
      'label longer than 63 characters',
      'empty label (leading dot or "..")',
      'name longer than 253 characters',
    ]);
  });
});

describe('wildcard format', () => {
  const text = '*.wild.example\nexact.example\nads.*\n*.bad/char.example\n';
  it('`*.d` covers d and its subdomains, a bare name is exact, other `*` is a glob', () => {
    const engine = engineFor(text, 'wildcard');
    expect(decide(engine, 'wild.example').action).toBe(BLOCK);
    expect(decide(engine, 'a.b.wild.example').action).toBe(BLOCK);
    expect(decide(engine, 'notwild.example').action).toBe(NONE);
    expect(decide(engine, 'exact.example').action).toBe(BLOCK);
    expect(decide(engine, 'sub.exact.example').action).toBe(NONE);
    expect(decide(engine, 'ads.anything.net').action).toBe(BLOCK);
    expect(decide(engine, 'myads.net').action).toBe(NONE);
    expect(parse(text, 'wildcard').invalid.map((i) => i.line)).toEqual([4]);
  });
});

describe('dnsmasq format', () => {
  const text = [
    'address=/addr.example/#',
    'address=/zero.example/0.0.0.0',
    'local=/local.example/',
    'server=/server.example/',
    'server=/forward.example/192.0.2.1',
    'address=/one.example/two.example/',
    'conf-file=/etc/other',
    'address=/#/',
  ].join('\n');
  it('blocks each domain with its subdomains; forwarding and other directives are not blocks', () => {
    const parsed = parse(text, 'dnsmasq');
    expect(parsed.entries).toBe(6);
    expect(parsed.ignoredCount).toBe(2);
    expect(parsed.invalid.map((i) => i.line)).toEqual([7]);
    const engine = engineFor(text, 'dnsmasq');
    for (const name of [
      'addr.example',
      'x.addr.example',
      'zero.example',
      'a.local.example',
      'server.example',
      'one.example',
      'x.two.example',
    ]) {
      expect(decide(engine, name).action, name).toBe(BLOCK);
    }
    expect(decide(engine, 'forward.example').action).toBe(NONE);
    expect(decide(engine, 'xaddr.example').action).toBe(NONE);
  });
});

describe('unbound format', () => {
  const text = [
    'server:',
    'local-zone: "zone.example." always_null',
    'local-zone: "refused.example" refuse',
    'local-zone: "pass.example" transparent',
    'local-data: "data.example A 0.0.0.0"',
    'include: other.conf',
  ].join('\n');
  it('blocking zones cover subdomains, local-data is exact, transparent zones are ignored', () => {
    const parsed = parse(text, 'unbound');
    expect(parsed.entries).toBe(3);
    expect(parsed.ignoredCount).toBe(1);
    expect(parsed.invalid.map((i) => i.line)).toEqual([6]);
    const engine = engineFor(text, 'unbound');
    expect(decide(engine, 'zone.example').action).toBe(BLOCK);
    expect(decide(engine, 'a.zone.example').action).toBe(BLOCK);
    expect(decide(engine, 'refused.example').action).toBe(BLOCK);
    expect(decide(engine, 'pass.example').action).toBe(NONE);
    expect(decide(engine, 'data.example').action).toBe(BLOCK);
    expect(decide(engine, 'sub.data.example').action).toBe(NONE);
  });
});

describe('rpz format', () => {
  const text = [
    '$TTL 300',
    '$ORIGIN rpz.local.',
    '@ IN SOA localhost. root.localhost. (',
    '   1 3600 600 86400 300 )',
    '  NS localhost.',
    'exact.example CNAME .',
    '*.wild.example CNAME .',
    'abs.example.rpz.local. 300 IN CNAME .',
    'nodata.example CNAME *.',
    'pass.wild.example CNAME rpz-passthru.',
    'local.example A 0.0.0.0',
    'broken.example',
    '; a comment',
  ].join('\n');
  it('`d CNAME .` is exact, `*.d` covers d and below, passthru is an exception', () => {
    const parsed = parse(text, 'rpz');
    expect(parsed.entries).toBe(6);
    expect(parsed.invalid.map((i) => i.line)).toEqual([12]);
    const engine = engineFor(text, 'rpz');
    expect(decide(engine, 'exact.example').action).toBe(BLOCK);
    expect(decide(engine, 'sub.exact.example').action).toBe(NONE);
    expect(decide(engine, 'wild.example').action).toBe(BLOCK);
    expect(decide(engine, 'a.wild.example').action).toBe(BLOCK);
    expect(decide(engine, 'abs.example').action).toBe(BLOCK);
    expect(decide(engine, 'nodata.example').action).toBe(BLOCK);
    expect(decide(engine, 'local.example').action).toBe(BLOCK);
    expect(decide(engine, 'pass.wild.example')).toMatchObject({
      action: VerdictAction.allow,
      reason: Reason.listException,
      ruleId: 10,
    });
  });
});

describe('format detection', () => {
  it.each([
    ['0.0.0.0 a.example\n0.0.0.0 b.example', 'hosts'],
    ['# c\na.example\nb.example', 'domains'],
    ['*.a.example\n*.b.example', 'wildcard'],
    ['address=/a.example/#\nserver=/b.example/', 'dnsmasq'],
    ['server:\nlocal-zone: "a.example" always_null', 'unbound'],
    ['$TTL 300\na.example CNAME .\n*.b.example CNAME .', 'rpz'],
    ['! Title: x\n||a.example^\n@@||b.example^', 'adblock'],
    ['[Adblock Plus 2.0]\na.example\nb.example', 'adblock'],
  ] as const)('%j is %s', (text, format) => {
    expect(detectFormat(text)).toBe(format);
    expect(parse(text).format).toBe(format);
  });

  it('an explicit format overrides detection; an unknown one is a clear error', () => {
    expect(parse('0.0.0.0 a.example', 'domains').format).toBe('domains');
    // A hosts line in a domain list is read as a hosts line (per-line syntax), not dropped.
    expect(parse('0.0.0.0 a.example', 'domains').invalidCount).toBe(0);
    expect(parse('0.0.0.0 a.example', 'domains').entries).toBe(1);
    expect(() => parse('a.example', 'nonsense' as never)).toThrow(/unknown format "nonsense"/);
  });
});
