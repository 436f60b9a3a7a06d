/**
 * Cache, upstream failure and answer inspection, end to end against a programmable stub upstream:
 * TTLs counting down, negative caching, serve-stale when the upstream times out, SERVFAIL when nothing
 * stale exists, CNAME cloaking, rebinding protection, and truncation of a large answer with TCP retry.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QueryStatus, Reason } from '../../../server/events/query-event.js';
import { dig } from '../../helpers/dns-clients.js';
import { type DnsHarness, startDnsHarness } from '../../helpers/dns-harness.js';
import { type SimpleUpstreamPool, createSimpleUpstreamPool } from '../../helpers/simple-upstream-pool.js';
import { type StubDnsServer, startStubDnsServer } from '../../helpers/upstream/stub-dns-server.js';

let stub: StubDnsServer;
let pool: SimpleUpstreamPool;
let h: DnsHarness;
let rebindPool: SimpleUpstreamPool;
let rebind: DnsHarness;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  stub = await startStubDnsServer({
    zone: {
      'countdown.example': { A: ['192.0.2.10'], ttl: 120 },
      'nodata.example': { A: ['192.0.2.11'] },
      'stale.example': { A: ['192.0.2.12'], ttl: 1 },
      'stale2.example': { A: ['192.0.2.13'], ttl: 1 },
      'shop.example': { CNAME: 'shop.tracker-cdn.test' },
      'shop.tracker-cdn.test': { A: ['192.0.2.50'] },
      'clean.example': { CNAME: 'edge.cdn.example' },
      'edge.cdn.example': { A: ['192.0.2.51'] },
      'medium.example': { TXT: ['m'.repeat(250), 'n'.repeat(250), 'o'.repeat(200)] },
      'evil.example': { A: ['192.168.1.1'] },
      'printer.lan': { A: ['192.168.1.2'] },
      'public.example': { A: ['198.51.100.1'] },
    },
  });
  pool = createSimpleUpstreamPool('127.0.0.1', stub.port, 400);
  h = await startDnsHarness({ upstreams: pool, blocked: ['tracker-cdn.test'] });
  rebindPool = createSimpleUpstreamPool('127.0.0.1', stub.port, 400);
  rebind = await startDnsHarness({ upstreams: rebindPool, config: (c) => (c.rebindingProtection = true) });
});

afterAll(async () => {
  await h?.close();
  await rebind?.close();
  await pool?.close();
  await rebindPool?.close();
  await stub?.close();
});

function lastEvent(harness: DnsHarness, name: string): (typeof h.events)[number] | undefined {
  return [...harness.events].reverse().find((e) => e.name === name);
}

describe('cache', () => {
  it('serves a cached answer with its TTL counting down, without asking upstream again', async () => {
    const first = await dig(h.port, 'countdown.example', 'A');
    expect(first.answers[0]).toMatchObject({ ttl: 120, data: '192.0.2.10' });
    const sent = pool.sent;
    await sleep(2100);
    const second = await dig(h.port, 'countdown.example', 'A');
    expect(second.answers[0]?.data).toBe('192.0.2.10');
    expect(second.answers[0]!.ttl).toBeLessThan(120);
    expect(second.answers[0]!.ttl).toBeGreaterThan(100);
    expect(pool.sent).toBe(sent);
    expect(lastEvent(h, 'countdown.example')?.status).toBe(QueryStatus.cached);
    expect(h.server.stats.cacheHits).toBeGreaterThan(0);
  });

  it('keys the cache by type and DO bit', async () => {
    await dig(h.port, 'countdown.example', 'A', ['+dnssec']);
    expect(lastEvent(h, 'countdown.example')?.status).toBe(QueryStatus.forwarded);
    await dig(h.port, 'countdown.example', 'AAAA');
    expect(lastEvent(h, 'countdown.example')?.status).toBe(QueryStatus.forwarded);
  });

  it('caches NXDOMAIN and NODATA (RFC 2308), with the SOA in authority', async () => {
    const nx1 = await dig(h.port, 'gone.nxdomain.test', 'A');
    expect(nx1.status).toBe('NXDOMAIN');
    const sent = pool.sent;
    const nx2 = await dig(h.port, 'gone.nxdomain.test', 'A');
    expect(nx2.status).toBe('NXDOMAIN');
    expect(nx2.authority[0]?.type).toBe('SOA');
    expect(nx2.authority[0]!.ttl).toBeLessThanOrEqual(60); // min(SOA TTL 300, MINIMUM 60)
    const nd1 = await dig(h.port, 'nodata.example', 'TXT');
    expect(nd1.answers).toEqual([]);
    const nd2 = await dig(h.port, 'nodata.example', 'TXT');
    expect(nd2.status).toBe('NOERROR');
    expect(pool.sent).toBe(sent + 1);
    expect(lastEvent(h, 'nodata.example')?.status).toBe(QueryStatus.cached);
  });

  it('serves a stale answer (TTL 30, EDE Stale Answer) when the upstream times out, SERVFAIL when nothing is cached', async () => {
    const fresh = await dig(h.port, 'stale.example', 'A');
    expect(fresh.answers[0]?.data).toBe('192.0.2.12');
    await sleep(1200); // past its 1 s TTL
    stub.setBehaviour({ mode: 'silent' });
    try {
      const stale = await dig(h.port, 'stale.example', 'A', ['+time=3']);
      expect(stale.status).toBe('NOERROR');
      expect(stale.answers[0]).toMatchObject({ ttl: 30, data: '192.0.2.12' });
      expect(stale.ede).toMatch(/^3 /);
      expect(lastEvent(h, 'stale.example')).toMatchObject({
        status: QueryStatus.stale,
        reason: Reason.upstreamFailed,
      });
      const none = await dig(h.port, 'never-seen.example', 'A', ['+time=3']);
      expect(none.status).toBe('SERVFAIL');
      expect(lastEvent(h, 'never-seen.example')).toMatchObject({ status: QueryStatus.error, rcode: 2 });
    } finally {
      stub.setBehaviour({});
    }
    const back = await dig(h.port, 'stale.example', 'A');
    expect(back.answers[0]?.ttl).toBe(1);
  });
});

describe('upstream SERVFAIL', () => {
  it('serves stale rather than passing on an upstream SERVFAIL, and passes it on when nothing is cached', async () => {
    await dig(h.port, 'stale2.example', 'A');
    await sleep(1200);
    stub.setBehaviour({ mode: 'servfail' });
    try {
      const stale = await dig(h.port, 'stale2.example', 'A');
      expect(stale.answers[0]).toMatchObject({ ttl: 30, data: '192.0.2.13' });
      expect(lastEvent(h, 'stale2.example')?.status).toBe(QueryStatus.stale);
      const fail = await dig(h.port, 'other-servfail.example', 'A');
      expect(fail.status).toBe('SERVFAIL');
    } finally {
      stub.setBehaviour({});
    }
  });
});

describe('answer inspection', () => {
  it('blocks a first-party name whose CNAME points at a blocked tracker (CNAME cloaking)', async () => {
    const r = await dig(h.port, 'shop.example', 'A');
    expect(r.answers.map((x) => x.data)).toEqual(['0.0.0.0']);
    expect(r.ede).toMatch(/^15 /);
    expect(lastEvent(h, 'shop.example')).toMatchObject({
      status: QueryStatus.blocked,
      reason: Reason.cname,
      cnameTarget: 'shop.tracker-cdn.test',
      listId: 3,
    });
    // Still blocked when answered from the cache.
    const again = await dig(h.port, 'shop.example', 'A');
    expect(again.answers.map((x) => x.data)).toEqual(['0.0.0.0']);
    expect(lastEvent(h, 'shop.example')).toMatchObject({ reason: Reason.cname });
    // A harmless CNAME chain passes.
    const clean = await dig(h.port, 'clean.example', 'A');
    expect(clean.answers.map((x) => x.data)).toEqual(['edge.cdn.example.', '192.0.2.51']);
  });

  it('blocks public names answered with private addresses when rebinding protection is on', async () => {
    const evil = await dig(rebind.port, 'evil.example', 'A');
    expect(evil.answers.map((x) => x.data)).toEqual(['0.0.0.0']);
    expect(lastEvent(rebind, 'evil.example')).toMatchObject({
      status: QueryStatus.blocked,
      reason: Reason.rebinding,
    });
    const lan = await dig(rebind.port, 'printer.lan', 'A');
    expect(lan.answers.map((x) => x.data)).toEqual(['192.168.1.2']);
    const pub = await dig(rebind.port, 'public.example', 'A');
    expect(pub.answers.map((x) => x.data)).toEqual(['198.51.100.1']);
    // Off by default.
    const off = await dig(h.port, 'evil.example', 'A');
    expect(off.answers.map((x) => x.data)).toEqual(['192.168.1.1']);
  });
});

describe('truncation', () => {
  it('sets TC=1 when the answer exceeds 512 without EDNS, fits with EDNS', async () => {
    const noEdns = await dig(h.port, 'medium.example', 'TXT', ['+noedns', '+ignore']);
    expect(noEdns.flags).toContain('tc');
    expect(noEdns.answers).toEqual([]);
    const withEdns = await dig(h.port, 'medium.example', 'TXT', ['+bufsize=1232', '+ignore']);
    expect(withEdns.flags).not.toContain('tc');
    expect(withEdns.answers).toHaveLength(3);
  });

  it('a 4 KB upstream answer: fetched over TCP upstream, TC=1 to UDP clients, full over the client TCP retry', async () => {
    const truncated = await dig(h.port, 'big.test', 'TXT', ['+bufsize=4096', '+ignore']);
    expect(truncated.flags).toContain('tc');
    expect(pool.tcpRetries).toBeGreaterThan(0);
    const retried = await dig(h.port, 'big.test', 'TXT'); // dig retries over TCP by itself
    expect(retried.raw).toContain('Truncated, retrying in TCP mode');
    expect(retried.answers).toHaveLength(1);
    expect(retried.answers[0]!.data.length).toBeGreaterThan(4000);
  });
});
