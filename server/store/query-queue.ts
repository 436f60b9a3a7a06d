/**
 * The bounded queue between the DNS pipeline and the log writer thread: a ring of variable-length records
 * in a SharedArrayBuffer capped in bytes, one producer (the main thread) and one consumer (the writer
 * worker).
 *
 * Why variable-length: a fixed slot must reserve room for the longest client address and two 256-byte
 * names (616 bytes), while a typical record (IPv4 client, a 25-character name, no CNAME) needs ~96. The
 * same 40 MB that held 65,536 fixed slots would hold ~400,000 typical records; the default 8 MiB holds
 * ~85,000, more than the old ring, in a fifth of the memory (bench/GAP.md).
 *
 * record() is on the DNS hot path: it copies the reused QueryEvent's fields into the next free bytes with
 * typed-array stores and latin1 byte writes (no allocation), publishes them with one Atomics.store, and
 * counts a drop when the ring has no room. It never blocks and never throws.
 *
 * A record starts on an 8-byte boundary with its length; one that would cross the end of the buffer is
 * preceded by a wrap marker (the bytes left to the end, WRAP bit set) and written at offset 0, so every
 * record is contiguous. head and tail are free-running int32 byte counters (differences taken with `| 0`),
 * so the capacity must be a power of two and offset = counter & mask. Two more counters count events: the
 * producer publishes a record by storing the event count last, so the consumer never reads a record
 * before its bytes are visible.
 *
 * A record that finds the ring empty (the writer has taken everything) starts again at offset 0: the ring
 * then only ever touches as many bytes as the largest backlog. At household rates the writer drains every
 * 50 ms and a few kB of the 8 MiB are ever written, so resident; a burst at 40,000 q/s still has all of it.
 * The jump is announced in the control words (where it left off, and a count), not by a marker in the ring,
 * so records after it may use the whole capacity at once: the consumer, reaching that point, jumps too.
 */
import type { QueryEvent, QueryLogSink } from '../events/query-event.js';

const CLIENT_MAX = 47;
const NAME_MAX = 256;

// Byte offsets inside a record.
// Offset 0, u32: the record's bytes (a multiple of 8), or WRAP | the bytes left to the end.
const OFF_DEVICE = 4; // u32
const OFF_TIME = 8; // f64
const OFF_LIST = 16; // u32 …
const OFF_RULE = 20;
const OFF_COMPANY = 24;
const OFF_CATEGORY = 28;
const OFF_APP = 32;
const OFF_DURATION = 36;
const OFF_QTYPE = 40; // u16
const OFF_UPSTREAM = 42; // u16
const OFF_RCODE = 44; // i16
const OFF_PROTOCOL = 46; // u8
const OFF_STATUS = 47;
const OFF_REASON = 48;
const OFF_KIND = 49;
const OFF_CLIENT_LEN = 50; // u8
const OFF_NAME_LEN = 52; // u16
const OFF_CNAME_LEN = 54; // u16
const OFF_TEXT = 56; // client, name, cname bytes, then padding to 8
const WRAP = 0x80000000;

/** The largest record: header plus the longest client address and two longest names, rounded to 8. */
export const MAX_RECORD_BYTES = (OFF_TEXT + CLIENT_MAX + 2 * NAME_MAX + 7) & ~7;

/**
 * Control words: byte counters [0] head (published) and [1] tail (consumed), then the same in events,
 * then the producer's drop count (shared so the thread that made the ring can read it: a DNS worker's),
 * then the last jump back to offset 0 on an empty ring: the byte counter it left from, and how many so far.
 */
const HEAD = 0;
const TAIL = 1;
const HEAD_EVENTS = 2;
const TAIL_EVENTS = 3;
const DROPPED = 4;
const REWIND_FROM = 5;
const REWINDS = 6;
const CONTROL_BYTES = 28;

/** Default ring size: 8 MiB, ~85,000 typical records (two seconds at 40,000 queries/s). */
export const DEFAULT_QUEUE_BYTES = 8 * 1024 * 1024;

/** The shared memory of one queue: what the worker needs to attach to it. */
export interface QueueMemory {
  ring: SharedArrayBuffer;
  control: SharedArrayBuffer;
  bytes: number;
}

export function createQueueMemory(bytes: number): QueueMemory {
  if (!Number.isInteger(bytes) || bytes < 1024 || bytes > 1 << 30 || (bytes & (bytes - 1)) !== 0) {
    throw new Error(
      `query queue size must be a power of two between 1024 and ${1 << 30} bytes, got ${bytes}`,
    );
  }
  return { ring: new SharedArrayBuffer(bytes), control: new SharedArrayBuffer(CONTROL_BYTES), bytes };
}

class RingViews {
  readonly f64: Float64Array;
  readonly u32: Uint32Array;
  readonly u16: Uint16Array;
  readonly i16: Int16Array;
  readonly bytes: Buffer;
  readonly control: Int32Array;
  readonly mask: number;
  readonly capacity: number;

  constructor(memory: QueueMemory) {
    this.f64 = new Float64Array(memory.ring);
    this.u32 = new Uint32Array(memory.ring);
    this.u16 = new Uint16Array(memory.ring);
    this.i16 = new Int16Array(memory.ring);
    this.bytes = Buffer.from(memory.ring);
    this.control = new Int32Array(memory.control);
    this.mask = memory.bytes - 1;
    this.capacity = memory.bytes;
  }
}

/** The producer side: lives on the main thread, fed by the DNS pipeline. */
export class QueryQueue implements QueryLogSink {
  readonly memory: QueueMemory;
  private readonly views: RingViews;
  /** A jump back to 0 the consumer has not followed yet: until it does, its tail stays at `rewindFrom`. */
  private rewindPending = false;
  private rewindFrom = 0;
  private rewindTo = 0;

  constructor(memory: QueueMemory) {
    this.memory = memory;
    this.views = new RingViews(memory);
  }

  /** Events refused because the ring was full (or the event could not be read). */
  get dropped(): number {
    return ringDropped(this.memory);
  }

  /** Bytes published so far (free-running int32): a flush waits until the consumer has passed it. */
  get head(): number {
    return this.views.control[HEAD] as number;
  }

  /** Events waiting in the ring. */
  get queued(): number {
    const control = this.views.control;
    return ((control[HEAD_EVENTS] as number) - Atomics.load(control, TAIL_EVENTS)) | 0;
  }

  record(ev: QueryEvent): void {
    const v = this.views;
    const head = v.control[HEAD] as number; // only this thread writes head
    try {
      const clientLen = Math.min(ev.clientAddress.length, CLIENT_MAX);
      const nameLen = Math.min(ev.name.length, NAME_MAX);
      const cnameLen = Math.min(ev.cnameTarget.length, NAME_MAX);
      const size = (OFF_TEXT + clientLen + nameLen + cnameLen + 7) & ~7;
      let at = head & v.mask;
      const tail = Atomics.load(v.control, TAIL);
      let used = (head - tail) | 0;
      if (this.rewindPending) {
        // The consumer still stands where the jump left from: the bytes it skips are free already.
        if (tail === this.rewindFrom) used = (head - this.rewindTo) | 0;
        else this.rewindPending = false;
      }
      // An empty ring: start again at 0 (announced in the control words, no marker; see the header).
      const jump = used === 0 && at !== 0 ? v.capacity - at : 0;
      if (jump > 0) at = 0;
      // Not enough room before the end: a wrap marker fills the rest and the record starts at 0.
      const skip = at + size > v.capacity ? v.capacity - at : 0;
      if (used + skip + size > v.capacity) {
        v.control[DROPPED]!++;
        return;
      }
      if (skip > 0) {
        v.u32[at >> 2] = (WRAP | skip) >>> 0;
        at = 0;
      }
      const w = at >> 2;
      const h = at >> 1;
      v.u32[w] = size;
      v.u32[w + (OFF_DEVICE >> 2)] = ev.deviceId;
      v.f64[(at + OFF_TIME) >> 3] = ev.timeMs;
      v.u32[w + (OFF_LIST >> 2)] = ev.listId;
      v.u32[w + (OFF_RULE >> 2)] = ev.ruleId;
      v.u32[w + (OFF_COMPANY >> 2)] = ev.companyId;
      v.u32[w + (OFF_CATEGORY >> 2)] = ev.categoryId;
      v.u32[w + (OFF_APP >> 2)] = ev.appId;
      v.u32[w + (OFF_DURATION >> 2)] = ev.durationUs;
      v.u16[h + (OFF_QTYPE >> 1)] = ev.qtype;
      v.u16[h + (OFF_UPSTREAM >> 1)] = ev.upstreamId;
      v.i16[h + (OFF_RCODE >> 1)] = ev.rcode;
      const bytes = v.bytes;
      bytes[at + OFF_PROTOCOL] = ev.protocol;
      bytes[at + OFF_STATUS] = ev.status;
      bytes[at + OFF_REASON] = ev.reason;
      bytes[at + OFF_KIND] = ev.kind;
      bytes[at + OFF_CLIENT_LEN] = clientLen;
      v.u16[h + (OFF_NAME_LEN >> 1)] = nameLen;
      v.u16[h + (OFF_CNAME_LEN >> 1)] = cnameLen;
      let text = at + OFF_TEXT;
      if (clientLen > 0) text += bytes.write(ev.clientAddress, text, clientLen, 'latin1');
      if (nameLen > 0) text += bytes.write(ev.name, text, nameLen, 'latin1');
      if (cnameLen > 0) bytes.write(ev.cnameTarget, text, cnameLen, 'latin1');
      if (jump > 0) {
        this.rewindPending = true;
        this.rewindFrom = head;
        this.rewindTo = (head + jump) | 0;
        v.control[REWIND_FROM] = head;
        v.control[REWINDS] = ((v.control[REWINDS] as number) + 1) | 0;
      }
      // Only this thread reads head; the consumer learns of the record from the event count, stored last.
      v.control[HEAD] = (head + jump + skip + size) | 0;
      Atomics.store(v.control, HEAD_EVENTS, ((v.control[HEAD_EVENTS] as number) + 1) | 0);
    } catch {
      // A malformed event (a field of the wrong type) must not take DNS down: count it and move on.
      v.control[DROPPED]!++;
    }
  }
}

/** Events a ring's producer dropped so far (any thread). */
export function ringDropped(memory: QueueMemory): number {
  return Atomics.load(new Int32Array(memory.control), DROPPED) >>> 0;
}

/** Events waiting in a ring (any thread). */
export function ringQueued(memory: QueueMemory): number {
  const control = new Int32Array(memory.control);
  return (Atomics.load(control, HEAD_EVENTS) - Atomics.load(control, TAIL_EVENTS)) | 0;
}

/**
 * One event as the consumer decodes it (allocated: the writer thread is off the hot path). The pipeline's
 * QueryEvent, field for field, with its enum fields read back as plain numbers.
 */
export type DecodedEvent = { [K in keyof QueryEvent]: QueryEvent[K] extends number ? number : QueryEvent[K] };

/** The consumer side: lives in the writer worker. */
export class QueueReader {
  private readonly views: RingViews;
  /** The producer's jump count this reader has followed (REWINDS). */
  private rewindsFollowed = 0;
  /** The last client address decoded, as bytes and as the string handed out. */
  private readonly lastClient = Buffer.alloc(CLIENT_MAX);
  private lastClientLength = -1;
  private lastClientText = '';

  constructor(memory: QueueMemory) {
    this.views = new RingViews(memory);
  }

  /** Bytes consumed so far (free-running int32). */
  get tail(): number {
    return this.views.control[TAIL] as number;
  }

  /** Events published and not yet consumed. */
  available(): number {
    const control = this.views.control;
    return (Atomics.load(control, HEAD_EVENTS) - (control[TAIL_EVENTS] as number)) | 0;
  }

  /** True once the consumer has consumed every byte published up to `head` (wrap-safe). */
  passed(head: number): boolean {
    return ((this.tail - head) | 0) >= 0;
  }

  /**
   * Decodes up to `max` waiting events in order and only then releases their bytes to the producer, so
   * it never overwrites a record that is still being read.
   */
  take(max: number): DecodedEvent[] {
    const v = this.views;
    const control = v.control;
    const count = Math.min(max, this.available());
    // Read after the event count: a jump is announced before the record that made it is published.
    const rewinds = Atomics.load(control, REWINDS);
    const events = new Array<DecodedEvent>(count);
    let tail = control[TAIL] as number;
    for (let i = 0; i < count; i++) {
      // The producer found the ring empty here and went on from offset 0 (at most one jump is pending).
      if (rewinds !== this.rewindsFollowed && tail === (control[REWIND_FROM] as number)) {
        tail = (tail + v.capacity - (tail & v.mask)) | 0;
        this.rewindsFollowed = rewinds;
      }
      let at = tail & v.mask;
      const length = v.u32[at >> 2] as number;
      if ((length & WRAP) !== 0) {
        tail = (tail + (length & ~WRAP)) | 0;
        at = 0;
      }
      events[i] = this.decode(v, at);
      tail = (tail + (v.u32[at >> 2] as number)) | 0;
    }
    Atomics.store(control, TAIL_EVENTS, ((control[TAIL_EVENTS] as number) + count) | 0);
    Atomics.store(control, TAIL, tail);
    return events;
  }

  /**
   * One record as an event. A household has a few clients, so an event's client address is nearly always
   * the previous one's: comparing its few bytes is cheaper than decoding a new string (and the garbage
   * it leaves) for every event.
   */
  private decode(v: RingViews, at: number): DecodedEvent {
    const bytes = v.bytes;
    const client = at + OFF_TEXT;
    const clientLength = bytes[at + OFF_CLIENT_LEN] as number;
    if (clientLength !== this.lastClientLength || !sameBytes(bytes, client, this.lastClient, clientLength)) {
      this.lastClientLength = clientLength;
      bytes.copy(this.lastClient, 0, client, client + clientLength);
      this.lastClientText = bytes.toString('latin1', client, client + clientLength);
    }
    return decodeRecord(v, at, this.lastClientText);
  }
}

function sameBytes(a: Buffer, from: number, b: Buffer, length: number): boolean {
  for (let i = 0; i < length; i++) if (a[from + i] !== b[i]) return false;
  return true;
}

function decodeRecord(v: RingViews, at: number, clientAddress: string): DecodedEvent {
  const w = at >> 2;
  const h = at >> 1;
  const bytes = v.bytes;
  const client = at + OFF_TEXT;
  const name = client + (bytes[at + OFF_CLIENT_LEN] as number);
  const cname = name + (v.u16[h + (OFF_NAME_LEN >> 1)] as number);
  const cnameLength = v.u16[h + (OFF_CNAME_LEN >> 1)] as number;
  return {
    timeMs: v.f64[(at + OFF_TIME) >> 3] as number,
    deviceId: v.u32[w + (OFF_DEVICE >> 2)] as number,
    listId: v.u32[w + (OFF_LIST >> 2)] as number,
    ruleId: v.u32[w + (OFF_RULE >> 2)] as number,
    companyId: v.u32[w + (OFF_COMPANY >> 2)] as number,
    categoryId: v.u32[w + (OFF_CATEGORY >> 2)] as number,
    appId: v.u32[w + (OFF_APP >> 2)] as number,
    durationUs: v.u32[w + (OFF_DURATION >> 2)] as number,
    qtype: v.u16[h + (OFF_QTYPE >> 1)] as number,
    upstreamId: v.u16[h + (OFF_UPSTREAM >> 1)] as number,
    rcode: v.i16[h + (OFF_RCODE >> 1)] as number,
    protocol: bytes[at + OFF_PROTOCOL] as number,
    status: bytes[at + OFF_STATUS] as number,
    reason: bytes[at + OFF_REASON] as number,
    kind: bytes[at + OFF_KIND] as number,
    clientAddress,
    name: bytes.toString('latin1', name, cname),
    cnameTarget: cnameLength === 0 ? '' : bytes.toString('latin1', cname, cname + cnameLength),
  };
}
