import { describe, expect, it } from 'vitest';
import {
  type PrebuiltAnswer,
  buildAnswer,
  buildFromWire,
  buildHeaderOnly,
  buildRcodeAnswer,
} from '../../../server/dns-codec/answer-writer.js';
import { EdeCode, QType } from '../../../server/dns-codec/constants.js';
import { decodeQuery, emptyParsedQuery } from '../../../server/dns-codec/decode-query.js';
import { readMessage } from '../../../server/dns-codec/message-reader.js';
import { QUESTION_NAME_POINTER, encodeRecord, ipv4Bytes } from '../../../server/dns-codec/record-encoder.js';
import { toWireAnswer } from '../../../server/dns-codec/wire-answer.js';
import { buildQuery, buildResponse, parseResponse, rdata } from '../../helpers/upstream/dns-message.js';

const limits = { udpPayloadSize: 1232, maxSize: 512 };

function parsed(query: Buffer): ReturnType<typeof emptyParsedQuery> {
  const q = emptyParsedQuery();
  decodeQuery(query, q);
  return q;
}

/** One answer record, nothing in the authority section. */
function records(rr: Buffer): PrebuiltAnswer {
  return { rcode: 0, answer: rr, ancount: 1, authority: null, nscount: 0 };
}

describe('answer writer', () => {
  it('copies ID and question, sets QR/RA, keeps RD, appends records', () => {
    const query = buildQuery('Ads.Test', 1, { id: 999 });
    const rr = encodeRecord(QUESTION_NAME_POINTER, QType.A, 60, ipv4Bytes('0.0.0.0'));
    const answer = buildAnswer(query, parsed(query), records(rr), EdeCode.blocked, limits);
    const r = parseResponse(answer);
    expect(r.id).toBe(999);
    expect(r.question.name).toBe('Ads.Test');
    expect(answer.readUInt16BE(2)).toBe(0x8180);
    expect(r.answers).toMatchObject([{ name: 'Ads.Test', type: 1, ttl: 60, text: '0.0.0.0' }]);
    expect(answer.readUInt16BE(10)).toBe(0); // no EDNS in the query: no OPT, no EDE
  });

  it('adds OPT with our payload size, the DO bit and the EDE option when the client sent EDNS', () => {
    const query = buildQuery('ads.test', 1, { ednsPayload: 4096, dnssecOk: true });
    const answer = buildRcodeAnswer(query, parsed(query), 5, EdeCode.prohibited, limits);
    const info = readMessage(answer)!;
    expect(info.rcode).toBe(5);
    const opt = answer.subarray(info.optStart);
    expect(opt.readUInt16BE(1)).toBe(41);
    expect(opt.readUInt16BE(3)).toBe(1232);
    expect(opt[7]! & 0x80).toBe(0x80);
    expect(opt.readUInt16BE(9)).toBe(6); // RDLENGTH: one EDE option
    expect(opt.readUInt16BE(11)).toBe(15); // option code EDE
    expect(opt.readUInt16BE(15)).toBe(18); // info code Prohibited
  });

  it('sets TC=1 and drops the records when the answer exceeds the limit', () => {
    const query = buildQuery('big.test', 16);
    const rr = encodeRecord(QUESTION_NAME_POINTER, QType.TXT, 60, Buffer.alloc(600, 1));
    const answer = buildAnswer(query, parsed(query), records(rr), EdeCode.none, limits);
    expect(answer[2]! & 0x02).toBe(0x02);
    expect(answer.readUInt16BE(6)).toBe(0);
    expect(answer.length).toBe(query.length);
  });

  it('header-only answers keep the ID and opcode', () => {
    const query = Buffer.from('beef2900000000000000000000', 'hex').subarray(0, 12);
    const answer = buildHeaderOnly(query, 1);
    expect(answer.readUInt16BE(0)).toBe(0xbeef);
    expect(answer.readUInt16BE(2)).toBe(0x8000 | 0x2800 | 0x0100 | 0x80 | 1);
  });

  it('serves a wire answer with the client ID, question case, counted-down TTLs and no upstream OPT', () => {
    const response = Buffer.concat([
      buildResponse(buildQuery('www.example.com', 1, { id: 1 }), {
        answers: [{ name: 'www.example.com', type: 1, ttl: 300, data: rdata.a('192.0.2.7') }],
      }),
      Buffer.from([0, 0, 41, 4, 0, 0, 0, 0, 0, 0, 0]),
    ]);
    response.writeUInt16BE(1, 10);
    const wire = toWireAnswer(response, readMessage(response)!);
    expect(wire.wire.readUInt16BE(10)).toBe(0);
    const client = buildQuery('WWW.example.COM', 1, { id: 77 });
    const answer = buildFromWire(client, parsed(client), wire, 42, -1, EdeCode.none, limits);
    const r = parseResponse(answer);
    expect(r.id).toBe(77);
    expect(r.question.name).toBe('WWW.example.COM');
    expect(r.answers[0]).toMatchObject({ ttl: 258, text: '192.0.2.7' });
    expect(answer.readUInt16BE(10)).toBe(0);
    // Stale: fixed TTL 30 and EDE Stale Answer for an EDNS client.
    const ednsClient = buildQuery('www.example.com', 1, { id: 78, ednsPayload: 1232 });
    const stale = buildFromWire(ednsClient, parsed(ednsClient), wire, 9999, 30, EdeCode.staleAnswer, limits);
    expect(parseResponse(stale).answers[0]?.ttl).toBe(30);
    const info = readMessage(stale)!;
    expect(stale.readUInt16BE(info.optStart + 15)).toBe(3);
  });
});
