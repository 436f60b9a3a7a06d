/**
 * Regression test for a leak the soak test found: cached answers were Buffer.allocUnsafe slices of
 * Node's shared 8 KB pool, so every answer kept for minutes pinned a whole slab (~5 KB held per ~100-byte
 * answer: a full 20,000-entry cache could hold ~100 MB instead of a few). Each cached answer must own a
 * backing store of its own size: its TTL table (6 bytes a record, wire-answer.ts) followed by its wire bytes.
 */
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../server/config/load.js';
import { DnsCache } from '../../../server/dns/cache.js';
import { buildQuery, buildResponse, rdata } from '../../helpers/upstream/dns-message.js';

describe('DNS cache memory', () => {
  it('stores each answer in its own small buffer, not a slice of a shared pool slab', () => {
    const cache = new DnsCache(defaultConfig().dns.cache);
    const seen = new Set<ArrayBufferLike>();
    for (let i = 0; i < 500; i++) {
      const name = `host${i}.cache-memory.test`;
      // Short-lived allocations between stores, as the DNS server makes for every answer it sends.
      Buffer.allocUnsafe(200).fill(i);
      const response = buildResponse(buildQuery(name, 1, { id: i }), {
        answers: [{ name, type: 1, ttl: 300, data: rdata.a('192.0.2.1') }],
      });
      const entry = cache.store(name, 1, 1, false, response);
      expect(entry).not.toBeNull();
      // One A record: 6 bytes of TTL table before the wire bytes, and nothing after them.
      expect(entry!.wire.byteOffset).toBe(6);
      expect(entry!.wire.buffer.byteLength).toBe(6 + entry!.wire.length);
      expect(seen.has(entry!.wire.buffer)).toBe(false);
      seen.add(entry!.wire.buffer);
    }
  });
});
