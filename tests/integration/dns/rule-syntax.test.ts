/**
 * Rule syntax as AdGuard Home, hosts files and Blocky read it, checked end to end: list text → parseList
 * → PolicyEngine → the real DNS server on a random port, asked with dig. Device identities come from a
 * real DeviceRegistry (SQLite file) through DeviceIdentityFeed, as services.ts wires them.
 *
 * Each assertion restates a peer's documented behaviour; the source is named beside it:
 *   [UF]  AdGuard urlfilter dnsengine_test.go (TestClient, TestDNSEngine_MatchRequest_dnsType,
 *         TestDNSEngineMatchHostname, TestHostLevelNetworkRuleWithProtocol, TestMultipleIPPerHost,
 *         TestDNSEnginePriority, TestBadfilterRules, TestSlash)
 *   [AGH] AdGuard Home internal/filtering/dnsrewrite_test.go (TestDNSFilter_CheckHostRules_dnsrewrite)
 *   [DOC] AdGuard DNS filtering syntax (adguard-dns.io/kb/general/dns-filtering-syntax): $client, $dnstype,
 *         $dnsrewrite (short forms, NOERROR;;, exceptions), hosts syntax
 *   [3789] AdGuard Home issue #3789: a hosts name with only an IPv6 address answers AAAA; A is empty NOERROR
 *   [BL]  Blocky lists/parsers/hosts_test.go ("Hosts" parsing valid lines / invalid lines): one list mixing
 *         plain names, hosts lines with aliases and comments, /regex/, IDN, `*.name` and `||name^`
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../server/config/load.js';
import { DeviceRegistry } from '../../../server/devices/registry.js';
import { type DnsServer, startDnsServer } from '../../../server/dns/dns-server.js';
import { QueryStatus, Reason, type QueryEvent } from '../../../server/events/query-event.js';
import { DeviceIdentityFeed } from '../../../server/filter/device-identities.js';
import { buildMatcher } from '../../../server/filter/matcher.js';
import { parseList } from '../../../server/filter/parse.js';
import type { ListFormat } from '../../../server/filter/parse.js';
import { PolicyEngine } from '../../../server/filter/policy-engine.js';
import { silentLogger } from '../../../server/logger.js';
import { openConfigDb, type Db } from '../../../server/store/sqlite.js';
import { dig, type DigResult } from '../../helpers/dns-clients.js';
import { eventually } from '../../helpers/dns-harness.js';
import { createSimpleUpstreamPool, type SimpleUpstreamPool } from '../../helpers/simple-upstream-pool.js';
import { startStubDnsServer, type StubDnsServer } from '../../helpers/upstream/stub-dns-server.js';

const UPSTREAM_A = '192.0.2.1';
const dir = mkdtempSync(join(tmpdir(), 'tracksink-rule-syntax-'));
let stub: StubDnsServer;
let pool: SimpleUpstreamPool;
let server: DnsServer;
let db: Db;
let registry: DeviceRegistry;
const engine = new PolicyEngine({ catalogBlocking: false });
const events: QueryEvent[] = [];

beforeAll(async () => {
  stub = await startStubDnsServer({
    defaultA: UPSTREAM_A,
    zone: { 'target.test': { A: ['203.0.113.7'] } },
  });
  pool = createSimpleUpstreamPool('127.0.0.1', stub.port, 2000);
  db = openConfigDb(join(dir, 'tracksink.db'));
  let feed: DeviceIdentityFeed | null = null;
  registry = new DeviceRegistry({
    db,
    logger: silentLogger,
    neighbourTable: { read: async () => new Map() },
    onIdentityChange: () => feed?.sync(),
  });
  feed = new DeviceIdentityFeed(registry, engine);
  // The registry's first pass (MAC table, names, the 5 MB OUI file) runs now, not during a dig.
  registry.deviceIdFor('192.0.2.200');
  await registry.refresh();
  const config = defaultConfig().dns;
  config.bind = '127.0.0.1';
  config.port = 0;
  server = await startDnsServer({
    config,
    policy: engine,
    devices: feed,
    log: { record: (ev) => void events.push({ ...ev }) },
    upstreams: pool,
    logger: silentLogger,
  });
});

afterAll(async () => {
  await server?.close();
  await pool?.close();
  await stub?.close();
  await registry?.close();
  db?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Loads lists (text, format) into the engine as lists 1, 2, … */
function load(...lists: Array<[string, ListFormat | 'auto']>): void {
  engine.setLists(
    buildMatcher(
      lists.map(([text, format], i) => ({
        id: i + 1,
        name: `list ${i + 1}`,
        kind: 'block' as const,
        parsed: parseList(text, { listId: i + 1, format }),
      })),
    ),
  );
}

const ask = (name: string, type = 'A'): Promise<DigResult> => dig(server.udpAddress.port, name, type);
const data = (r: DigResult): string[] => r.answers.map((a) => a.data);
const blocked = (r: DigResult): boolean =>
  r.status === 'NOERROR' && (data(r)[0] === '0.0.0.0' || data(r)[0] === '::');
const forwarded = (r: DigResult): boolean => r.status === 'NOERROR' && data(r).includes(UPSTREAM_A);

async function lastEvent(name: string): Promise<QueryEvent> {
  await eventually(() => events.some((e) => e.name === name));
  return events.filter((e) => e.name === name).at(-1)!;
}

describe('$client applies at run time (device identities from the registry)', () => {
  it('addresses, ranges and ~negations [UF TestClient]', async () => {
    load([
      [
        '||host0.test^$client=127.0.0.1',
        '||host1.test^$client=~127.0.0.1',
        '||host4.test^$client=127.0.0.1/24',
        '||host5.test^$client=~127.0.0.1/24',
        '||host9.test^$client=0.0.0.0',
        '||host10.test^$client=10.1.1.1',
      ].join('\n'),
      'auto',
    ]);
    expect(blocked(await ask('host0.test'))).toBe(true);
    expect(forwarded(await ask('host1.test'))).toBe(true);
    expect(blocked(await ask('host4.test'))).toBe(true);
    expect(forwarded(await ask('host5.test'))).toBe(true);
    expect(forwarded(await ask('host9.test'))).toBe(true); // only the unspecified address
    expect(forwarded(await ask('host10.test'))).toBe(true);
    // Explain agrees, and says why a rule did not apply.
    const deviceId = (await lastEvent('host10.test')).deviceId;
    expect(deviceId).toBeGreaterThan(0);
    const why = engine.explain('host10.test', deviceId);
    expect(why.matches[0]).toMatchObject({ applies: false });
    expect(why.matches[0]!.outcome).toMatch(/did not apply: the rule is only for 10\.1\.1\.1/);
    expect(engine.explain('host1.test', deviceId).matches[0]!.outcome).toMatch(/excludes this device/);
    expect(engine.explain('host0.test', deviceId).matches[0]!.outcome).toBe('blocked');
  });

  it("a device name ($client='Mum phone') matches once the device is given that name [DOC $client]", async () => {
    load(["||mum.test^$client='Mum phone'\n||notmum.test^$client=~'Mum phone'", 'auto']);
    expect(forwarded(await ask('mum.test'))).toBe(true);
    expect(blocked(await ask('notmum.test'))).toBe(true);
    const id = (await lastEvent('mum.test')).deviceId;
    registry.update(id, { name: 'Mum phone' });
    expect(blocked(await ask('mum.test'))).toBe(true);
    expect(forwarded(await ask('notmum.test'))).toBe(true);
    registry.update(id, { name: null });
    expect(forwarded(await ask('mum.test'))).toBe(true);
  });

  it('$badfilter compares $client values as a set [UF TestClientTags, host5]', async () => {
    load([
      '||bf.test^$client=127.0.0.1|10.0.0.1\n||bf.test^$client=10.0.0.1|127.0.0.1,badfilter\n||bf2.test^$client=127.0.0.1',
      'auto',
    ]);
    expect(forwarded(await ask('bf.test'))).toBe(true);
    expect(blocked(await ask('bf2.test'))).toBe(true);
  });
});

describe('hosts lines with a real address are local records', () => {
  const hosts = [
    '127.0.0.1 localhost',
    '0.0.0.0 blocked.test',
    ':: blocked6.test',
    '::1 loop6.test',
    '192.168.1.10 nas.home # the NAS',
    '1.1.1.1 a.test b.test',
    '1.1.1.1 multi.test',
    '2.2.2.2 multi.test',
    '2001:db8::5 v6only.test',
    '10.0.0.5 excepted.test',
    '10.0.0.6 outranked.test',
  ].join('\n');

  it('answer the written address with a TTL, other types empty [UF TestDNSEngineMatchHostname, 3789]', async () => {
    load([hosts, 'hosts']);
    const nas = await ask('nas.home');
    expect(nas.status).toBe('NOERROR');
    expect(nas.answers).toEqual([{ name: 'nas.home.', ttl: 60, type: 'A', data: '192.168.1.10' }]);
    const nasV6 = await ask('nas.home', 'AAAA');
    expect(nasV6.status).toBe('NOERROR');
    expect(nasV6.answers).toEqual([]);
    expect(data(await ask('b.test'))).toEqual(['1.1.1.1']);
    expect(data(await ask('multi.test')).sort()).toEqual(['1.1.1.1', '2.2.2.2']); // [UF TestMultipleIPPerHost]
    expect(data(await ask('v6only.test', 'AAAA'))).toEqual(['2001:db8::5']);
    expect((await ask('v6only.test', 'A')).answers).toEqual([]);
    // 0.0.0.0, 127.0.0.1, :: and ::1 still mean blocked.
    expect(blocked(await ask('blocked.test'))).toBe(true);
    expect(blocked(await ask('blocked6.test'))).toBe(true);
    expect(blocked(await ask('loop6.test'))).toBe(true);
    // Logged as a local answer, rewritten, with the list and line of the rule.
    const ev = await lastEvent('nas.home');
    expect(ev).toMatchObject({ status: QueryStatus.local, reason: Reason.rewritten, listId: 1, ruleId: 5 });
    const why = engine.explain('nas.home', ev.deviceId);
    expect(why.action).toBe('rewrite');
    expect(why.winner).toMatchObject({
      line: 5,
      effect: 'rewrite',
      rewrite: 'A 192.168.1.10',
      outcome: 'rewrote: A 192.168.1.10',
    });
  });

  it('network rules outrank hosts rules: @@ un-blocks, || blocks [UF TestDNSEnginePriority]', async () => {
    load([hosts, 'hosts'], ['@@||excepted.test^\n||outranked.test^', 'adblock']);
    expect(forwarded(await ask('excepted.test'))).toBe(true);
    expect(blocked(await ask('outranked.test'))).toBe(true);
  });
});

describe('lists that mix syntaxes are read line by line', () => {
  it('a hosts list keeps its ||x^ and @@||x^ lines; a domain list its hosts lines', async () => {
    const hostsList = '0.0.0.0 mixed-a.test\n||mixed-b.test^\n0.0.0.0 mixed-c.test\n@@||mixed-c.test^\n';
    const parsed = parseList(hostsList, { listId: 1, format: 'hosts' });
    expect(parsed.invalidCount).toBe(0);
    load([hostsList, 'hosts'], ['plain.test # a comment\n0.0.0.0 fromhosts.test\n', 'domains']);
    expect(blocked(await ask('mixed-a.test'))).toBe(true);
    expect(blocked(await ask('sub.mixed-b.test'))).toBe(true);
    expect(forwarded(await ask('mixed-c.test'))).toBe(true);
    expect(blocked(await ask('plain.test'))).toBe(true); // trailing comment keeps working
    expect(blocked(await ask('fromhosts.test'))).toBe(true);
  });

  it("a mixed list as Blocky's hosts parser reads it [BL]", async () => {
    const blocky = [
      'localhost',
      '# comment',
      '  ',
      '127.0.0.1 domain.tld # comment',
      '::1 localhost alias.test',
      '/domain\\.(tld|local)/',
      '/^(.*\\.)?2023\\.xn--aptslabs-6fd\\.net$/',
      'müller.com',
      '*.example.com',
      '||0-c1j0.lat^',
      'xn----7sbhlqiujscje.xn--p1ai',
      'invalidIP localhost',
      'invalid.*.wildcard',
    ].join('\n');
    for (const format of ['hosts', 'auto'] as const) {
      const parsed = parseList(blocky, { listId: 1, format });
      expect(
        parsed.invalid.map((i) => i.line),
        format,
      ).toEqual([12, 13]);
      load([blocky, format]);
      for (const name of [
        'domain.tld',
        'alias.test',
        'domain.local',
        'www.2023.xn--aptslabs-6fd.net',
        'xn--mller-kva.com',
        'sub.example.com',
        'example.com',
        'x.0-c1j0.lat',
        'xn----7sbhlqiujscje.xn--p1ai',
      ]) {
        expect(blocked(await ask(name)), `${format}: ${name}`).toBe(true);
      }
    }
  });

  it('one bad line is skipped with its line and reason; the rest loads', () => {
    const parsed = parseList('||good1.test^\n||bad^$dnsrewrite=NOERROR;MX;x\n/(/\n||good2.test^', {
      listId: 1,
    });
    expect(parsed.entries).toBe(2);
    expect(parsed.invalid.map((i) => i.line)).toEqual([2, 3]);
    expect(parsed.invalid[0]!.reason).toMatch(/dnsrewrite/);
    expect(parsed.invalid[1]!.reason).toMatch(/bad regular expression/);
  });
});

describe('$dnstype', () => {
  it('~A|AAAA is AAAA only [UF TestDNSEngine_MatchRequest_dnsType multiple_different]', async () => {
    load(['||dt.test^$dnstype=~A|AAAA\n||rev.test^$dnstype=~AAAA', 'auto']);
    expect(blocked(await ask('dt.test', 'AAAA'))).toBe(true);
    expect(forwarded(await ask('dt.test', 'A'))).toBe(true);
    expect(blocked(await ask('rev.test', 'A'))).toBe(true);
    expect((await ask('rev.test', 'AAAA')).answers.map((a) => a.data)).not.toContain('::');
  });

  it('a rule with no name pattern ($dnstype=AAAA) keeps the list adblock and applies to every name [DOC $dnstype]', async () => {
    const text = '$dnstype=AAAA\n||x.test^';
    expect(parseList(text, { listId: 1 }).format).toBe('adblock');
    load([text, 'auto']);
    expect(blocked(await ask('anything.test', 'AAAA'))).toBe(true);
    expect(forwarded(await ask('anything.test', 'A'))).toBe(true);
  });
});

describe('URL-shaped patterns match http://<name> as urlfilter does', () => {
  it('||d/*, ://d and /sub. block; a rule with a path never does [UF TestDNSEngineMatchHostname, TestHostLevelNetworkRuleWithProtocol, TestSlash]', async () => {
    load(['||url1.test/*\n://url2.test\n/sub.\n||url3.test/ads.js\n/$client=127.0.0.1', 'auto']);
    expect(blocked(await ask('url1.test'))).toBe(true);
    expect(blocked(await ask('url2.test'))).toBe(true);
    expect(blocked(await ask('sub.example.test'))).toBe(true);
    expect(forwarded(await ask('url3.test'))).toBe(true);
    expect(forwarded(await ask('other.test'))).toBe(true);
  });
});

describe('$dnsrewrite [AGH TestDNSFilter_CheckHostRules_dnsrewrite, DOC $dnsrewrite]', () => {
  const rules = [
    '|a-record.test^$dnsrewrite=127.0.0.1',
    '|aaaa-record.test^$dnsrewrite=::1',
    '|txt-record.test^$dnsrewrite=NOERROR;TXT;hello-world',
    '|mx-record.test^$dnsrewrite=NOERROR;MX;32 mail.example.test',
    '|https-record.test^$dnsrewrite=NOERROR;HTTPS;1 . alpn=h3',
    '|cname.test^$dnsrewrite=target.test',
    '|refused.test^$dnsrewrite=REFUSED',
    '|nx.test^$dnsrewrite=NXDOMAIN;;',
    '|empty.test^$dnsrewrite=NOERROR;;',
    '|a-records.test^$dnsrewrite=127.0.0.1',
    '|a-records.test^$dnsrewrite=127.0.0.2',
    '|disable-one.test^$dnsrewrite=127.0.0.1',
    '|disable-one.test^$dnsrewrite=127.0.0.2',
    '@@||disable-one.test^$dnsrewrite=127.0.0.1',
    '|disable-all.test^$dnsrewrite=127.0.0.1',
    '@@||disable-all.test^$dnsrewrite',
    '||blocked-too.test^',
    '||blocked-too.test^$dnsrewrite=10.9.9.9',
  ].join('\n');

  it('answers A, AAAA, TXT, MX, HTTPS and CNAME records', async () => {
    load([rules, 'auto']);
    expect((await ask('a-record.test')).answers).toEqual([
      { name: 'a-record.test.', ttl: 60, type: 'A', data: '127.0.0.1' },
    ]);
    expect(data(await ask('aaaa-record.test', 'AAAA'))).toEqual(['::1']);
    expect(data(await ask('txt-record.test', 'TXT'))).toEqual(['"hello-world"']);
    expect(data(await ask('mx-record.test', 'MX'))).toEqual(['32 mail.example.test.']);
    expect(data(await ask('https-record.test', 'HTTPS'))).toEqual(['1 . alpn="h3"']);
    const cname = await ask('cname.test', 'CNAME');
    expect(cname.answers).toEqual([{ name: 'cname.test.', ttl: 60, type: 'CNAME', data: 'target.test.' }]);
    // Asked for A, the CNAME comes with the target's records, resolved upstream (AdGuard Home resolves it).
    const followed = await ask('cname.test', 'A');
    expect(followed.answers.map((a) => [a.name, a.type, a.data])).toEqual([
      ['cname.test.', 'CNAME', 'target.test.'],
      ['target.test.', 'A', '203.0.113.7'],
    ]);
    // A record rewrite answers only its type: the rest is an empty answer (NODATA).
    const other = await ask('a-record.test', 'AAAA');
    expect(other.status).toBe('NOERROR');
    expect(other.answers).toEqual([]);
  });

  it('REFUSED, NXDOMAIN and NOERROR;; answers', async () => {
    load([rules, 'auto']);
    expect((await ask('refused.test')).status).toBe('REFUSED');
    expect((await ask('nx.test')).status).toBe('NXDOMAIN');
    const empty = await ask('empty.test');
    expect(empty.status).toBe('NOERROR');
    expect(empty.answers).toEqual([]);
  });

  it('several rules add up; @@ exceptions lift one or all; a rewrite outranks a block', async () => {
    load([rules, 'auto']);
    expect(data(await ask('a-records.test')).sort()).toEqual(['127.0.0.1', '127.0.0.2']);
    expect(data(await ask('disable-one.test'))).toEqual(['127.0.0.2']);
    expect(forwarded(await ask('disable-all.test'))).toBe(true);
    expect(data(await ask('blocked-too.test'))).toEqual(['10.9.9.9']);
    const ev = await lastEvent('a-records.test');
    expect(ev).toMatchObject({ status: QueryStatus.local, reason: Reason.rewritten, listId: 1 });
  });
});

describe('regex rules cannot freeze DNS (issue 14 item 6)', () => {
  it('^(.*\\.)*doubleclick\\.net$ against 36 a. labels: that query and a control one both answer promptly', async () => {
    load(['/^(.*\\.)*doubleclick\\.net$/\n||control-block.test^', 'adblock']);
    const hostile = 'a.'.repeat(36) + 'example';
    // Sent together: with a backtracking engine the hostile one held the event loop for ~26 s and the
    // control query (dig gives up after 2 s) went unanswered.
    const [bad, control] = await Promise.all([ask(hostile), ask('control-block.test')]);
    expect(bad.status).toBe('NOERROR');
    expect(forwarded(bad)).toBe(true);
    expect(blocked(control)).toBe(true);
    // The rule still works.
    expect(blocked(await ask('ads.doubleclick.net'))).toBe(true);
  });
});
