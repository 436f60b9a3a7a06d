import { describe, expect, it } from 'vitest';
import {
  answersQuestion,
  frameMessage,
  isTruncated,
  questionEnd,
  randomId,
  rcodeOf,
  withId,
} from '../../../server/dns/upstream/wire.js';
import { QTYPE, RCODE, buildQuery, buildResponse } from '../../helpers/upstream/dns-message.js';

describe('wire helpers', () => {
  const query = buildQuery('Example.Test', QTYPE.A, { id: 0x1234, ednsPayload: 1232 });

  it('finds the end of the question', () => {
    // 12 header + 14 name ("\x07Example\x04Test\x00") + 4 type/class
    expect(questionEnd(query)).toBe(12 + 14 + 4);
  });

  it('refuses malformed questions', () => {
    expect(questionEnd(Buffer.alloc(11))).toBe(-1);
    const noQuestion = Buffer.from(query);
    noQuestion.writeUInt16BE(0, 4);
    expect(questionEnd(noQuestion)).toBe(-1);
    const twoQuestions = Buffer.from(query);
    twoQuestions.writeUInt16BE(2, 4);
    expect(questionEnd(twoQuestions)).toBe(-1);
    const pointer = Buffer.from(query);
    pointer[12] = 0xc0;
    expect(questionEnd(pointer)).toBe(-1);
    expect(questionEnd(query.subarray(0, 20))).toBe(-1); // cut inside the name
    expect(questionEnd(query.subarray(0, 12 + 14 + 3))).toBe(-1); // cut inside type/class
  });

  it('matches answers case-insensitively on name, exactly on type and class', () => {
    const end = questionEnd(query);
    const answer = buildResponse(buildQuery('eXAMPLE.test', QTYPE.A, { id: 1 }));
    expect(answersQuestion(query, end, answer)).toBe(true);
    expect(answersQuestion(query, end, buildResponse(buildQuery('example.tesu', QTYPE.A)))).toBe(false);
    expect(answersQuestion(query, end, buildResponse(buildQuery('example.test', QTYPE.AAAA)))).toBe(false);
    expect(
      answersQuestion(query, end, buildResponse(buildQuery('example.test', QTYPE.A, { qclass: 3 }))),
    ).toBe(false);
    expect(answersQuestion(query, end, buildQuery('example.test', QTYPE.A))).toBe(false); // a query, not an answer
    expect(answersQuestion(query, end, answer.subarray(0, 20))).toBe(false);
  });

  it('copies with a new ID without touching the original', () => {
    const copy = withId(query, 7);
    expect(copy.readUInt16BE(0)).toBe(7);
    expect(query.readUInt16BE(0)).toBe(0x1234);
    expect(copy.subarray(2)).toEqual(query.subarray(2));
  });

  it('reads flags and frames for streams', () => {
    const tc = buildResponse(query, { truncated: true, rcode: RCODE.SERVFAIL });
    expect(isTruncated(tc)).toBe(true);
    expect(rcodeOf(tc)).toBe(RCODE.SERVFAIL);
    const framed = frameMessage(query);
    expect(framed.readUInt16BE(0)).toBe(query.length);
    expect(framed.subarray(2)).toEqual(query);
  });

  it('draws IDs over the whole 16-bit range', () => {
    const ids = Array.from({ length: 2000 }, randomId);
    expect(new Set(ids).size).toBeGreaterThan(1900);
    expect(Math.max(...ids)).toBeGreaterThan(60000);
    expect(Math.min(...ids)).toBeLessThan(5000);
  });
});
