/**
 * Turns an upstream answer into a WireAnswer: the message without its OPT record (each client gets our
 * own OPT) plus where every TTL sits, so serving it later is a copy and a few byte patches.
 */
import type { WireAnswer } from './answer-writer.js';
import type { MessageInfo } from './message-reader.js';

/**
 * `ttlFor` may rewrite each record's TTL (cache clamps); the returned TTLs are what the wire now holds.
 * Allocates: used once per upstream answer, never per cache hit.
 */
export function toWireAnswer(
  message: Buffer,
  info: MessageInfo,
  ttlFor: (ttl: number) => number = (t) => t,
): WireAnswer {
  const optLen = info.optStart >= 0 ? info.optEnd - info.optStart : 0;
  const records = info.records.filter((r) => r.nameOffset !== info.optStart);
  const n = records.length;
  const wireLength = message.length - optLen;
  // One allocation per answer: the TTLs (4-byte aligned at 0), their offsets (2-byte aligned at 4n) and
  // the wire bytes are views of one ArrayBuffer. Three separate typed arrays cost three backing stores
  // (malloc'd one by one, each with V8's bookkeeping): ~1.7 KB resident per cached answer of ~60 bytes.
  // Not allocUnsafe: small ones are slices of a shared 8 KB pool, and a cache entry living for minutes
  // would pin its whole slab (the soak test saw ~5 KB of memory held per cached answer of ~100 bytes).
  const bytes = Buffer.allocUnsafeSlow(6 * n + wireLength);
  const ttls = new Uint32Array(bytes.buffer, bytes.byteOffset, n);
  const ttlOffsets = new Uint16Array(bytes.buffer, bytes.byteOffset + 4 * n, n);
  const wire = bytes.subarray(6 * n);
  if (optLen > 0) {
    message.copy(wire, 0, 0, info.optStart);
    message.copy(wire, info.optStart, info.optEnd);
    const ar = ((wire[10]! << 8) | wire[11]!) - 1;
    wire[10] = ar >> 8;
    wire[11] = ar & 0xff;
  } else {
    message.copy(wire, 0);
  }
  for (let i = 0; i < n; i++) {
    const r = records[i]!;
    const offset = optLen > 0 && r.ttlOffset > info.optStart ? r.ttlOffset - optLen : r.ttlOffset;
    const ttl = Math.max(0, Math.floor(ttlFor(r.ttl))) >>> 0;
    ttlOffsets[i] = offset;
    ttls[i] = ttl;
    wire.writeUInt32BE(ttl, offset);
  }
  return { wire, questionEnd: info.questionEnd, ttlOffsets, ttls };
}

/** Bytes one WireAnswer holds outside the JS heap: its one ArrayBuffer (wire plus 6 bytes per record). */
export function wireAnswerBytes(answer: WireAnswer): number {
  return answer.wire.buffer.byteLength;
}
