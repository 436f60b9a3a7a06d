/**
 * Answer builders for the hot path. Every answer starts as a copy of the query's own header and question
 * (so the name keeps the client's letter case and offset 12 can be pointed at with 0xC00C), then gets
 * precomputed record bytes or a cached wire answer appended, and our OPT record (with an Extended DNS
 * Error when there is one to give) when the client sent EDNS. One Buffer is allocated per answer and
 * nothing else.
 */
import {
  EdeCode,
  FLAG_AA,
  FLAG_AD,
  FLAG_CD,
  FLAG_QR,
  FLAG_RA,
  FLAG_RD,
  FLAG_TC,
  HEADER_SIZE,
  OPCODE_MASK,
  QClass,
  Rcode,
} from './constants.js';
import type { ParsedQuery } from './decode-query.js';

const OPT_SIZE = 11;
const EDE_OPTION_SIZE = 6;
const EDE_OPTION_CODE = 15;

/** What an answer needs from the server configuration. */
export interface AnswerLimits {
  /** The UDP payload size we advertise in our OPT record. */
  udpPayloadSize: number;
  /** The largest message this client may receive on this transport. */
  maxSize: number;
}

function optSize(q: ParsedQuery, ede: number): number {
  return q.hasEdns ? OPT_SIZE + (ede >= 0 ? EDE_OPTION_SIZE : 0) : 0;
}

/** Writes our OPT record at `pos`; returns the offset after it. */
function writeOpt(
  buf: Buffer,
  pos: number,
  q: ParsedQuery,
  udpPayloadSize: number,
  extRcode: number,
  ede: number,
): number {
  buf[pos] = 0; // root owner
  buf[pos + 1] = 0;
  buf[pos + 2] = 41;
  buf[pos + 3] = udpPayloadSize >> 8;
  buf[pos + 4] = udpPayloadSize & 0xff;
  buf[pos + 5] = extRcode;
  buf[pos + 6] = 0; // version 0
  buf[pos + 7] = q.ednsDo ? 0x80 : 0; // DO is echoed (RFC 3225)
  buf[pos + 8] = 0;
  if (ede < 0) {
    buf[pos + 9] = 0;
    buf[pos + 10] = 0;
    return pos + OPT_SIZE;
  }
  buf[pos + 9] = 0;
  buf[pos + 10] = EDE_OPTION_SIZE;
  buf[pos + 11] = 0;
  buf[pos + 12] = EDE_OPTION_CODE;
  buf[pos + 13] = 0;
  buf[pos + 14] = 2;
  buf[pos + 15] = ede >> 8;
  buf[pos + 16] = ede & 0xff;
  return pos + OPT_SIZE + EDE_OPTION_SIZE;
}

/** Copies the query's header and question: a plain loop beats subarray()+set() for ~30 bytes. */
function copyHead(buf: Buffer, query: Uint8Array, end: number): void {
  for (let i = 0; i < end; i++) buf[i] = query[i]!;
}

function writeFlags(buf: Buffer, queryFlags: number, rcode: number, extra: number): void {
  const flags = FLAG_QR | (queryFlags & (OPCODE_MASK | FLAG_RD | FLAG_CD)) | FLAG_RA | (rcode & 0x0f) | extra;
  buf[2] = flags >> 8;
  buf[3] = flags & 0xff;
}

function writeCounts(buf: Buffer, qd: number, an: number, ns: number, ar: number): void {
  buf[4] = qd >> 8;
  buf[5] = qd & 0xff;
  buf[6] = an >> 8;
  buf[7] = an & 0xff;
  buf[8] = ns >> 8;
  buf[9] = ns & 0xff;
  buf[10] = ar >> 8;
  buf[11] = ar & 0xff;
}

/**
 * A 12-byte answer with only the header (ID, opcode, RD copied): FORMERR for a question that cannot be
 * read, NOTIMP for an opcode we do not serve.
 */
export function buildHeaderOnly(query: Uint8Array, rcode: number): Buffer {
  const buf = Buffer.allocUnsafe(HEADER_SIZE);
  buf[0] = query[0]!;
  buf[1] = query[1]!;
  writeFlags(buf, (query[2]! << 8) | query[3]!, rcode, 0);
  writeCounts(buf, 0, 0, 0, 0);
  return buf;
}

/**
 * Answer and authority record bytes prepared ahead (sinkhole answers, local records, rewrites): built once
 * at start-up or on a config change, so answering with them is a copy. Record owners are 0xC00C.
 */
export interface PrebuiltAnswer {
  rcode: number;
  answer: Buffer | null;
  ancount: number;
  authority: Buffer | null;
  nscount: number;
}

/** Empty answers per response code (REFUSED, SERVFAIL, BADVERS …), made once so an rcode answer allocates nothing more. */
const emptyAnswers: PrebuiltAnswer[] = [];
function emptyAnswer(rcode: number): PrebuiltAnswer {
  let empty = emptyAnswers[rcode];
  if (empty === undefined) {
    empty = { rcode, answer: null, ancount: 0, authority: null, nscount: 0 };
    emptyAnswers[rcode] = empty;
  }
  return empty;
}

/**
 * Header + question + the prepared answer and authority records + OPT. When the result would exceed
 * limits.maxSize the records are left out and TC=1 is set, so the client retries over TCP.
 */
export function buildAnswer(
  query: Uint8Array,
  q: ParsedQuery,
  records: PrebuiltAnswer,
  ede: number,
  limits: AnswerLimits,
  authoritative = false,
): Buffer {
  const { rcode, answer, authority } = records;
  const qEnd = q.questionEnd;
  const opt = optSize(q, ede);
  const aLen = answer === null ? 0 : answer.length;
  const nLen = authority === null ? 0 : authority.length;
  const total = qEnd + aLen + nLen + opt;
  if (total > limits.maxSize) return buildTruncated(query, q, rcode, ede, limits);
  const buf = Buffer.allocUnsafe(total);
  copyHead(buf, query, qEnd);
  writeFlags(buf, q.flags, rcode, authoritative ? FLAG_AA : 0);
  writeCounts(buf, 1, records.ancount, records.nscount, opt > 0 ? 1 : 0);
  let pos = qEnd;
  if (answer !== null) {
    buf.set(answer, pos);
    pos += aLen;
  }
  if (authority !== null) {
    buf.set(authority, pos);
    pos += nLen;
  }
  if (opt > 0) writeOpt(buf, pos, q, limits.udpPayloadSize, rcode >> 4, ede);
  return buf;
}

/** Header + question + OPT with TC=1: the answer did not fit, the client should retry over TCP. */
export function buildTruncated(
  query: Uint8Array,
  q: ParsedQuery,
  rcode: number,
  ede: number,
  limits: AnswerLimits,
): Buffer {
  const opt = optSize(q, ede);
  const buf = Buffer.allocUnsafe(q.questionEnd + opt);
  copyHead(buf, query, q.questionEnd);
  writeFlags(buf, q.flags, rcode, FLAG_TC);
  writeCounts(buf, 1, 0, 0, opt > 0 ? 1 : 0);
  if (opt > 0) writeOpt(buf, q.questionEnd, q, limits.udpPayloadSize, rcode >> 4, ede);
  return buf;
}

/** Header + question + OPT and nothing else: REFUSED, SERVFAIL, BADVERS, NOTIMP and the like. */
export function buildRcodeAnswer(
  query: Uint8Array,
  q: ParsedQuery,
  rcode: number,
  ede: number,
  limits: AnswerLimits,
): Buffer {
  return buildAnswer(query, q, emptyAnswer(rcode), ede, limits);
}

/** A cached upstream answer, stored without its OPT record (see cache.ts). */
export interface WireAnswer {
  /** The whole message, OPT removed (ARCOUNT adjusted). */
  wire: Buffer;
  questionEnd: number;
  /** Offsets of every record's TTL field and the TTL stored there when cached (already clamped). */
  ttlOffsets: Uint16Array;
  ttls: Uint32Array;
}

/**
 * Serves a stored wire answer to this query: the query's ID and question bytes (letter case as the
 * client sent it), TTLs counted down by `elapsedSeconds` (or all set to `fixedTtl` when it is ≥ 0, for
 * stale answers), and our OPT record. Truncated with TC=1 when it exceeds the client's limit.
 */
export function buildFromWire(
  query: Uint8Array,
  q: ParsedQuery,
  stored: WireAnswer,
  elapsedSeconds: number,
  fixedTtl: number,
  ede: number,
  limits: AnswerLimits,
): Buffer {
  const wire = stored.wire;
  const opt = optSize(q, ede);
  const storedFlags = (wire[2]! << 8) | wire[3]!;
  const rcode = storedFlags & 0x0f;
  // A stored question of another length cannot be patched with this one (never happens for one name).
  if (stored.questionEnd !== q.questionEnd) return buildRcodeAnswer(query, q, Rcode.SERVFAIL, ede, limits);
  if (wire.length + opt > limits.maxSize) return buildTruncated(query, q, rcode, ede, limits);
  const buf = Buffer.allocUnsafe(wire.length + opt);
  wire.copy(buf, 0);
  // The client's own ID, flags and question bytes; upstream's AA/AD/TC bits and rcode stay.
  copyHead(buf, query, q.questionEnd);
  writeFlags(buf, q.flags, rcode, storedFlags & (FLAG_AA | FLAG_AD | FLAG_TC));
  buf[4] = wire[4]!;
  buf[5] = wire[5]!;
  buf[6] = wire[6]!;
  buf[7] = wire[7]!;
  buf[8] = wire[8]!;
  buf[9] = wire[9]!;
  const offsets = stored.ttlOffsets;
  const ttls = stored.ttls;
  for (let i = 0; i < offsets.length; i++) {
    let ttl = fixedTtl >= 0 ? fixedTtl : ttls[i]! - elapsedSeconds;
    if (ttl < 0) ttl = 0;
    const o = offsets[i]!;
    buf[o] = ttl >>> 24;
    buf[o + 1] = (ttl >>> 16) & 0xff;
    buf[o + 2] = (ttl >>> 8) & 0xff;
    buf[o + 3] = ttl & 0xff;
  }
  let ar = (wire[10]! << 8) | wire[11]!;
  if (opt > 0) {
    ar++;
    writeOpt(buf, wire.length, q, limits.udpPayloadSize, 0, ede);
  }
  buf[10] = ar >> 8;
  buf[11] = ar & 0xff;
  return buf;
}

/** Whether a class is one we answer (IN, or ANY used by some old stub resolvers). */
export function isServedClass(qclass: number): boolean {
  return qclass === QClass.IN || qclass === QClass.ANY;
}

export { EdeCode };
