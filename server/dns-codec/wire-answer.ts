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
  // Not allocUnsafe: small ones are slices of a shared 8 KB pool, and a cache entry living for minutes
  // would pin its whole slab (the soak test saw ~5 KB of memory held per cached answer of ~100 bytes).
  const wire = Buffer.allocUnsafeSlow(message.length - optLen);
  if (optLen > 0) {
    message.copy(wire, 0, 0, info.optStart);
    message.copy(wire, info.optStart, info.optEnd);
    const ar = ((wire[10]! << 8) | wire[11]!) - 1;
    wire[10] = ar >> 8;
    wire[11] = ar & 0xff;
  } else {
    message.copy(wire, 0);
  }
  const records = info.records.filter((r) => r.nameOffset !== info.optStart);
  const ttlOffsets = new Uint16Array(records.length);
  const ttls = new Uint32Array(records.length);
  records.forEach((r, i) => {
    const offset = optLen > 0 && r.ttlOffset > info.optStart ? r.ttlOffset - optLen : r.ttlOffset;
    const ttl = Math.max(0, Math.floor(ttlFor(r.ttl))) >>> 0;
    ttlOffsets[i] = offset;
    ttls[i] = ttl;
    wire.writeUInt32BE(ttl, offset);
  });
  return { wire, questionEnd: info.questionEnd, ttlOffsets, ttls };
}
