/** The queries tracksink sends upstream: read back with the tests' own independent DNS reader. */
import { describe, expect, it } from 'vitest';
import { decodeQuery, emptyParsedQuery } from '../../../server/dns-codec/decode-query.js';
import { forwardedQuery, recursiveQuery } from '../../../server/dns-codec/query-writer.js';
import { buildQuery, parseQuestion } from '../../helpers/upstream/dns-message.js';

function parsed(query: Buffer): ReturnType<typeof emptyParsedQuery> {
  const q = emptyParsedQuery();
  decodeQuery(query, q);
  return q;
}

/** The OPT record that follows the question: [payload size, extended-rcode/version/flags word, rdlength]. */
function optAfter(
  msg: Buffer,
  questionEnd: number,
): { type: number; payload: number; ttl: number; rdLength: number } {
  expect(msg[questionEnd]).toBe(0); // root owner
  return {
    type: msg.readUInt16BE(questionEnd + 1),
    payload: msg.readUInt16BE(questionEnd + 3),
    ttl: msg.readUInt32BE(questionEnd + 5),
    rdLength: msg.readUInt16BE(questionEnd + 9),
  };
}

describe('query writer', () => {
  it('forwards the client ID and question (letter case kept) with RD=1, CD cleared and our own OPT', () => {
    const client = buildQuery('WWW.Example.COM', 28, { id: 0x4242, ednsPayload: 4096, dnssecOk: true });
    client.writeUInt16BE(0x0010, 2); // CD=1, RD=0
    const out = forwardedQuery(client, parsed(client), 1232);
    const question = parseQuestion(out);
    expect(question).toMatchObject({ id: 0x4242, name: 'WWW.Example.COM', qtype: 28, qclass: 1 });
    expect(out.readUInt16BE(2)).toBe(0x0100); // RD only
    expect([out.readUInt16BE(4), out.readUInt16BE(6), out.readUInt16BE(8), out.readUInt16BE(10)]).toEqual([
      1, 0, 0, 1,
    ]);
    expect(optAfter(out, question.end)).toEqual({ type: 41, payload: 1232, ttl: 0x8000, rdLength: 0 });
    expect(out.length).toBe(question.end + 11);
  });

  it('leaves the DO bit off when the client did not set it, and drops what else the query carried', () => {
    const client = buildQuery('example.org', 1, { id: 7 });
    const withExtra = Buffer.concat([client, Buffer.from([0, 0, 41, 2, 0, 0, 0, 0, 0, 0, 0])]);
    withExtra.writeUInt16BE(1, 10);
    const out = forwardedQuery(withExtra, parsed(withExtra), 1400);
    const question = parseQuestion(out);
    expect(optAfter(out, question.end)).toEqual({ type: 41, payload: 1400, ttl: 0, rdLength: 0 });
    expect(out.length).toBe(question.end + 11);
  });

  it('builds a recursive question for a name, class IN, RD=1, no EDNS', () => {
    const out = recursiveQuery('target.example.net', 1);
    const question = parseQuestion(out);
    expect(question).toMatchObject({ name: 'target.example.net', qtype: 1, qclass: 1 });
    expect(out.readUInt16BE(2)).toBe(0x0100);
    expect(out.readUInt16BE(10)).toBe(0);
    expect(out.length).toBe(question.end);
    expect(() => recursiveQuery(`${'a'.repeat(64)}.example`, 1)).toThrow(/label/);
  });
});
