/**
 * Bad input over the wire: FORMERR for every malformed query whose header can be read, silence for a
 * response sent to the port and for packets shorter than a header, NOTIMP for other opcodes; every
 * case logged once; the server keeps answering.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QueryStatus, Reason } from '../../../server/events/query-event.js';
import { dig, udpExchange } from '../../helpers/dns-clients.js';
import { type DnsHarness, eventually, startDnsHarness } from '../../helpers/dns-harness.js';
import { createSimpleUpstreamPool } from '../../helpers/simple-upstream-pool.js';
import { buildQuery } from '../../helpers/upstream/dns-message.js';

let h: DnsHarness;
const pool = createSimpleUpstreamPool('127.0.0.1', 9, 200);

beforeAll(async () => {
  h = await startDnsHarness({ upstreams: pool, blocked: ['blocked.test'] });
});
afterAll(async () => {
  await h?.close();
  await pool.close();
});

function header(id: number, flags: number, qd: number, an = 0, ns = 0, ar = 0): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt16BE(id, 0);
  b.writeUInt16BE(flags, 2);
  b.writeUInt16BE(qd, 4);
  b.writeUInt16BE(an, 6);
  b.writeUInt16BE(ns, 8);
  b.writeUInt16BE(ar, 10);
  return b;
}
const tail = Buffer.from([0, 1, 0, 1]); // type A, class IN

const formerrCases: Record<string, Buffer> = {
  'QDCOUNT 0': header(1, 0x0100, 0),
  'QDCOUNT 2': Buffer.concat([
    header(2, 0x0100, 2),
    Buffer.from([1, 0x61, 0]),
    tail,
    Buffer.from([1, 0x62, 0]),
    tail,
  ]),
  'label over 63': Buffer.concat([
    header(3, 0x0100, 1),
    Buffer.from([64]),
    Buffer.alloc(64, 0x61),
    Buffer.from([0]),
    tail,
  ]),
  'compression pointer in the question': Buffer.concat([
    header(4, 0x0100, 1),
    Buffer.from([0xc0, 0x0c]),
    tail,
  ]),
  'name over 255 octets': Buffer.concat([
    header(5, 0x0100, 1),
    ...Array.from({ length: 5 }, () => Buffer.concat([Buffer.from([60]), Buffer.alloc(60, 0x61)])),
    Buffer.from([0]),
    tail,
  ]),
  'question cut short': Buffer.concat([header(6, 0x0100, 1), Buffer.from([7, 0x65, 0x78])]),
  'type and class missing': Buffer.concat([header(7, 0x0100, 1), Buffer.from([1, 0x61, 0, 0])]),
  'OPT record cut short': Buffer.concat([
    header(8, 0x0100, 1, 0, 0, 1),
    Buffer.from([1, 0x61, 0]),
    tail,
    Buffer.from([0, 0, 41, 4]),
  ]),
  'two OPT records': Buffer.concat([
    header(9, 0x0100, 1, 0, 0, 2),
    Buffer.from([1, 0x61, 0]),
    tail,
    Buffer.from([0, 0, 41, 4, 0, 0, 0, 0, 0, 0, 0]),
    Buffer.from([0, 0, 41, 4, 0, 0, 0, 0, 0, 0, 0]),
  ]),
  'pointer loop in an additional record': Buffer.concat([
    header(10, 0x0100, 1, 0, 0, 1),
    Buffer.from([1, 0x61, 0]),
    tail,
    Buffer.from([0xc0, 0x13]), // points at itself (offset 19)
    Buffer.from([0, 1, 0, 1, 0, 0, 0, 0, 0, 0]),
  ]),
};

describe('malformed queries', () => {
  for (const [what, packet] of Object.entries(formerrCases)) {
    it(`answers FORMERR (ID kept, QR set) for ${what}`, async () => {
      const answer = await udpExchange(h.port, packet);
      expect(answer).not.toBeNull();
      expect(answer!.readUInt16BE(0)).toBe(packet.readUInt16BE(0));
      expect(answer![2]! & 0x80).toBe(0x80);
      expect(answer![3]! & 0x0f).toBe(1);
    });
  }

  it('ignores a response sent to the port and a packet shorter than a header, logging them as dropped', async () => {
    const before = h.events.length;
    const response = buildQuery('blocked.test', 1);
    response[2]! |= 0x80;
    expect(await udpExchange(h.port, response, 300)).toBeNull();
    expect(await udpExchange(h.port, Buffer.from([1, 2, 3, 4, 5]), 300)).toBeNull();
    await eventually(() => h.events.length >= before + 2);
    const mine = h.events.slice(before);
    expect(mine).toHaveLength(2);
    expect(
      mine.every((e) => e.status === QueryStatus.dropped && e.reason === Reason.malformed && e.rcode === -1),
    ).toBe(true);
  });

  it('answers NOTIMP to opcodes other than QUERY (e.g. UPDATE)', async () => {
    const update = buildQuery('blocked.test', 6);
    update.writeUInt16BE(0x2800, 2); // opcode 5
    const answer = await udpExchange(h.port, update);
    expect(answer![3]! & 0x0f).toBe(4);
  });

  it('logs FORMERR events and keeps answering valid queries', async () => {
    expect(h.events.some((e) => e.status === QueryStatus.formerr && e.rcode === 1)).toBe(true);
    expect(h.server.stats.byStatus[QueryStatus.formerr]).toBeGreaterThanOrEqual(
      Object.keys(formerrCases).length,
    );
    const ok = await dig(h.port, 'blocked.test', 'A');
    expect(ok.answers.map((r) => r.data)).toEqual(['0.0.0.0']);
  });
});
