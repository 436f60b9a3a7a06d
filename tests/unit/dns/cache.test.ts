import { describe, expect, it } from 'vitest';
import { type CacheOptions, DnsCache, ENTRY_OVERHEAD_BYTES } from '../../../server/dns/cache.js';
import { buildQuery, buildResponse, rdata } from '../../helpers/upstream/dns-message.js';

const options: CacheOptions = {
  maxEntries: 3,
  maxBytes: 1 << 20,
  minTtl: 0,
  maxTtl: 86400,
  negativeTtl: 300,
  serveStale: true,
  prefetch: true,
};

function answer(name: string, ttl: number): Buffer {
  return buildResponse(buildQuery(name, 1), {
    answers: [{ name, type: 1, ttl, data: rdata.a('192.0.2.1') }],
  });
}

function clock(start = 1_000_000): { now: () => number; set: (ms: number) => void } {
  let t = start;
  return { now: () => t, set: (ms) => (t = ms) };
}

describe('DnsCache', () => {
  it('stores and finds by name, type, class and DO bit', () => {
    const c = clock();
    const cache = new DnsCache(options, c.now);
    cache.store('a.test', 1, 1, false, answer('a.test', 60));
    expect(cache.lookup('a.test', 1, 1, false, c.now())).not.toBeNull();
    expect(cache.lookup('a.test', 28, 1, false, c.now())).toBeNull();
    expect(cache.lookup('a.test', 1, 1, true, c.now())).toBeNull();
    expect(cache.lookup('a.test', 1, 3, false, c.now())).toBeNull();
    expect(cache.hits).toBe(1);
    expect(cache.misses).toBe(3);
  });

  it('clamps TTLs to minTtl/maxTtl and counts down', () => {
    const c = clock();
    const cache = new DnsCache({ ...options, minTtl: 30, maxTtl: 100 }, c.now);
    const low = cache.store('low.test', 1, 1, false, answer('low.test', 5))!;
    expect(low.ttl).toBe(30);
    expect(low.ttls[0]).toBe(30);
    const high = cache.store('high.test', 1, 1, false, answer('high.test', 5000))!;
    expect(high.ttl).toBe(100);
    c.set(c.now() + 10_500);
    expect(cache.elapsedSeconds(high, c.now())).toBe(10);
  });

  it('caches negative answers for min(SOA TTL, MINIMUM), capped by negativeTtl', () => {
    const c = clock();
    const cache = new DnsCache({ ...options, negativeTtl: 50 }, c.now);
    const nx = buildResponse(buildQuery('gone.test', 1), {
      rcode: 3,
      authority: [{ name: 'test', type: 6, ttl: 3600, data: rdata.soa('ns.test', 'h.test', 600) }],
    });
    const e = cache.store('gone.test', 1, 1, false, nx)!;
    expect(e.negative).toBe(true);
    expect(e.ttl).toBe(50);
    expect(e.ttls[0]).toBe(50);
  });

  it('does not cache SERVFAIL, truncated or TTL-0 answers', () => {
    const cache = new DnsCache(options);
    const servfail = buildResponse(buildQuery('x.test', 1), { rcode: 2 });
    expect(cache.store('x.test', 1, 1, false, servfail)).toBeNull();
    const tc = buildResponse(buildQuery('x.test', 1), { truncated: true });
    expect(cache.store('x.test', 1, 1, false, tc)).toBeNull();
    expect(cache.store('x.test', 1, 1, false, answer('x.test', 0))).toBeNull();
    expect(cache.size).toBe(0);
  });

  it('evicts the least recently used entry when full', () => {
    const c = clock();
    const cache = new DnsCache(options, c.now);
    for (const n of ['a', 'b', 'c']) cache.store(`${n}.test`, 1, 1, false, answer(`${n}.test`, 60));
    cache.lookup('a.test', 1, 1, false, c.now()); // a is now the most recent
    cache.store('d.test', 1, 1, false, answer('d.test', 60));
    expect(cache.size).toBe(3);
    expect(cache.evictions).toBe(1);
    expect(cache.lookup('b.test', 1, 1, false, c.now())).toBeNull();
    expect(cache.lookup('a.test', 1, 1, false, c.now())).not.toBeNull();
    // Replacing an entry does not grow the cache.
    cache.store('a.test', 1, 1, false, answer('a.test', 90));
    expect(cache.size).toBe(3);
  });

  it('keeps expired entries for serve-stale for a day, then drops them', () => {
    const c = clock();
    const cache = new DnsCache(options, c.now);
    const e = cache.store('s.test', 1, 1, false, answer('s.test', 10))!;
    c.set(c.now() + 20_000);
    const stale = cache.lookup('s.test', 1, 1, false, c.now());
    expect(stale).toBe(e);
    expect(cache.isFresh(stale!, c.now())).toBe(false);
    c.set(c.now() + 25 * 3600_000);
    expect(cache.lookup('s.test', 1, 1, false, c.now())).toBeNull();
    expect(cache.size).toBe(0);
  });

  it('asks for one prefetch of a popular entry in the last tenth of its TTL', () => {
    const c = clock();
    const cache = new DnsCache(options, c.now);
    const e = cache.store('p.test', 1, 1, false, answer('p.test', 100))!;
    for (let i = 0; i < 3; i++) cache.lookup('p.test', 1, 1, false, c.now());
    expect(cache.shouldPrefetch(e, c.now())).toBe(false); // 100 s left
    c.set(c.now() + 95_000);
    expect(cache.shouldPrefetch(e, c.now())).toBe(true);
    expect(cache.shouldPrefetch(e, c.now())).toBe(false); // only once
    const off = new DnsCache({ ...options, prefetch: false }, c.now);
    const e2 = off.store('p.test', 1, 1, false, answer('p.test', 100))!;
    e2.hits = 10;
    expect(off.shouldPrefetch(e2, c.now() + 95_000)).toBe(false);
  });

  it('a zero-size cache stores nothing', () => {
    const cache = new DnsCache({ ...options, maxEntries: 0 });
    expect(cache.store('a.test', 1, 1, false, answer('a.test', 60))).toBeNull();
  });

  it('caps the cache by bytes: wire bytes, name and per-entry cost, evicting the least recently used', () => {
    const c = clock();
    const probe = new DnsCache({ ...options, maxEntries: 100 }, c.now);
    const one = probe.store('n0.test', 1, 1, false, answer('n0.test', 60))!;
    // The one allocation: the 6 bytes per record (TTL + offset) and the wire bytes.
    expect(one.wire.buffer.byteLength).toBe(one.wire.length + 6);
    expect(one.cost).toBe(one.wire.length + 6 + 'n0.test'.length + ENTRY_OVERHEAD_BYTES);
    expect(probe.bytes).toBe(one.cost);

    // Room for exactly four such entries (same name length), far below maxEntries.
    const cache = new DnsCache({ ...options, maxEntries: 100, maxBytes: one.cost * 4 + one.cost - 1 }, c.now);
    for (let i = 0; i < 4; i++) cache.store(`n${i}.test`, 1, 1, false, answer(`n${i}.test`, 60));
    expect(cache.size).toBe(4);
    expect(cache.bytes).toBe(one.cost * 4);
    cache.lookup('n0.test', 1, 1, false, c.now()); // n0 is now the most recent: n1 goes first
    cache.store('n4.test', 1, 1, false, answer('n4.test', 60));
    expect(cache.size).toBe(4);
    expect(cache.bytes).toBe(one.cost * 4);
    expect(cache.evictions).toBe(1);
    expect(cache.lookup('n1.test', 1, 1, false, c.now())).toBeNull();
    expect(cache.lookup('n0.test', 1, 1, false, c.now())).not.toBeNull();

    // A bigger answer (60 records) pushes out as many small ones as its bytes need, and no more.
    const big = buildResponse(buildQuery('n5.test', 1), {
      answers: Array.from({ length: 60 }, (_, i) => ({
        name: 'n5.test',
        type: 1,
        ttl: 60,
        data: rdata.a(`192.0.2.${i + 1}`),
      })),
    });
    const stored = cache.store('n5.test', 1, 1, false, big)!;
    expect(stored.cost).toBeGreaterThan(one.cost * 2);
    const cap = one.cost * 5 - 1;
    expect(cache.size).toBeLessThan(4);
    expect(cache.bytes).toBe(stored.cost + (cache.size - 1) * one.cost);
    expect(cache.bytes).toBeLessThanOrEqual(cap);
    expect(cache.bytes + one.cost).toBeGreaterThan(cap);
    expect(cache.lookup('n5.test', 1, 1, false, c.now())).not.toBeNull();
    const smallLeft = cache.size - 1;

    // Replacing and clearing give the bytes back; an answer larger than the whole cap is not stored.
    cache.store('n5.test', 1, 1, false, answer('n5.test', 60));
    expect(cache.size).toBe(smallLeft + 1);
    expect(cache.bytes).toBe(one.cost * (smallLeft + 1));
    const tiny = new DnsCache({ ...options, maxBytes: one.cost - 1 }, c.now);
    expect(tiny.store('n0.test', 1, 1, false, answer('n0.test', 60))).toBeNull();
    expect(tiny.size).toBe(0);
    cache.clear();
    expect(cache.bytes).toBe(0);
  });
});
