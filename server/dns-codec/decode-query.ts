/**
 * Hot-path query decoder: reads the header, the single question and the EDNS OPT record, and nothing else.
 *
 * It never throws and allocates nothing but the name string: the caller owns one ParsedQuery and the
 * decoder overwrites it. Anything that is not a well-formed query yields a DecodeStatus that says what is
 * wrong, so the pipeline can answer FORMERR (header readable) or drop (a response, or no header).
 */
import {
  FLAG_QR,
  HEADER_SIZE,
  MAX_LABEL_LENGTH,
  MAX_NAME_WIRE_LENGTH,
  OPCODE_MASK,
  QType,
} from './constants.js';

export const DecodeStatus = {
  ok: 0,
  /** Fewer than 12 bytes: not even a header. */
  shortHeader: 1,
  /** QR=1: a response sent to a server port (reflection or spoofing): always dropped. */
  response: 2,
  /** QDCOUNT is not 1. */
  badQuestionCount: 3,
  /** The packet ends inside the question or a record. */
  truncated: 4,
  /** A label length byte with the 0x40/0x80 bits set (over 63). */
  labelTooLong: 5,
  /** The name is longer than 255 octets on the wire. */
  nameTooLong: 6,
  /** A compression pointer in the question, where nothing can be pointed to. */
  compressionInQuestion: 7,
  /** A compression pointer loop or forward pointer in a later record. */
  badPointer: 8,
  /** OPT record malformed (owner not root, options overrunning) or present twice. */
  badOpt: 9,
} as const;
export type DecodeStatus = (typeof DecodeStatus)[keyof typeof DecodeStatus];

export const DECODE_STATUS_NAMES: Record<DecodeStatus, string> = {
  0: 'ok',
  1: 'short header',
  2: 'response sent as query',
  3: 'QDCOUNT is not 1',
  4: 'truncated message',
  5: 'label longer than 63 octets',
  6: 'name longer than 255 octets',
  7: 'compression pointer in question',
  8: 'bad compression pointer',
  9: 'malformed or repeated OPT record',
};

/** The decoded query. One instance per transport, overwritten by every decodeQuery call. */
export interface ParsedQuery {
  status: DecodeStatus;
  id: number;
  /** The raw flags word of the query. */
  flags: number;
  /** Opcode (0 = QUERY). */
  opcode: number;
  /** Lower-case name without trailing dot ('' = root); non-printable octets escaped as \DDD. */
  name: string;
  qtype: number;
  qclass: number;
  /** Offset just after the question (header + question bytes are copied into answers). */
  questionEnd: number;
  hasEdns: boolean;
  /** Client's advertised UDP payload size (values under 512 are read as 512). */
  ednsUdpSize: number;
  /** DNSSEC OK bit. */
  ednsDo: boolean;
  ednsVersion: number;
}

export function emptyParsedQuery(): ParsedQuery {
  return {
    status: DecodeStatus.ok,
    id: 0,
    flags: 0,
    opcode: 0,
    name: '',
    qtype: 0,
    qclass: 0,
    questionEnd: 0,
    hasEdns: false,
    ednsUdpSize: 512,
    ednsDo: false,
    ednsVersion: 0,
  };
}

// Scratch for building the name: the longest text name is 253 octets, so 256 always fits.
const nameScratch = Buffer.alloc(256);

/** Decodes `msg` into `out` and returns out.status. Never throws. */
export function decodeQuery(msg: Uint8Array, out: ParsedQuery): DecodeStatus {
  out.name = '';
  out.qtype = 0;
  out.qclass = 0;
  out.questionEnd = 0;
  out.hasEdns = false;
  out.ednsUdpSize = 512;
  out.ednsDo = false;
  out.ednsVersion = 0;
  const len = msg.length;
  if (len < HEADER_SIZE) {
    out.id = 0;
    out.flags = 0;
    out.opcode = 0;
    return (out.status = DecodeStatus.shortHeader);
  }
  out.id = (msg[0]! << 8) | msg[1]!;
  const flags = (msg[2]! << 8) | msg[3]!;
  out.flags = flags;
  out.opcode = (flags & OPCODE_MASK) >> 11;
  if ((flags & FLAG_QR) !== 0) return (out.status = DecodeStatus.response);
  if (msg[4] !== 0 || msg[5] !== 1) return (out.status = DecodeStatus.badQuestionCount);

  // The question name: labels only, no pointers (nothing precedes it to point at).
  let pos = HEADER_SIZE;
  let textLen = 0;
  let needsEscape = false;
  while (true) {
    if (pos >= len) return (out.status = DecodeStatus.truncated);
    const labelLen = msg[pos]!;
    if (labelLen === 0) {
      pos++;
      break;
    }
    if (labelLen > MAX_LABEL_LENGTH) {
      return (out.status =
        (labelLen & 0xc0) === 0xc0 ? DecodeStatus.compressionInQuestion : DecodeStatus.labelTooLong);
    }
    // Wire length so far plus this label plus the final root octet.
    if (pos - HEADER_SIZE + labelLen + 2 > MAX_NAME_WIRE_LENGTH)
      return (out.status = DecodeStatus.nameTooLong);
    const labelEnd = pos + 1 + labelLen;
    if (labelEnd > len) return (out.status = DecodeStatus.truncated);
    if (textLen > 0) nameScratch[textLen++] = 0x2e;
    for (let i = pos + 1; i < labelEnd; i++) {
      let c = msg[i]!;
      if (c >= 0x41 && c <= 0x5a) c |= 0x20;
      else if (c <= 0x20 || c >= 0x7f || c === 0x2e || c === 0x5c) needsEscape = true;
      nameScratch[textLen++] = c;
    }
    pos = labelEnd;
  }
  if (pos + 4 > len) return (out.status = DecodeStatus.truncated);
  out.name = needsEscape ? escapedName(msg, HEADER_SIZE) : nameScratch.toString('latin1', 0, textLen);
  out.qtype = (msg[pos]! << 8) | msg[pos + 1]!;
  out.qclass = (msg[pos + 2]! << 8) | msg[pos + 3]!;
  pos += 4;
  out.questionEnd = pos;

  // Answer and authority records are unusual in a query; skip them to reach the additional section.
  let skip = ((msg[6]! << 8) | msg[7]!) + ((msg[8]! << 8) | msg[9]!);
  let additional = (msg[10]! << 8) | msg[11]!;
  while (skip > 0 || additional > 0) {
    const isAdditional = skip === 0;
    if (isAdditional) additional--;
    else skip--;
    const nameStart = pos;
    pos = skipName(msg, pos);
    if (pos < 0) return (out.status = pos === -2 ? DecodeStatus.badPointer : DecodeStatus.truncated);
    if (pos + 10 > len) return (out.status = DecodeStatus.truncated);
    const type = (msg[pos]! << 8) | msg[pos + 1]!;
    const rdLen = (msg[pos + 8]! << 8) | msg[pos + 9]!;
    const rdStart = pos + 10;
    const rdEnd = rdStart + rdLen;
    if (rdEnd > len) return (out.status = DecodeStatus.truncated);
    if (isAdditional && type === QType.OPT) {
      if (out.hasEdns || msg[nameStart] !== 0) return (out.status = DecodeStatus.badOpt);
      // Options are (code, length, data) triples that must end exactly at the end of RDATA.
      let o = rdStart;
      while (o < rdEnd) {
        if (o + 4 > rdEnd) return (out.status = DecodeStatus.badOpt);
        o += 4 + ((msg[o + 2]! << 8) | msg[o + 3]!);
      }
      if (o !== rdEnd) return (out.status = DecodeStatus.badOpt);
      out.hasEdns = true;
      const size = (msg[pos + 2]! << 8) | msg[pos + 3]!;
      out.ednsUdpSize = size < 512 ? 512 : size;
      out.ednsVersion = msg[pos + 5]!;
      out.ednsDo = (msg[pos + 6]! & 0x80) !== 0;
    }
    pos = rdEnd;
  }
  return (out.status = DecodeStatus.ok);
}

/**
 * Skips a possibly compressed name starting at `pos`. Returns the offset after it, -1 when the message
 * ends first, -2 for a pointer that does not point strictly backwards (which also rules out loops).
 */
export function skipName(msg: Uint8Array, pos: number): number {
  const len = msg.length;
  while (true) {
    if (pos >= len) return -1;
    const b = msg[pos]!;
    if (b === 0) return pos + 1;
    if ((b & 0xc0) === 0xc0) {
      if (pos + 2 > len) return -1;
      const target = ((b & 0x3f) << 8) | msg[pos + 1]!;
      return target < pos ? pos + 2 : -2;
    }
    if (b > MAX_LABEL_LENGTH) return -2;
    pos += b + 1;
  }
}

/** Slow path for names with dots, backslashes or non-printable octets inside labels (dig's \DDD style). */
function escapedName(msg: Uint8Array, pos: number): string {
  let name = '';
  while (msg[pos] !== 0) {
    const labelLen = msg[pos]!;
    if (name.length > 0) name += '.';
    for (let i = pos + 1; i <= pos + labelLen; i++) {
      let c = msg[i]!;
      if (c >= 0x41 && c <= 0x5a) c |= 0x20;
      if (c <= 0x20 || c >= 0x7f) name += '\\' + String(c).padStart(3, '0');
      else if (c === 0x2e || c === 0x5c) name += '\\' + String.fromCharCode(c);
      else name += String.fromCharCode(c);
    }
    pos += labelLen + 1;
  }
  return name;
}
