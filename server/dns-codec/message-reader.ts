/**
 * A small general reader for whole DNS messages (upstream answers): where each record is, its TTL offset,
 * CNAME targets, addresses and the SOA minimum. Used off the hot path: when an upstream answer is cached
 * or inspected, never when a cached answer is served.
 */
import { HEADER_SIZE, MAX_LABEL_LENGTH, QType } from './constants.js';
import { skipName } from './decode-query.js';

export const Section = { answer: 0, authority: 1, additional: 2 } as const;
export type Section = (typeof Section)[keyof typeof Section];

export interface RecordInfo {
  section: Section;
  /** Offset of the owner name. */
  nameOffset: number;
  type: number;
  klass: number;
  ttl: number;
  /** Offset of the 32-bit TTL, for rewriting it when serving from cache. */
  ttlOffset: number;
  rdataOffset: number;
  rdLength: number;
}

export interface MessageInfo {
  id: number;
  flags: number;
  /** The 4-bit header rcode. */
  rcode: number;
  questionEnd: number;
  /** Every answer, authority and additional record, OPT included, in message order. */
  records: RecordInfo[];
  /** Start and end of the OPT record, -1 when there is none. */
  optStart: number;
  optEnd: number;
}

/** Reads a message's layout, or returns null when it is malformed (never throws). */
export function readMessage(msg: Uint8Array): MessageInfo | null {
  const len = msg.length;
  if (len < HEADER_SIZE) return null;
  const qdcount = (msg[4]! << 8) | msg[5]!;
  const counts = [(msg[6]! << 8) | msg[7]!, (msg[8]! << 8) | msg[9]!, (msg[10]! << 8) | msg[11]!];
  let pos = HEADER_SIZE;
  for (let i = 0; i < qdcount; i++) {
    pos = skipName(msg, pos);
    if (pos < 0 || pos + 4 > len) return null;
    pos += 4;
  }
  const info: MessageInfo = {
    id: (msg[0]! << 8) | msg[1]!,
    flags: (msg[2]! << 8) | msg[3]!,
    rcode: msg[3]! & 0x0f,
    questionEnd: pos,
    records: [],
    optStart: -1,
    optEnd: -1,
  };
  for (let section = 0; section < 3; section++) {
    for (let i = 0; i < counts[section]!; i++) {
      const nameOffset = pos;
      pos = skipName(msg, pos);
      if (pos < 0 || pos + 10 > len) return null;
      const rdLength = (msg[pos + 8]! << 8) | msg[pos + 9]!;
      const record: RecordInfo = {
        section: section as Section,
        nameOffset,
        type: (msg[pos]! << 8) | msg[pos + 1]!,
        klass: (msg[pos + 2]! << 8) | msg[pos + 3]!,
        ttl: ((msg[pos + 4]! << 24) | (msg[pos + 5]! << 16) | (msg[pos + 6]! << 8) | msg[pos + 7]!) >>> 0,
        ttlOffset: pos + 4,
        rdataOffset: pos + 10,
        rdLength,
      };
      pos += 10 + rdLength;
      if (pos > len) return null;
      if (record.type === QType.OPT && section === Section.additional) {
        if (info.optStart >= 0) return null;
        info.optStart = nameOffset;
        info.optEnd = pos;
      }
      info.records.push(record);
    }
  }
  return info;
}

/**
 * Reads a possibly compressed name at `offset` as lower-case text without trailing dot ('' for the root).
 * Returns null for a malformed name (pointer loop, forward pointer, overrun, over 255 octets).
 */
export function readName(msg: Uint8Array, offset: number): string | null {
  let name = '';
  let pos = offset;
  let wireLength = 0;
  // Each pointer must go strictly backwards from where it stands, so loops are impossible.
  let lowestPointerSource = msg.length;
  while (true) {
    if (pos >= msg.length) return null;
    const b = msg[pos]!;
    if (b === 0) return name;
    if ((b & 0xc0) === 0xc0) {
      if (pos + 1 >= msg.length) return null;
      const target = ((b & 0x3f) << 8) | msg[pos + 1]!;
      if (target >= pos || target >= lowestPointerSource) return null;
      lowestPointerSource = pos;
      pos = target;
      continue;
    }
    if (b > MAX_LABEL_LENGTH) return null;
    wireLength += b + 1;
    if (wireLength + 1 > 255 || pos + 1 + b > msg.length) return null;
    if (name.length > 0) name += '.';
    for (let i = pos + 1; i <= pos + b; i++) {
      let c = msg[i]!;
      if (c >= 0x41 && c <= 0x5a) c |= 0x20;
      name += c <= 0x20 || c >= 0x7f ? '\\' + String(c).padStart(3, '0') : String.fromCharCode(c);
    }
    pos += b + 1;
  }
}

/** The CNAME targets found in the answer section, in order. */
export function cnameTargets(msg: Uint8Array, info: MessageInfo): string[] {
  const targets: string[] = [];
  for (const r of info.records) {
    if (r.section !== Section.answer || r.type !== QType.CNAME) continue;
    const target = readName(msg, r.rdataOffset);
    if (target !== null && target !== '') targets.push(target);
  }
  return targets;
}

/** The addresses (A and AAAA) in the answer section, as text. */
export function answerAddresses(msg: Uint8Array, info: MessageInfo): string[] {
  const out: string[] = [];
  for (const r of info.records) {
    if (r.section !== Section.answer) continue;
    const o = r.rdataOffset;
    if (r.type === QType.A && r.rdLength === 4) {
      out.push(`${msg[o]}.${msg[o + 1]}.${msg[o + 2]}.${msg[o + 3]}`);
    } else if (r.type === QType.AAAA && r.rdLength === 16) {
      const groups: string[] = [];
      for (let i = 0; i < 16; i += 2) groups.push(((msg[o + i]! << 8) | msg[o + i + 1]!).toString(16));
      out.push(groups.join(':'));
    }
  }
  return out;
}

/**
 * The negative-caching TTL of an NXDOMAIN/NODATA answer (RFC 2308 §5): the smaller of the SOA record's
 * own TTL and its MINIMUM field; null when the authority section has no SOA.
 */
export function soaNegativeTtl(msg: Uint8Array, info: MessageInfo): number | null {
  for (const r of info.records) {
    if (r.section !== Section.authority || r.type !== QType.SOA) continue;
    let p = skipName(msg, r.rdataOffset);
    if (p < 0) return null;
    p = skipName(msg, p);
    if (p < 0 || p + 20 > r.rdataOffset + r.rdLength) return null;
    const minimum = ((msg[p + 16]! << 24) | (msg[p + 17]! << 16) | (msg[p + 18]! << 8) | msg[p + 19]!) >>> 0;
    return Math.min(minimum, r.ttl);
  }
  return null;
}
