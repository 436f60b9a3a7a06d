import { describe, expect, it } from 'vitest';
import {
  DecodeStatus,
  decodeQuery,
  emptyParsedQuery,
  skipName,
} from '../../../server/dns-codec/decode-query.js';
import { buildQuery } from '../../helpers/upstream/dns-message.js';

const out = emptyParsedQuery();

function withHeader(flags: number, qd: number, body: number[], ar = 0): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt16BE(0x1234, 0);
  h.writeUInt16BE(flags, 2);
  h.writeUInt16BE(qd, 4);
  h.writeUInt16BE(ar, 10);
  return Buffer.concat([h, Buffer.from(body)]);
}

describe('decodeQuery', () => {
  it('reads ID, name in lower case without trailing dot, type, class and question end', () => {
    const q = buildQuery('WwW.Example.COM', 65, { id: 4321 });
    expect(decodeQuery(q, out)).toBe(DecodeStatus.ok);
    expect(out).toMatchObject({
      id: 4321,
      name: 'www.example.com',
      qtype: 65,
      qclass: 1,
      opcode: 0,
      hasEdns: false,
    });
    expect(out.questionEnd).toBe(q.length);
  });

  it('reads the OPT record: UDP size (min 512), DO bit and version', () => {
    const q = buildQuery('a.test', 1, { ednsPayload: 4096, dnssecOk: true });
    expect(decodeQuery(q, out)).toBe(DecodeStatus.ok);
    expect(out).toMatchObject({ hasEdns: true, ednsUdpSize: 4096, ednsDo: true, ednsVersion: 0 });
    decodeQuery(buildQuery('a.test', 1, { ednsPayload: 100 }), out);
    expect(out.ednsUdpSize).toBe(512);
  });

  it('reads the root name as the empty string', () => {
    expect(decodeQuery(withHeader(0x0100, 1, [0, 0, 2, 0, 1]), out)).toBe(DecodeStatus.ok);
    expect(out.name).toBe('');
    expect(out.qtype).toBe(2);
  });

  it('escapes dots, backslashes and non-printable octets inside labels', () => {
    const q = withHeader(0x0100, 1, [3, 0x61, 0x2e, 0x62, 2, 0x00, 0x5c, 0, 0, 1, 0, 1]);
    expect(decodeQuery(q, out)).toBe(DecodeStatus.ok);
    expect(out.name).toBe('a\\.b.\\000\\\\');
  });

  it('reports each kind of malformed query', () => {
    expect(decodeQuery(Buffer.alloc(11), out)).toBe(DecodeStatus.shortHeader);
    expect(decodeQuery(withHeader(0x8100, 1, [0, 0, 1, 0, 1]), out)).toBe(DecodeStatus.response);
    expect(decodeQuery(withHeader(0x0100, 0, []), out)).toBe(DecodeStatus.badQuestionCount);
    expect(decodeQuery(withHeader(0x0100, 2, [0, 0, 1, 0, 1, 0, 0, 1, 0, 1]), out)).toBe(
      DecodeStatus.badQuestionCount,
    );
    expect(decodeQuery(withHeader(0x0100, 1, [64, ...Array(64).fill(0x61), 0, 0, 1, 0, 1]), out)).toBe(
      DecodeStatus.labelTooLong,
    );
    expect(decodeQuery(withHeader(0x0100, 1, [0xc0, 0x0c, 0, 1, 0, 1]), out)).toBe(
      DecodeStatus.compressionInQuestion,
    );
    const long = Array.from({ length: 5 }, () => [50, ...Array(50).fill(0x61)]).flat();
    expect(decodeQuery(withHeader(0x0100, 1, [...long, 0, 0, 1, 0, 1]), out)).toBe(DecodeStatus.nameTooLong);
    expect(decodeQuery(withHeader(0x0100, 1, [3, 0x61]), out)).toBe(DecodeStatus.truncated);
    expect(decodeQuery(withHeader(0x0100, 1, [1, 0x61, 0, 0, 1]), out)).toBe(DecodeStatus.truncated);
    // OPT whose option overruns its RDATA.
    const badOpt = withHeader(
      0x0100,
      1,
      [1, 0x61, 0, 0, 1, 0, 1, 0, 0, 41, 4, 0, 0, 0, 0, 0, 0, 4, 0, 10, 0, 9],
      1,
    );
    expect(decodeQuery(badOpt, out)).toBe(DecodeStatus.badOpt);
  });

  it('accepts a name of exactly 255 octets and rejects 256', () => {
    // 3 labels of 63 + 1 label of 61 = 4*64 - 2 + root = 255 octets.
    const name255 = [63, 63, 63, 61].flatMap((n) => [n, ...Array(n).fill(0x61)]);
    expect(decodeQuery(withHeader(0x0100, 1, [...name255, 0, 0, 1, 0, 1]), out)).toBe(DecodeStatus.ok);
    const name256 = [63, 63, 63, 62].flatMap((n) => [n, ...Array(n).fill(0x61)]);
    expect(decodeQuery(withHeader(0x0100, 1, [...name256, 0, 0, 1, 0, 1]), out)).toBe(
      DecodeStatus.nameTooLong,
    );
  });

  it('skipName refuses forward and self pointers', () => {
    const msg = Buffer.from([0, 0, 0xc0, 0x02, 0xc0, 0x00]);
    expect(skipName(msg, 2)).toBe(-2);
    expect(skipName(msg, 4)).toBe(6);
  });
});
