import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../server/logger.js';
import type { ManagedUpstreamPool, UpstreamPoolOptions } from '../../../server/dns/upstream/pool.js';
import { createUpstreamPool } from '../../../server/dns/upstream/pool.js';
import { UpstreamError } from '../../../server/dns/upstream/types.js';
import { QTYPE, RCODE, buildQuery, parseResponse } from '../../helpers/upstream/dns-message.js';
import type { StubDnsServer } from '../../helpers/upstream/stub-dns-server.js';
import { startStubDnsServer } from '../../helpers/upstream/stub-dns-server.js';

let first: StubDnsServer;
let second: StubDnsServer;
const pools: ManagedUpstreamPool[] = [];

function pool(urls: string[], extra: Partial<UpstreamPoolOptions> = {}): ManagedUpstreamPool {
  const p = createUpstreamPool({
    urls,
    strategy: 'parallel',
    timeoutMs: 2000,
    bootstrap: [],
    logger: silentLogger,
    ...extra,
  });
  pools.push(p);
  return p;
}

async function ask(
  p: ManagedUpstreamPool,
  name: string,
  options: { id?: number; dnssecOk?: boolean; qtype?: number } = {},
) {
  const qtype = options.qtype ?? QTYPE.A;
  const query = buildQuery(name, qtype, { id: options.id ?? 1, dnssecOk: options.dnssecOk });
  const result = await p.resolve(query, name, qtype, options.dnssecOk ?? false);
  return { upstreamId: result.upstreamId, parsed: parseResponse(result.packet) };
}

beforeAll(async () => {
  first = await startStubDnsServer({ defaultA: '192.0.2.1' });
  second = await startStubDnsServer({ defaultA: '192.0.2.2' });
});
afterEach(() => {
  first.setBehaviour({});
  second.setBehaviour({});
  first.resetCounts();
  second.resetCounts();
});
afterAll(async () => {
  await Promise.all(pools.map((p) => p.close()));
  await first?.close();
  await second?.close();
});

describe('parallel strategy', () => {
  it('asks every upstream and takes the first answer', async () => {
    second.setBehaviour({ delayMs: 400 });
    const p = pool([first.udpUrl, second.udpUrl]);
    const { upstreamId, parsed } = await ask(p, 'race.example.test');
    expect(upstreamId).toBe(1);
    expect(parsed.answers[0]?.text).toBe('192.0.2.1');
    expect(second.queries()).toBe(1);
  });

  it('does not let a fast SERVFAIL or REFUSED win while another upstream may still answer', async () => {
    for (const mode of ['servfail', 'refused'] as const) {
      first.setBehaviour({ mode });
      second.setBehaviour({ delayMs: 150 });
      const p = pool([first.udpUrl, second.udpUrl]);
      const { upstreamId, parsed } = await ask(p, `${mode}.example.test`);
      expect(upstreamId).toBe(2);
      expect(parsed.rcode).toBe(RCODE.NOERROR);
    }
  });

  it('returns the SERVFAIL answer when no upstream does better', async () => {
    first.setBehaviour({ mode: 'servfail' });
    second.setBehaviour({ mode: 'servfail' });
    const p = pool([first.udpUrl, second.udpUrl]);
    const { parsed } = await ask(p, 'broken.example.test');
    expect(parsed.rcode).toBe(RCODE.SERVFAIL);
    expect(p.stats().map((s) => s.failureRcodes)).toEqual([1, 1]);
  });
});

describe('failover strategy', () => {
  it('asks only the first upstream while it answers', async () => {
    const p = pool([first.udpUrl, second.udpUrl], { strategy: 'failover' });
    for (let i = 0; i < 5; i++) expect((await ask(p, `order${i}.example.test`)).upstreamId).toBe(1);
    expect(first.queries()).toBe(5);
    expect(second.queries()).toBe(0);
  });

  it('goes on to the next upstream on timeout and on REFUSED', async () => {
    first.setBehaviour({ mode: 'silent' });
    const p = pool([first.udpUrl, second.udpUrl], { strategy: 'failover', timeoutMs: 300 });
    const timedOut = await ask(p, 'next.example.test');
    expect(timedOut.upstreamId).toBe(2);
    expect(timedOut.parsed.answers[0]?.text).toBe('192.0.2.2');
    expect(p.stats()[0]?.timeouts).toBe(1);

    first.setBehaviour({ mode: 'refused' });
    const q = pool([first.udpUrl, second.udpUrl], { strategy: 'failover' });
    expect((await ask(q, 'refused-next.example.test')).upstreamId).toBe(2);
  });
});

describe('coalescing', () => {
  it('sends N identical concurrent questions upstream once; each caller gets its own ID', async () => {
    first.setBehaviour({ delayMs: 200 });
    const p = pool([first.udpUrl]);
    const ids = Array.from({ length: 25 }, (_, i) => 100 + i);
    // Mixed case: DNS names compare case-insensitively, so these are the same question.
    const results = await Promise.all(
      ids.map((id, i) => ask(p, i % 2 ? 'Same.Example.test' : 'same.example.test', { id })),
    );
    expect(results.map((r) => r.parsed.id)).toEqual(ids);
    for (const r of results) expect(r.parsed.answers[0]?.text).toBe('192.0.2.1');
    expect(first.queries()).toBe(1);
    expect(p.poolStats().coalesced).toBe(24);
    expect(p.poolStats().inFlight).toBe(0);
  });

  it('keeps questions apart that differ in type or DO bit', async () => {
    first.setBehaviour({ delayMs: 100 });
    const p = pool([first.udpUrl]);
    await Promise.all([
      ask(p, 'apart.example.test'),
      ask(p, 'apart.example.test', { dnssecOk: true }),
      ask(p, 'apart.example.test', { qtype: QTYPE.AAAA }),
      ask(p, 'apart.example.test'),
    ]);
    expect(first.queries()).toBe(3);
  });

  it('rejects every coalesced caller when the exchange fails', async () => {
    first.setBehaviour({ mode: 'silent' });
    const p = pool([first.udpUrl], { timeoutMs: 200 });
    const outcomes = await Promise.allSettled([1, 2, 3].map((id) => ask(p, 'lost.example.test', { id })));
    expect(outcomes.every((o) => o.status === 'rejected' && o.reason instanceof UpstreamError)).toBe(true);
    expect(first.queries()).toBe(1);
  });
});

describe('configuration and lifecycle', () => {
  it('names the bad URL in its error', () => {
    expect(() => pool(['ftp://192.0.2.1'])).toThrow(/"ftp:\/\/192\.0\.2\.1".*scheme/);
    expect(() => pool(['udp://192.0.2.1:99999'])).toThrow(/udp:\/\/192\.0\.2\.1:99999/);
    expect(() => pool(['udp://resolver.example'])).toThrow(/resolver\.example.*IP address/);
    expect(() => pool(['https://doh.example/dns-query'], { bootstrap: ['dns.example'] })).toThrow(
      /dns\.bootstrap\[0\].*dns\.example/,
    );
    expect(() => pool([])).toThrow(/dns\.upstreams is empty/);
  });

  it('describes its upstreams and keeps per-upstream stats with a latency histogram', async () => {
    const p = pool([first.udpUrl, 'https://dns.example/dns-query'], {
      bootstrap: ['192.0.2.53'],
      strategy: 'failover',
    });
    expect(p.describe()).toEqual([
      `${first.udpUrl} (UDP, failover)`,
      'https://dns.example/dns-query (DoH, failover, resolved via bootstrap 192.0.2.53)',
    ]);
    for (let i = 0; i < 3; i++) await ask(p, `stats${i}.example.test`);
    const [s] = p.stats();
    expect(s).toMatchObject({
      id: 1,
      url: first.udpUrl,
      queries: 3,
      answers: 3,
      errors: 0,
      timeouts: 0,
      healthy: true,
    });
    expect(s!.latencyBuckets.reduce((a, b) => a + b, 0)).toBe(3);
    expect(s!.latencySumMs).toBeGreaterThan(0);
  });

  it('rejects after close() and releases its sockets', async () => {
    const p = createUpstreamPool({
      urls: [first.udpUrl, first.tcpUrl],
      strategy: 'parallel',
      timeoutMs: 1000,
      bootstrap: [],
      logger: silentLogger,
    });
    await ask(p, 'before-close.example.test');
    await p.close();
    await expect(ask(p, 'after-close.example.test')).rejects.toThrow(/closed/);
  });
});
