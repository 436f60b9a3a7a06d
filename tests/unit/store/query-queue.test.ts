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

describe('query queue (shared ring)', () => {
  it('copies every field of the reused event, in order', () => {
    const memory = createQueueMemory(8);
    const queue = new QueryQueue(memory);
    const reader = new QueueReader(memory);
    const ev = emptyQueryEvent();
    for (let i = 0; i < 5; i++) {
      Object.assign(ev, sample(i)); // the pipeline refills one object
      queue.record(ev);
    }
    expect(reader.available()).toBe(5);
    for (let i = 0; i < 5; i++) expect(reader.read(i)).toEqual(sample(i));
    reader.advance(5);
    expect(reader.available()).toBe(0);
    expect(queue.queued).toBe(0);
  });

  it('counts drops when full instead of blocking, and keeps the queued events intact', () => {
    const memory = createQueueMemory(4);
    const queue = new QueryQueue(memory);
    const reader = new QueueReader(memory);
    for (let i = 0; i < 10; i++) queue.record(sample(i));
    expect(queue.dropped).toBe(6);
    expect(queue.queued).toBe(4);
    expect([0, 1, 2, 3].map((i) => reader.read(i).name)).toEqual([0, 1, 2, 3].map((i) => sample(i).name));
  });

  it('wraps around many times without losing or reordering events', () => {
    const memory = createQueueMemory(16);
    const queue = new QueryQueue(memory);
    const reader = new QueueReader(memory);
    let next = 0;
    for (let round = 0; round < 200; round++) {
      const burst = 1 + (round % 16);
      for (let i = 0; i < burst; i++) queue.record(sample(round * 100 + i));
      const available = reader.available();
      for (let i = 0; i < available; i++) {
        expect(reader.read(i).deviceId).toBe(40_000 + round * 100 + i);
        next++;
      }
      reader.advance(available);
    }
    expect(queue.dropped).toBe(0);
    expect(next).toBeGreaterThan(1500);
  });

  it('truncates over-long names instead of overrunning the slot', () => {
    const memory = createQueueMemory(2);
    const queue = new QueryQueue(memory);
    const reader = new QueueReader(memory);
    const long = 'a'.repeat(400);
    queue.record({ ...sample(1), name: long, cnameTarget: long, clientAddress: 'x'.repeat(80) });
    queue.record(sample(2));
    const first = reader.read(0);
    expect(first.name).toBe('a'.repeat(256));
    expect(first.clientAddress.length).toBeLessThanOrEqual(47);
    expect(reader.read(1)).toEqual(sample(2));
  });

  it('never throws on a malformed event: it counts a drop', () => {
    const queue = new QueryQueue(createQueueMemory(4));
    const bad = { ...sample(1), name: undefined } as unknown as QueryEvent;
    expect(() => queue.record(bad)).not.toThrow();
    expect(queue.dropped).toBe(1);
    expect(queue.queued).toBe(0);
  });

  it('rejects a capacity that is not a power of two', () => {
    expect(() => createQueueMemory(1000)).toThrow(/power of two/);
  });
});
