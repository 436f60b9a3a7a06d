import { describe, expect, it } from 'vitest';
import {
  emptyQueryEvent,
  Protocol,
  QueryStatus,
  Reason,
  type QueryEvent,
} from '../../../server/events/query-event.js';
import { createQueueMemory, QueryQueue, QueueReader } from '../../../server/store/query-queue.js';

function sample(i: number): QueryEvent {
  return {
    timeMs: 1_763_000_000_000 + i,
    clientAddress: i % 2 === 0 ? `192.168.1.${i % 250}` : 'fd00:1234:5678:9abc:def0:1234:5678:9abc',
    deviceId: 40_000 + i,
    name: `host${i}.tracker.example`,
    qtype: 28,
    protocol: Protocol.tcp,
    status: QueryStatus.blocked,
    reason: Reason.cname,
    listId: 7,
    ruleId: 123_456,
    companyId: 11,
    categoryId: 3,
    appId: 99,
    kind: 1 + (i % 2),
    rcode: i % 2 === 0 ? -1 : 3,
    durationUs: 4_000_000_000,
    upstreamId: 2,
    cnameTarget: i % 3 === 0 ? '' : `cname${i}.example`,
  };
}

/** The ring's bytes for one sample event (header 56 + text, rounded up to 8). */
function bytesOf(ev: QueryEvent): number {
  return (56 + ev.clientAddress.length + ev.name.length + ev.cnameTarget.length + 7) & ~7;
}

describe('query queue (shared ring of variable-length records)', () => {
  it('copies every field of the reused event, in order', () => {
    const memory = createQueueMemory(1024);
    const queue = new QueryQueue(memory);
    const reader = new QueueReader(memory);
    const ev = emptyQueryEvent();
    for (let i = 0; i < 5; i++) {
      Object.assign(ev, sample(i)); // the pipeline refills one object
      queue.record(ev);
    }
    expect(reader.available()).toBe(5);
    expect(queue.queued).toBe(5);
    expect(reader.take(3)).toEqual([0, 1, 2].map(sample));
    expect(reader.available()).toBe(2);
    expect(reader.take(100)).toEqual([3, 4].map(sample));
    expect(reader.available()).toBe(0);
    expect(queue.queued).toBe(0);
    expect(reader.take(100)).toEqual([]);
  });

  it('counts drops when full instead of blocking, and keeps the queued events intact', () => {
    const memory = createQueueMemory(1024);
    const queue = new QueryQueue(memory);
    const reader = new QueueReader(memory);
    let fit = 0;
    let used = 0;
    while (used + bytesOf(sample(fit)) <= 1024) used += bytesOf(sample(fit++));
    for (let i = 0; i < fit + 6; i++) queue.record(sample(i));
    expect(queue.dropped).toBe(6);
    expect(queue.queued).toBe(fit);
    expect(reader.take(fit).map((e) => e.name)).toEqual(
      Array.from({ length: fit }, (_, i) => sample(i).name),
    );
    // The bytes are free again: the next event fits.
    queue.record(sample(99));
    expect(reader.take(10)).toEqual([sample(99)]);
  });

  it('holds more short events than long ones in the same bytes', () => {
    const memory = createQueueMemory(4096);
    const queue = new QueryQueue(memory);
    const short = { ...sample(2), name: 'a.io', cnameTarget: '', clientAddress: '10.0.0.1' };
    for (let i = 0; i < 1000; i++) queue.record(short);
    expect(queue.queued).toBe(Math.floor(4096 / bytesOf(short)));
    const longQueue = new QueryQueue(createQueueMemory(4096));
    const long = { ...sample(1), name: 'n'.repeat(250), cnameTarget: 'c'.repeat(250) };
    for (let i = 0; i < 1000; i++) longQueue.record(long);
    expect(longQueue.queued).toBe(Math.floor(4096 / bytesOf(long)));
  });

  it('wraps around many times without losing, reordering or splitting events', () => {
    const memory = createQueueMemory(2048);
    const queue = new QueryQueue(memory);
    const reader = new QueueReader(memory);
    let seen = 0;
    for (let round = 0; round < 2000; round++) {
      // Bursts of 1–12 events of varying lengths put the wrap point everywhere in a record.
      const burst = 1 + (round % 12);
      for (let i = 0; i < burst; i++) {
        const ev = sample(round * 100 + i);
        queue.record({ ...ev, name: ev.name + 'x'.repeat((round * 7 + i * 13) % 90) });
      }
      const taken = reader.take(1 + (round % 5) * 3);
      for (const ev of taken) expect(ev.name.startsWith('host')).toBe(true);
      seen += taken.length;
      if (round % 10 === 9) seen += reader.take(1000).length;
    }
    seen += reader.take(100_000).length;
    expect(queue.dropped + seen).toBe(
      Array.from({ length: 2000 }, (_, r) => 1 + (r % 12)).reduce((a, b) => a + b),
    );
    expect(queue.queued).toBe(0);
  });

  it('keeps the order and content across the wrap point', () => {
    const memory = createQueueMemory(1024);
    const queue = new QueryQueue(memory);
    const reader = new QueueReader(memory);
    let next = 0;
    let expected = 0;
    // One event always waits, so the ring never empties (an empty ring starts again at 0) and must wrap.
    queue.record(sample(next++));
    for (let round = 0; round < 300; round++) {
      for (let i = 0; i < 3; i++) queue.record(sample(next++));
      for (const ev of reader.take(3)) expect(ev).toEqual(sample(expected++));
    }
    expect(reader.take(1)).toEqual([sample(expected++)]);
    expect(queue.dropped).toBe(0);
    expect(expected).toBe(901);
  });

  it('starts again at offset 0 when the ring empties, so it only touches the largest backlog', () => {
    const memory = createQueueMemory(1 << 16);
    const queue = new QueryQueue(memory);
    const reader = new QueueReader(memory);
    const ring = new Uint8Array(memory.ring);
    let next = 0;
    const names: string[] = [];
    // ~21,000 events (~2.3 MB of records, 35 times the ring) in batches of up to 20, each drained whole,
    // as the writer drains a household's queries every 50 ms.
    for (let round = 0; round < 2000; round++) {
      for (let i = 0; i < 1 + (round % 20); i++) queue.record(sample(next++));
      for (const ev of reader.take(1000)) names.push(ev.name);
    }
    expect(names).toEqual(Array.from({ length: next }, (_, i) => sample(i).name));
    let expected = next;
    expect(queue.dropped).toBe(0);
    // 20 records of at most 160 bytes: nothing was ever written past the first 3.2 kB.
    const largestBatch = 20 * 160;
    expect(ring.subarray(largestBatch).some((byte) => byte !== 0)).toBe(false);
    expect(ring.subarray(0, largestBatch).some((byte) => byte !== 0)).toBe(true);
    // A backlog still has the whole ring, right after a jump back to 0: 450 events (~50 kB of the 64 kB) wait
    // without a drop, then drain in order.
    queue.record(sample(next++));
    for (let i = 0; i < 449; i++) queue.record(sample(next++));
    expect(queue.dropped).toBe(0);
    expect(ring.subarray(largestBatch).some((byte) => byte !== 0)).toBe(true);
    for (const ev of reader.take(100_000)) expect(ev).toEqual(sample(expected++));
    expect(expected).toBe(next);
  });

  it('truncates over-long names instead of overrunning the record', () => {
    const memory = createQueueMemory(2048);
    const queue = new QueryQueue(memory);
    const reader = new QueueReader(memory);
    const long = 'a'.repeat(400);
    queue.record({ ...sample(1), name: long, cnameTarget: long, clientAddress: 'x'.repeat(80) });
    queue.record(sample(2));
    const [first, second] = reader.take(2);
    expect(first?.name).toBe('a'.repeat(256));
    expect(first?.cnameTarget).toBe('a'.repeat(256));
    expect(first?.clientAddress).toBe('x'.repeat(47));
    expect(second).toEqual(sample(2));
  });

  it('never throws on a malformed event: it counts a drop', () => {
    const queue = new QueryQueue(createQueueMemory(1024));
    const bad = { ...sample(1), name: undefined } as unknown as QueryEvent;
    expect(() => queue.record(bad)).not.toThrow();
    expect(queue.dropped).toBe(1);
    expect(queue.queued).toBe(0);
  });

  it('rejects a size that is not a power of two', () => {
    expect(() => createQueueMemory(1000)).toThrow(/power of two/);
    expect(() => createQueueMemory(512)).toThrow(/power of two/);
  });
});
