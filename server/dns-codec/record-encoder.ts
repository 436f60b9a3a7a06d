/**
 * Encoders for the precomputed records (sinkhole answers, local records, SOA): run at start-up or on a
 * config change, never per query. Owner names are usually the pointer 0xC00C (the question's name).
 */
import { isIPv4, isIPv6 } from 'node:net';
import { MAX_LABEL_LENGTH } from './constants.js';

/** The two-byte compression pointer to the question name at offset 12. */
export const QUESTION_NAME_POINTER = Buffer.from([0xc0, 0x0c]);

/** Encodes a text name ("a.b.c", trailing dot optional) into wire labels. Throws on a bad name. */
export function encodeName(name: string): Buffer {
  const trimmed = name.endsWith('.') ? name.slice(0, -1) : name;
  if (trimmed === '') return Buffer.from([0]);
  const parts: Buffer[] = [];
  for (const label of trimmed.split('.')) {
    const bytes = Buffer.from(label, 'latin1');
    if (bytes.length === 0 || bytes.length > MAX_LABEL_LENGTH) {
      throw new Error(`invalid DNS name "${name}": label "${label}" must be 1 to 63 characters`);
    }
    parts.push(Buffer.from([bytes.length]), bytes);
  }
  parts.push(Buffer.from([0]));
  const out = Buffer.concat(parts);
  if (out.length > 255) throw new Error(`invalid DNS name "${name}": longer than 255 octets`);
  return out;
}

/** One resource record: owner bytes, type, class IN, TTL, RDATA. */
export function encodeRecord(owner: Uint8Array, type: number, ttl: number, rdata: Uint8Array): Buffer {
  const buf = Buffer.alloc(owner.length + 10 + rdata.length);
  buf.set(owner, 0);
  let p = owner.length;
  buf.writeUInt16BE(type, p);
  buf.writeUInt16BE(1, p + 2);
  buf.writeUInt32BE(ttl >>> 0, p + 4);
  buf.writeUInt16BE(rdata.length, p + 8);
  p += 10;
  buf.set(rdata, p);
  return buf;
}

export function ipv4Bytes(address: string): Buffer {
  if (!isIPv4(address)) throw new Error(`"${address}" is not an IPv4 address`);
  return Buffer.from(address.split('.').map(Number));
}

export function ipv6Bytes(address: string): Buffer {
  if (!isIPv6(address)) throw new Error(`"${address}" is not an IPv6 address`);
  let text = address.split('%')[0]!;
  const out = Buffer.alloc(16);
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hex groups.
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    const v4 = ipv4Bytes(tail);
    text = `${text.slice(0, lastColon + 1)}${((v4[0]! << 8) | v4[1]!).toString(16)}:${((v4[2]! << 8) | v4[3]!).toString(16)}`;
  }
  const [head, rest] = text.split('::') as [string, string | undefined];
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = rest === undefined || rest === '' ? [] : rest.split(':');
  const groups =
    rest === undefined
      ? headGroups
      : [
          ...headGroups,
          ...new Array<string>(8 - headGroups.length - tailGroups.length).fill('0'),
          ...tailGroups,
        ];
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

/** Character-string: one length octet then up to 255 octets. */
export function characterString(text: string): Buffer {
  const bytes = Buffer.from(text, 'latin1');
  if (bytes.length > 255)
    throw new Error(`character-string "${text.slice(0, 20)}…" is longer than 255 octets`);
  return Buffer.concat([Buffer.from([bytes.length]), bytes]);
}

/** SOA RDATA for synthesized negative answers (RFC 2308: MINIMUM is the negative-caching TTL). */
export function soaRdata(mname: string, rname: string, minimum: number): Buffer {
  const times = Buffer.alloc(20);
  times.writeUInt32BE(1, 0); // serial
  times.writeUInt32BE(1800, 4); // refresh
  times.writeUInt32BE(900, 8); // retry
  times.writeUInt32BE(604800, 12); // expire
  times.writeUInt32BE(minimum >>> 0, 16);
  return Buffer.concat([encodeName(mname), encodeName(rname), times]);
}
