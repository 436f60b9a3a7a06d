/**
 * The few DNS wire facts the upstream clients need: header fields, the question section's extent and a
 * case-insensitive comparison of two question sections. Everything works on raw bytes without decoding
 * names into strings, because it runs once per upstream answer.
 */

export const HEADER_SIZE = 12;
/** Largest DNS message (two-byte length on streams). */
export const MAX_MESSAGE_SIZE = 65535;

export const RCODE_SERVFAIL = 2;
export const RCODE_REFUSED = 5;

export function readId(msg: Buffer): number {
  return msg.readUInt16BE(0);
}

export function isResponse(msg: Buffer): boolean {
  return (msg[2]! & 0x80) !== 0;
}

export function isTruncated(msg: Buffer): boolean {
  return (msg[2]! & 0x02) !== 0;
}

export function rcodeOf(msg: Buffer): number {
  return msg[3]! & 0x0f;
}

/** A copy of `msg` with its ID set to `id` (the caller keeps its own buffer untouched). */
export function withId(msg: Buffer, id: number): Buffer {
  const copy = Buffer.allocUnsafe(msg.length);
  msg.copy(copy);
  copy.writeUInt16BE(id, 0);
  return copy;
}

/**
 * Offset just past the single question of `msg` (name, type, class), or -1 when the message has not
 * exactly one question or the name is malformed. The question comes first, so its name can never
 * legitimately use a compression pointer; one is treated as malformed.
 */
export function questionEnd(msg: Buffer): number {
  if (msg.length < HEADER_SIZE || msg.readUInt16BE(4) !== 1) return -1;
  let i = HEADER_SIZE;
  let nameLength = 0;
  while (i < msg.length) {
    const len = msg[i]!;
    if (len === 0) {
      const end = i + 1 + 4;
      return end <= msg.length ? end : -1;
    }
    if (len > 63) return -1;
    nameLength += len + 1;
    if (nameLength > 255) return -1;
    i += len + 1;
  }
  return -1;
}

/**
 * True when `answer` is a response whose question equals the one of `query` (name compared
 * ASCII-case-insensitively, type and class exactly). Length bytes are at most 63, below 'A' (65), so
 * folding every byte of the section is safe.
 */
export function answersQuestion(query: Buffer, queryQuestionEnd: number, answer: Buffer): boolean {
  if (answer.length < queryQuestionEnd || !isResponse(answer) || answer.readUInt16BE(4) !== 1) return false;
  for (let i = HEADER_SIZE; i < queryQuestionEnd; i++) {
    if (foldCase(query[i]!) !== foldCase(answer[i]!)) return false;
  }
  return true;
}

function foldCase(byte: number): number {
  return byte >= 0x41 && byte <= 0x5a ? byte | 0x20 : byte;
}

/** Random 16-bit ID from the CSPRNG (IDs are part of the defence against spoofed answers). */
export function randomId(): number {
  if (randomCursor >= randomIds.length) {
    crypto.getRandomValues(randomIds);
    randomCursor = 0;
  }
  return randomIds[randomCursor++]!;
}
const randomIds = new Uint16Array(256);
let randomCursor = randomIds.length;

/** Frames a message for TCP/TLS: two-byte big-endian length, then the message. */
export function frameMessage(msg: Buffer): Buffer {
  const framed = Buffer.allocUnsafe(msg.length + 2);
  framed.writeUInt16BE(msg.length, 0);
  msg.copy(framed, 2);
  return framed;
}
