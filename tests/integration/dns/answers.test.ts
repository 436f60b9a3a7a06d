/**
 * The DNS engine end to end with dnsmasq as the upstream and independent clients (dig, kdig, dns2):
 * blocked and allowed names for every common type, UDP and TCP, EDNS/EDE, ANY, local records, private
 * PTR, canaries, and one query event per query.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Protocol, QueryStatus, Reason } from '../../../server/events/query-event.js';
import { buildQuery, parseResponse } from '../../helpers/upstream/dns-message.js';
import { dig, kdig } from '../../helpers/dns-clients.js';
import { dns2Query } from '../../helpers/dns2-client.js';
import { type DnsHarness, eventually, startDnsHarness } from '../../helpers/dns-harness.js';
import { type Dnsmasq, startDnsmasq } from '../../helpers/dnsmasq.js';
import { type SimpleUpstreamPool, createSimpleUpstreamPool } from '../../helpers/simple-upstream-pool.js';

let dnsmasq: Dnsmasq;
let pool: SimpleUpstreamPool;
let h: DnsHarness;

beforeAll(async () => {
  dnsmasq = await startDnsmasq([
    '--address=/#/203.0.113.7',
    '--address=/#/2001:db8::7',
    '--local-ttl=300',
    '--txt-record=txt.example,hello from upstream',
    '--txt-record=tracker.test,tracker text',
    '--mx-host=mail.example,mx1.example,10',
    '--mx-host=tracker.test,mx.tracker.test,5',
  ]);
  pool = createSimpleUpstreamPool('127.0.0.1', dnsmasq.port);
  h = await startDnsHarness({
    upstreams: pool,
    blocked: ['tracker.test', 'ads.example'],
    allowed: ['allowed.ads.example'],
    config: (c) => {
      c.local = { 'nas.home': '192.168.1.10, fd00::10' };
    },
  });
});

afterAll(async () => {
  await h?.close();
  await pool?.close();
  await dnsmasq?.stop();
});

function lastEvent(name: string): (typeof h.events)[number] | undefined {
  return [...h.events].reverse().find((e) => e.name === name);
}

describe('blocked names', () => {
  it('answers A 0.0.0.0 and AAAA :: for a blocked name and its subdomains, with EDE Blocked', async () => {
    const a = await dig(h.port, 'tracker.test', 'A');
    expect(a.status).toBe('NOERROR');
    expect(a.answers).toEqual([{ name: 'tracker.test.', ttl: 60, type: 'A', data: '0.0.0.0' }]);
    expect(a.ede).toMatch(/^15 /);
    const aaaa = await dig(h.port, 'Sub.Tracker.TEST', 'AAAA');
    expect(aaaa.answers.map((r) => r.data)).toEqual(['::']);
    // The client's letter case is kept in the answer's question/owner.
    expect(aaaa.raw).toContain('Sub.Tracker.TEST.');
    expect(lastEvent('sub.tracker.test')).toMatchObject({
      status: QueryStatus.blocked,
      reason: Reason.list,
      listId: 3,
      ruleId: 42,
    });
  });

  it('answers NODATA with an SOA for HTTPS, SVCB, MX and TXT of a blocked name', async () => {
    for (const type of ['HTTPS', 'TYPE64', 'MX', 'TXT']) {
      const r = await dig(h.port, 'tracker.test', type);
      expect(r.status, type).toBe('NOERROR');
      expect(r.answers, type).toEqual([]);
      expect(r.authority[0]?.type, type).toBe('SOA');
    }
    expect(pool.sent).toBe(0); // nothing blocked went upstream
  });

  it('kdig and dns2 see the same block answers', async () => {
    const k = await kdig(h.port, 'ads.example', 'A');
    expect(k.status).toBe('NOERROR');
    expect(k.raw).toMatch(/ads\.example\.\s+60\s+IN\s+A\s+0\.0\.0\.0/);
    const d = await dns2Query(h.port, 'ads.example', 'A');
    expect(d.answers[0]).toMatchObject({ type: 1, ttl: 60, address: '0.0.0.0' });
  });
});

describe('allowed names', () => {
  it('forwards A, AAAA, MX and TXT and returns the upstream answer', async () => {
    const a = await dig(h.port, 'www.example', 'A');
    expect(a.answers.map((r) => r.data)).toEqual(['203.0.113.7']);
    const aaaa = await dig(h.port, 'www.example', 'AAAA');
    expect(aaaa.answers.map((r) => r.data)).toEqual(['2001:db8::7']);
    const mx = await kdig(h.port, 'mail.example', 'MX');
    expect(mx.raw).toMatch(/mail\.example\.\s+\d+\s+IN\s+MX\s+10 mx1\.example\./);
    const txt = await dig(h.port, 'txt.example', 'TXT');
    expect(txt.answers[0]?.data).toBe('"hello from upstream"');
    expect(lastEvent('txt.example')).toMatchObject({
      status: QueryStatus.forwarded,
      upstreamId: 1,
      rcode: 0,
    });
  });

  it('an allow rule beats the block list and is logged as allowed', async () => {
    const r = await dig(h.port, 'allowed.ads.example', 'A');
    expect(r.answers.map((x) => x.data)).toEqual(['203.0.113.7']);
    expect(lastEvent('allowed.ads.example')).toMatchObject({
      status: QueryStatus.allowed,
      reason: Reason.localAllow,
    });
  });

  it('answers over TCP (dig +tcp, dns2 TCP) the same as over UDP', async () => {
    const blocked = await dig(h.port, 'tracker.test', 'A', ['+tcp']);
    expect(blocked.answers.map((r) => r.data)).toEqual(['0.0.0.0']);
    const fwd = await dig(h.port, 'tcp.example', 'A', ['+tcp']);
    expect(fwd.answers.map((r) => r.data)).toEqual(['203.0.113.7']);
    const d = await dns2Query(h.port, 'tcp2.example', 'A', true);
    expect(d.answers[0]?.address).toBe('203.0.113.7');
  });
});

describe('EDNS', () => {
  it('answers with OPT (our payload size, DO echoed) only when the client sent EDNS', async () => {
    const withEdns = await dig(h.port, 'edns.example', 'A', ['+bufsize=4096', '+dnssec']);
    expect(withEdns.raw).toMatch(/EDNS: version: 0, flags: do; udp: 1232/);
    const without = await dig(h.port, 'edns.example', 'A', ['+noedns']);
    expect(without.raw).not.toContain('OPT PSEUDOSECTION');
    expect(without.answers.map((r) => r.data)).toEqual(['203.0.113.7']);
  });

  it('no EDE option without EDNS on a blocked answer', async () => {
    const r = await dig(h.port, 'tracker.test', 'A', ['+noedns']);
    expect(r.ede).toBeNull();
    expect(r.answers.map((x) => x.data)).toEqual(['0.0.0.0']);
  });

  it('answers BADVERS to an unknown EDNS version', async () => {
    const r = await dig(h.port, 'edns.example', 'A', ['+edns=1', '+noednsnegotiation']);
    expect(r.status).toBe('BADVERS');
  });
});

describe('built-in answers', () => {
  it('answers ANY with the small RFC 8482 HINFO answer, never forwarding', async () => {
    const before = pool.sent;
    const r = await dig(h.port, 'any.example', 'ANY');
    expect(r.answers).toEqual([{ name: 'any.example.', ttl: 3600, type: 'HINFO', data: '"RFC8482" ""' }]);
    expect(pool.sent).toBe(before);
  });

  it('answers local records (A, AAAA and their PTR) from config', async () => {
    const a = await dig(h.port, 'nas.home', 'A');
    expect(a.flags).toContain('aa');
    expect(a.answers.map((r) => r.data)).toEqual(['192.168.1.10']);
    const aaaa = await dig(h.port, 'NAS.home', 'AAAA');
    expect(aaaa.answers.map((r) => r.data)).toEqual(['fd00::10']);
    const ptr = await dig(h.port, '10.1.168.192.in-addr.arpa', 'PTR');
    expect(ptr.answers.map((r) => r.data)).toEqual(['nas.home.']);
    expect(lastEvent('nas.home')).toMatchObject({ status: QueryStatus.local, reason: Reason.localRecord });
  });

  it('answers PTR for private ranges locally (NXDOMAIN) and never forwards them', async () => {
    const before = pool.sent;
    for (const name of ['20.1.168.192.in-addr.arpa', '5.0.0.10.in-addr.arpa', '1.0.17.172.in-addr.arpa']) {
      const r = await dig(h.port, name, 'PTR');
      expect(r.status, name).toBe('NXDOMAIN');
    }
    const v6 = await dig(
      h.port,
      '1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa',
      'PTR',
    );
    expect(v6.status).toBe('NXDOMAIN');
    expect(pool.sent).toBe(before);
    expect(lastEvent('5.0.0.10.in-addr.arpa')).toMatchObject({
      status: QueryStatus.local,
      reason: Reason.privatePtr,
    });
    // A public reverse name is forwarded.
    await dig(h.port, '7.113.0.203.in-addr.arpa', 'PTR');
    expect(pool.sent).toBe(before + 1);
  });

  it('answers the Firefox and iCloud Private Relay canaries with NXDOMAIN', async () => {
    for (const name of ['use-application-dns.net', 'mask.icloud.com', 'mask-h2.icloud.com']) {
      const r = await dig(h.port, name, 'A');
      expect(r.status, name).toBe('NXDOMAIN');
      expect(lastEvent(name)).toMatchObject({ status: QueryStatus.local, reason: Reason.canary });
    }
  });
});

describe('query events', () => {
  it('logs exactly one event per query with name, type, status, rcode and duration', async () => {
    const before = h.events.length;
    await dig(h.port, 'one.example', 'A');
    await dig(h.port, 'tracker.test', 'TXT');
    await eventually(() => h.events.length >= before + 2);
    const mine = h.events.slice(before);
    expect(mine).toHaveLength(2);
    expect(mine[0]).toMatchObject({
      name: 'one.example',
      qtype: 1,
      status: QueryStatus.forwarded,
      clientAddress: '127.0.0.1',
    });
    expect(mine[1]).toMatchObject({ name: 'tracker.test', qtype: 16, status: QueryStatus.blocked, rcode: 0 });
    expect(mine.every((e) => e.durationUs >= 0 && e.timeMs > 0)).toBe(true);
  });
});

describe('answer() for DNS-over-HTTPS', () => {
  it('runs the same pipeline: blocked, forwarded, cached after clearCache, refused for a foreign client', async () => {
    const blocked = await h.server.answer(
      buildQuery('tracker.test', 1, { id: 0 }),
      '192.168.1.50',
      Protocol.doh,
    );
    expect(parseResponse(blocked!).answers[0]?.text).toBe('0.0.0.0');
    expect(lastEvent('tracker.test')).toMatchObject({
      protocol: Protocol.doh,
      clientAddress: '192.168.1.50',
    });
    const forwarded = await h.server.answer(
      buildQuery('doh.example', 1, { id: 0 }),
      '192.168.1.50',
      Protocol.doh,
    );
    expect(parseResponse(forwarded!).answers[0]?.text).toBe('203.0.113.7');
    const cached = await h.server.answer(
      buildQuery('doh.example', 1, { id: 0 }),
      '192.168.1.50',
      Protocol.doh,
    );
    expect(parseResponse(cached!).answers[0]?.text).toBe('203.0.113.7');
    expect(lastEvent('doh.example')?.status).toBe(QueryStatus.cached);
    h.server.clearCache();
    expect(h.server.stats.cacheSize).toBe(0);
    await h.server.answer(buildQuery('doh.example', 1, { id: 0 }), '192.168.1.50', Protocol.doh);
    expect(lastEvent('doh.example')?.status).toBe(QueryStatus.forwarded);
    const refused = await h.server.answer(buildQuery('doh.example', 1), '203.0.113.50', Protocol.doh);
    expect(parseResponse(refused!).rcode).toBe(5);
    // DoH answers are not limited to 512 bytes (no UDP truncation).
    const garbage = await h.server.answer(Buffer.from([1, 2, 3]), '192.168.1.50', Protocol.doh);
    expect(garbage).toBeNull();
  });
});
