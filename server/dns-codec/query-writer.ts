/**
 * Queries tracksink sends itself (to an upstream): the client's question forwarded with our own header
 * bits and OPT record, and a fresh recursive question for a name (the target of a CNAME rewrite).
 * One Buffer per query and nothing else; only the upstream path (a cache miss) builds them.
 */
import { randomInt } from 'node:crypto';
import { FLAG_CD, FLAG_QR, FLAG_RD, HEADER_SIZE, QClass, QType } from './constants.js';
import type { ParsedQuery } from './decode-query.js';
import { encodeName } from './record-encoder.js';

const OPT_SIZE = 11;

/**
 * The message sent upstream for a client's query: the client's ID and question (letter case kept), RD=1,
 * CD and the rcode bits cleared, no other records, and our own OPT (our UDP payload size, the client's DO
 * bit), so what gets cached does not depend on which client asked first or what else its query carried.
 */
export function forwardedQuery(query: Uint8Array, q: ParsedQuery, udpPayloadSize: number): Buffer {
  const qEnd = q.questionEnd;
  const buf = Buffer.allocUnsafe(qEnd + OPT_SIZE);
  buf.set(query.subarray(0, qEnd), 0);
  const flags = (q.flags & ~(FLAG_CD | FLAG_QR | 0x0f)) | FLAG_RD;
  buf[2] = (flags >> 8) & 0xff;
  buf[3] = flags & 0xff;
  buf.fill(0, 6, HEADER_SIZE);
  buf[11] = 1; // ARCOUNT: our OPT
  buf[qEnd] = 0; // root owner
  buf.writeUInt16BE(QType.OPT, qEnd + 1);
  buf.writeUInt16BE(udpPayloadSize, qEnd + 3);
  buf.writeUInt32BE(q.ednsDo ? 0x8000 : 0, qEnd + 5); // extended rcode 0, version 0, DO
  buf.writeUInt16BE(0, qEnd + 9);
  return buf;
}

/** A new recursive question (random ID, RD=1, class IN, no EDNS) for `name`. Throws on a name that cannot be encoded. */
export function recursiveQuery(name: string, qtype: number): Buffer {
  const question = encodeName(name);
  const buf = Buffer.alloc(HEADER_SIZE + question.length + 4);
  buf.writeUInt16BE(randomInt(0, 65536), 0);
  buf.writeUInt16BE(FLAG_RD, 2);
  buf.writeUInt16BE(1, 4);
  question.copy(buf, HEADER_SIZE);
  buf.writeUInt16BE(qtype, HEADER_SIZE + question.length);
  buf.writeUInt16BE(QClass.IN, HEADER_SIZE + question.length + 2);
  return buf;
}
