/**
 * The bounded queue between the DNS pipeline and the log writer thread: a ring of fixed-size records in
 * a SharedArrayBuffer, one producer (the main thread) and one consumer (the writer worker).
 *
 * record() is on the DNS hot path: it copies the reused QueryEvent's fields into the next free slot with
 * typed-array stores and latin1 byte writes (no allocation), publishes the slot with one Atomics.store,
 * and counts a drop when the ring is full. It never blocks and never throws.
 *
 * head and tail are free-running int32 counters (they wrap; differences are taken with `| 0`), so the
 * capacity must be a power of two and slot = counter & mask.
 */
import type { QueryEvent, QueryLogSink } from '../events/query-event.js';

/** Bytes per record; a multiple of 8 so every slot's Float64 is aligned. */
export const SLOT_BYTES = 616;
const CLIENT_MAX = 47;
const NAME_MAX = 256;

// Byte offsets inside a slot.
const OFF_TIME = 0; // f64
const OFF_DEVICE = 8; // u32 …
const OFF_LIST = 12;
const OFF_RULE = 16;
const OFF_COMPANY = 20;
const OFF_CATEGORY = 24;
const OFF_APP = 28;
const OFF_DURATION = 32;
const OFF_QTYPE = 36; // u16
const OFF_UPSTREAM = 38; // u16
const OFF_PROTOCOL = 40; // u8
const OFF_STATUS = 41; // u8
const OFF_REASON = 42; // u8
const OFF_KIND = 43; // u8
const OFF_RCODE = 44; // i16
const OFF_CLIENT_LEN = 46; // u8
const OFF_CLIENT = 47; // CLIENT_MAX bytes, up to 94
const OFF_NAME_LEN = 94; // u16
const OFF_NAME = 96; // NAME_MAX bytes, up to 352
const OFF_CNAME_LEN = 352; // u16
const OFF_CNAME = 354; // NAME_MAX bytes, up to 610

/** Control words: [0] head (slots published by the producer), [1] tail (slots consumed). */
const HEAD = 0;
const TAIL = 1;

/** The shared memory of one queue: what the worker needs to attach to it. */
export interface QueueMemory {
  slots: SharedArrayBuffer;
  control: SharedArrayBuffer;
  capacity: number;
}

export function createQueueMemory(capacity: number): QueueMemory {
  if (
    !Number.isInteger(capacity) ||
    capacity < 2 ||
    capacity > 1 << 20 ||
    (capacity & (capacity - 1)) !== 0
  ) {
    throw new Error(`query queue capacity must be a power of two between 2 and ${1 << 20}, got ${capacity}`);
  }
  return {
    slots: new SharedArrayBuffer(capacity * SLOT_BYTES),
    control: new SharedArrayBuffer(16),
    capacity,
  };
}

class SlotViews {
  readonly f64: Float64Array;
  readonly u32: Uint32Array;
  readonly u16: Uint16Array;
  readonly i16: Int16Array;
  readonly bytes: Buffer;
  readonly control: Int32Array;
  readonly mask: number;

  constructor(memory: QueueMemory) {
    this.f64 = new Float64Array(memory.slots);
    this.u32 = new Uint32Array(memory.slots);
    this.u16 = new Uint16Array(memory.slots);
    this.i16 = new Int16Array(memory.slots);
    this.bytes = Buffer.from(memory.slots);
    this.control = new Int32Array(memory.control);
    this.mask = memory.capacity - 1;
  }
}

/** The producer side: lives on the main thread, fed by the DNS pipeline. */
export class QueryQueue implements QueryLogSink {
  readonly memory: QueueMemory;
  private readonly views: SlotViews;
  private readonly capacity: number;
  /** Events refused because the ring was full (or the event could not be read). */
  dropped = 0;

  constructor(memory: QueueMemory) {
    this.memory = memory;
    this.views = new SlotViews(memory);
    this.capacity = memory.capacity;
  }

  /** Slots published so far (free-running int32): a flush waits until the consumer has passed it. */
  get head(): number {
    return this.views.control[HEAD] as number;
  }

  /** Events waiting in the ring. */
  get queued(): number {
    const control = this.views.control;
    return ((control[HEAD] as number) - Atomics.load(control, TAIL)) | 0;
  }

  record(ev: QueryEvent): void {
    const v = this.views;
    const head = v.control[HEAD] as number; // only this thread writes head
    if (((head - Atomics.load(v.control, TAIL)) | 0) >= this.capacity) {
      this.dropped++;
      return;
    }
    try {
      const base = (head & v.mask) * SLOT_BYTES;
      const w = base >> 2;
      v.f64[(base + OFF_TIME) >> 3] = ev.timeMs;
      v.u32[w + (OFF_DEVICE >> 2)] = ev.deviceId;
      v.u32[w + (OFF_LIST >> 2)] = ev.listId;
      v.u32[w + (OFF_RULE >> 2)] = ev.ruleId;
      v.u32[w + (OFF_COMPANY >> 2)] = ev.companyId;
      v.u32[w + (OFF_CATEGORY >> 2)] = ev.categoryId;
      v.u32[w + (OFF_APP >> 2)] = ev.appId;
      v.u32[w + (OFF_DURATION >> 2)] = ev.durationUs;
      const h = base >> 1;
      v.u16[h + (OFF_QTYPE >> 1)] = ev.qtype;
      v.u16[h + (OFF_UPSTREAM >> 1)] = ev.upstreamId;
      v.i16[h + (OFF_RCODE >> 1)] = ev.rcode;
      const bytes = v.bytes;
      bytes[base + OFF_PROTOCOL] = ev.protocol;
      bytes[base + OFF_STATUS] = ev.status;
      bytes[base + OFF_REASON] = ev.reason;
      bytes[base + OFF_KIND] = ev.kind;
      bytes[base + OFF_CLIENT_LEN] = bytes.write(ev.clientAddress, base + OFF_CLIENT, CLIENT_MAX, 'latin1');
      v.u16[h + (OFF_NAME_LEN >> 1)] = bytes.write(ev.name, base + OFF_NAME, NAME_MAX, 'latin1');
      v.u16[h + (OFF_CNAME_LEN >> 1)] =
        ev.cnameTarget.length === 0 ? 0 : bytes.write(ev.cnameTarget, base + OFF_CNAME, NAME_MAX, 'latin1');
    } catch {
      // A malformed event (a field of the wrong type) must not take DNS down: count it and move on.
      this.dropped++;
      return;
    }
    Atomics.store(v.control, HEAD, (head + 1) | 0);
  }
}

/** One event as the consumer decodes it (allocated: the writer thread is off the hot path). */
export interface DecodedEvent {
  timeMs: number;
  deviceId: number;
  clientAddress: string;
  name: string;
  qtype: number;
  protocol: number;
  status: number;
  reason: number;
  listId: number;
  ruleId: number;
  companyId: number;
  categoryId: number;
  appId: number;
  kind: number;
  rcode: number;
  durationUs: number;
  upstreamId: number;
  cnameTarget: string;
}

/** The consumer side: lives in the writer worker. */
export class QueueReader {
  private readonly views: SlotViews;

  constructor(memory: QueueMemory) {
    this.views = new SlotViews(memory);
  }

  /** Slots consumed so far (free-running int32). */
  get tail(): number {
    return this.views.control[TAIL] as number;
  }

  /** Events published and not yet consumed. */
  available(): number {
    const control = this.views.control;
    return (Atomics.load(control, HEAD) - (control[TAIL] as number)) | 0;
  }

  /** True once the consumer has consumed every slot published up to `head` (wrap-safe). */
  passed(head: number): boolean {
    return ((this.tail - head) | 0) >= 0;
  }

  /** Decodes the event `offset` slots past the tail (offset < available()). */
  read(offset: number): DecodedEvent {
    const v = this.views;
    const base = (((v.control[TAIL] as number) + offset) & v.mask) * SLOT_BYTES;
    const w = base >> 2;
    const h = base >> 1;
    const bytes = v.bytes;
    return {
      timeMs: v.f64[(base + OFF_TIME) >> 3] as number,
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
      protocol: bytes[base + OFF_PROTOCOL] as number,
      status: bytes[base + OFF_STATUS] as number,
      reason: bytes[base + OFF_REASON] as number,
      kind: bytes[base + OFF_KIND] as number,
      clientAddress: bytes.toString(
        'latin1',
        base + OFF_CLIENT,
        base + OFF_CLIENT + (bytes[base + OFF_CLIENT_LEN] as number),
      ),
      name: bytes.toString(
        'latin1',
        base + OFF_NAME,
        base + OFF_NAME + (v.u16[h + (OFF_NAME_LEN >> 1)] as number),
      ),
      cnameTarget: bytes.toString(
        'latin1',
        base + OFF_CNAME,
        base + OFF_CNAME + (v.u16[h + (OFF_CNAME_LEN >> 1)] as number),
      ),
    };
  }

  /** Releases `count` slots to the producer. */
  advance(count: number): void {
    const control = this.views.control;
    Atomics.store(control, TAIL, ((control[TAIL] as number) + count) | 0);
  }
}
