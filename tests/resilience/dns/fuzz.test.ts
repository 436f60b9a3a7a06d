/**
 * Fuzzing the DNS decoder and the running server with fast-check: over 100,000 random and mutated
 * packets each. The decoder must never throw and must keep its invariants; the server must never crash,
 * must log one event per packet it read, and must keep answering valid queries afterwards.
 */
import dgram from 'node:dgram';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DecodeStatus, decodeQuery, emptyParsedQuery } from '../../../server/dns-codec/decode-query.js';
import { cnameTargets, readMessage, soaNegativeTtl } from '../../../server/dns-codec/message-reader.js';
import type { UpstreamPool } from '../../../server/dns/upstream/types.js';
import { dig } from '../../helpers/dns-clients.js';
import { type DnsHarness, startDnsHarness } from '../../helpers/dns-harness.js';
import { buildQuery } from '../../helpers/upstream/dns-message.js';

const DECODER_RUNS = 100_000;
const SERVER_PACKETS = 100_000;

// Cheap arbitraries: 100,000 runs must stay fast on a shared two-core machine.
const label = fc.string({
  unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCXYZ0123456789-_'),
  minLength: 1,
  maxLength: 20,
});
const name = fc.array(label, { minLength: 1, maxLength: 6 }).map((labels) => labels.join('.'));
const validQuery = fc
  .record({
    name,
    qtype: fc.constantFrom(1, 28, 65, 64, 15, 16, 12, 255, 6, 33),
    edns: fc.option(fc.integer({ min: 0, max: 65535 })),
    dnssecOk: fc.boolean(),
    id: fc.integer({ min: 0, max: 65535 }),
  })
  .map((r) =>
    buildQuery(r.name, r.qtype, {
      id: r.id,
      ...(r.edns === null ? {} : { ednsPayload: r.edns, dnssecOk: r.dnssecOk }),
    }),
  );

/** A valid query with a few random edits: byte flips, truncation, insertions, count changes. */
const mutatedQuery = fc
  .tuple(
    validQuery,
    fc.array(
      fc.oneof(
        fc.record({
          kind: fc.constant('set' as const),
          at: fc.nat(),
          value: fc.integer({ min: 0, max: 255 }),
        }),
        fc.record({ kind: fc.constant('cut' as const), at: fc.nat(), value: fc.constant(0) }),
        fc.record({
          kind: fc.constant('insert' as const),
          at: fc.nat(),
          value: fc.integer({ min: 0, max: 255 }),
        }),
        fc.record({
          kind: fc.constant('count' as const),
          at: fc.integer({ min: 4, max: 11 }),
          value: fc.integer({ min: 0, max: 255 }),
        }),
      ),
      { minLength: 1, maxLength: 4 },
    ),
  )
  .map(([query, edits]) => {
    let bytes = Buffer.from(query);
    for (const e of edits) {
      const at = bytes.length === 0 ? 0 : e.at % bytes.length;
      if (e.kind === 'set' || e.kind === 'count') {
        if (bytes.length > (e.kind === 'count' ? e.at : at)) bytes[e.kind === 'count' ? e.at : at] = e.value;
      } else if (e.kind === 'cut') bytes = bytes.subarray(0, at);
      else bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from([e.value]), bytes.subarray(at)]);
    }
    // Keep QR=0 on most so they reach the deeper checks instead of the response drop.
    if (bytes.length > 2 && edits.length % 2 === 1) bytes[2]! &= 0x7f;
    return bytes;
  });

/** Polls every millisecond, at most 10 s (the server runs in this process: it must get turns). */
async function until(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1));
}

const randomPacket = fc.uint8Array({ minLength: 0, maxLength: 600 }).map((a) => Buffer.from(a));
const anyPacket = fc.oneof({ weight: 1, arbitrary: randomPacket }, { weight: 3, arbitrary: mutatedQuery });

describe('decoder fuzzing', () => {
  const out = emptyParsedQuery();

  // Plain checks instead of expect() inside the properties: 100,000 runs each.
  function invariantsHold(packet: Buffer): boolean {
    const status = decodeQuery(packet, out);
    if (status !== out.status || status < 0 || status > 9) return false;
    if (status === DecodeStatus.ok) {
      if (out.questionEnd > packet.length || out.name.toLowerCase() !== out.name) return false;
    }
    // The general reader must not throw either.
    const info = readMessage(packet);
    if (info !== null) {
      cnameTargets(packet, info);
      soaNegativeTtl(packet, info);
    }
    return true;
  }

  it('never throws and keeps its invariants on random and mutated packets', { timeout: 180_000 }, () => {
    fc.assert(fc.property(anyPacket, invariantsHold), { numRuns: DECODER_RUNS });
  });

  it('decodes valid queries exactly (name, type, EDNS)', { timeout: 60_000 }, () => {
    fc.assert(
      fc.property(validQuery, (valid) => {
        if (decodeQuery(valid, out) !== DecodeStatus.ok) return false;
        if (out.qtype !== valid.readUInt16BE(out.questionEnd - 4)) return false;
        return out.hasEdns === (valid.readUInt16BE(10) === 1);
      }),
      { numRuns: 10_000 },
    );
  });
});

describe('server fuzzing', () => {
  let h: DnsHarness;
  const client = dgram.createSocket('udp4');
  // An in-process upstream: answers NXDOMAIN to whatever it is asked, at once. No network traffic.
  const upstream: UpstreamPool = {
    async resolve(query) {
      const answer = Buffer.from(query);
      answer[2] = 0x81;
      answer[3] = 0x83;
      return { packet: answer, upstreamId: 1 };
    },
    describe: () => ['in-process'],
    async close() {},
  };

  beforeAll(async () => {
    h = await startDnsHarness({ upstreams: upstream, blocked: ['blocked.test'] });
    h.events.length = 0;
    await new Promise<void>((resolve) => client.bind(0, '127.0.0.1', () => resolve()));
    client.on('message', () => {});
  });
  afterAll(async () => {
    client.close();
    await h?.close();
  });

  it(
    `survives ${SERVER_PACKETS.toLocaleString('en')} random and mutated packets and keeps answering`,
    { timeout: 240_000 },
    async () => {
      const packets = fc.sample(anyPacket, { numRuns: SERVER_PACKETS, seed: 8 });
      const window = 200;
      let sent = 0;
      let nonEmpty = 0;
      for (const packet of packets) {
        // A zero-length datagram is legal UDP; the server must handle it like a short header.
        client.send(packet, h.port, '127.0.0.1');
        sent++;
        if (packet.length > 0) nonEmpty++;
        if (sent % window === 0) {
          // Keep at most one window in flight so the kernel buffer never overflows and drops.
          await until(() => h.server.stats.queries >= sent - window);
        }
      }
      await until(() => h.server.stats.queries >= sent);
      // Every packet read was logged exactly once (loopback UDP does not drop at this pace).
      expect(h.server.stats.queries).toBeGreaterThanOrEqual(nonEmpty);
      expect(h.events.length).toBe(h.server.stats.queries);
      const ok = await dig(h.port, 'blocked.test', 'A');
      expect(ok.answers.map((r) => r.data)).toEqual(['0.0.0.0']);
      const fwd = await dig(h.port, 'fine.example', 'A');
      expect(fwd.status).toBe('NXDOMAIN');
    },
  );
});
