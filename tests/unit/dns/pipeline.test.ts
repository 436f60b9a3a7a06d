/**
 * The pipeline without sockets: synchronous answers for rules/local/cache (no promise), exactly one
 * event per query, and prefetch of a popular entry near expiry (moved clock).
 */
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../server/config/load.js';
import { DnsCache } from '../../../server/dns/cache.js';
import { PENDING, Pipeline } from '../../../server/dns/pipeline.js';
import { DnsStats } from '../../../server/dns/stats.js';
import type { UpstreamPool } from '../../../server/dns/upstream/types.js';
import { noDevices } from '../../../server/events/device-resolver.js';
import { Protocol, QueryStatus, type QueryEvent } from '../../../server/events/query-event.js';
import { silentLogger } from '../../../server/logger.js';
import { SetPolicy } from '../../helpers/dns-test-policy.js';
import { buildQuery, buildResponse, parseResponse, rdata } from '../../helpers/upstream/dns-message.js';

function setup(): {
  pipeline: Pipeline;
  events: QueryEvent[];
  clock: { t: number };
  upstream: UpstreamPool & { calls: number };
  stats: DnsStats;
} {
  const clock = { t: 1_700_000_000_000 };
  const now = (): number => clock.t;
  const config = defaultConfig().dns;
  const events: QueryEvent[] = [];
  const upstream = {
    calls: 0,
    async resolve(query: Buffer) {
      upstream.calls++;
      const name = 'popular.example';
      return {
        packet: buildResponse(query.subarray(0, query.length - 11), {
          answers: [{ name, type: 1, ttl: 100, data: rdata.a('192.0.2.9') }],
        }),
        upstreamId: 2,
      };
    },
    describe: () => [],
    async close() {},
  };
  const stats = new DnsStats();
  const pipeline = new Pipeline({
    config,
    policy: new SetPolicy(['blocked.test']),
    devices: noDevices,
    log: { record: (e) => void events.push({ ...e }) },
    upstreams: upstream,
    logger: silentLogger,
    stats,
    cache: new DnsCache(config.cache, now),
    now,
  });
  return { pipeline, events, clock, upstream, stats };
}

const responder = {
  answers: [] as Buffer[],
  respond(a: Buffer) {
    this.answers.push(a);
  },
};
const flush = (): Promise<void> => new Promise((r) => setTimeout(r, 10));

describe('Pipeline', () => {
  it('answers blocked and local names synchronously, with one event each', () => {
    const { pipeline, events } = setup();
    const blocked = pipeline.handle(
      buildQuery('blocked.test', 1),
      '127.0.0.1',
      Protocol.udp,
      responder,
      null,
    );
    expect(Buffer.isBuffer(blocked)).toBe(true);
    const local = pipeline.handle(
      buildQuery('use-application-dns.net', 1),
      '127.0.0.1',
      Protocol.udp,
      responder,
      null,
    );
    expect(parseResponse(local as Buffer).rcode).toBe(3);
    expect(events.map((e) => e.status)).toEqual([QueryStatus.blocked, QueryStatus.local]);
  });

  it('goes upstream once, then answers from the cache synchronously; prefetches a popular name near expiry', async () => {
    const { pipeline, events, clock, upstream, stats } = setup();
    const q = buildQuery('popular.example', 1);
    expect(pipeline.handle(q, '127.0.0.1', Protocol.udp, responder, null)).toBe(PENDING);
    await flush();
    expect(upstream.calls).toBe(1);
    expect(events.at(-1)).toMatchObject({ status: QueryStatus.forwarded, upstreamId: 2 });
    for (let i = 0; i < 3; i++) {
      const hit = pipeline.handle(q, '127.0.0.1', Protocol.udp, responder, null);
      expect(Buffer.isBuffer(hit)).toBe(true);
    }
    expect(upstream.calls).toBe(1);
    clock.t += 95_000; // last tenth of the 100 s TTL
    const late = pipeline.handle(q, '127.0.0.1', Protocol.udp, responder, null) as Buffer;
    expect(parseResponse(late).answers[0]?.ttl).toBe(5);
    await flush();
    expect(upstream.calls).toBe(2); // the prefetch
    expect(stats.prefetches).toBe(1);
    clock.t += 10_000; // past the old expiry: the refreshed entry answers
    const after = pipeline.handle(q, '127.0.0.1', Protocol.udp, responder, null) as Buffer;
    expect(Buffer.isBuffer(after)).toBe(true);
    expect(parseResponse(after).answers[0]?.ttl).toBe(90);
    expect(events.filter((e) => e.status === QueryStatus.cached)).toHaveLength(5);
    expect(events).toHaveLength(6); // the prefetch itself is not a client query
  });

  it("keeps a forwarded query's own question, device and event while other queries are answered meanwhile", async () => {
    const { pipeline, events } = setup();
    const answers: { answer: Buffer; ctx: string }[] = [];
    const keep = { respond: (answer: Buffer, ctx: string) => void answers.push({ answer, ctx }) };
    const forwarded = buildQuery('popular.example', 1, { id: 4321 });
    expect(pipeline.handle(forwarded, '192.168.1.20', Protocol.tcp, keep, 'first')).toBe(PENDING);
    // Answered synchronously while the first waits: they refill the pipeline's own context.
    pipeline.handle(buildQuery('blocked.test', 28, { id: 1 }), '127.0.0.1', Protocol.udp, keep, 'second');
    pipeline.handle(Buffer.from([1, 2, 3]), '127.0.0.2', Protocol.udp, keep, 'third');
    await flush();
    expect(answers).toHaveLength(1);
    expect(answers[0]!.ctx).toBe('first');
    const r = parseResponse(answers[0]!.answer);
    expect(r.id).toBe(4321);
    expect(r.question.name).toBe('popular.example');
    expect(events.map((e) => [e.name, e.clientAddress, e.protocol, e.status])).toEqual([
      ['blocked.test', '127.0.0.1', Protocol.udp, QueryStatus.blocked],
      ['', '127.0.0.2', Protocol.udp, QueryStatus.dropped],
      ['popular.example', '192.168.1.20', Protocol.tcp, QueryStatus.forwarded],
    ]);
  });
});
