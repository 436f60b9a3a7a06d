/**
 * DNS over TCP (RFC 7766): pipelined queries answered as they complete, split frames, idle timeout,
 * zero and oversized lengths, and connection limits.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UpstreamAnswer, UpstreamPool } from '../../../server/dns/upstream/types.js';
import { TcpDnsClient } from '../../helpers/dns-clients.js';
import { type DnsHarness, eventually, startDnsHarness } from '../../helpers/dns-harness.js';
import { type SimpleUpstreamPool, createSimpleUpstreamPool } from '../../helpers/simple-upstream-pool.js';
import { buildQuery, buildResponse, parseResponse, rdata } from '../../helpers/upstream/dns-message.js';
import { type StubDnsServer, startStubDnsServer } from '../../helpers/upstream/stub-dns-server.js';

let stub: StubDnsServer;
let pool: SimpleUpstreamPool;
let h: DnsHarness;
const clients: TcpDnsClient[] = [];

beforeAll(async () => {
  stub = await startStubDnsServer({ behaviour: { delayMs: 300 } });
  pool = createSimpleUpstreamPool('127.0.0.1', stub.port, 2000);
  h = await startDnsHarness({
    upstreams: pool,
    blocked: ['blocked.test'],
    config: (c) => {
      c.tcpIdleTimeoutMs = 500;
      c.tcpMaxConnectionsPerClient = 3;
    },
  });
});

afterAll(async () => {
  for (const c of clients) c.close();
  await h?.close();
  await pool?.close();
  await stub?.close();
});

async function connect(): Promise<TcpDnsClient> {
  const c = await TcpDnsClient.connect(h.server.tcpAddress.port);
  clients.push(c);
  return c;
}

describe('TCP', () => {
  it('answers pipelined queries as each completes (a slow upstream answer does not hold back blocked ones)', async () => {
    const c = await connect();
    // One write with three queries: forwarded (300 ms upstream delay), blocked, blocked.
    const q1 = buildQuery('slow.example', 1, { id: 1 });
    const q2 = buildQuery('blocked.test', 1, { id: 2 });
    const q3 = buildQuery('a.blocked.test', 28, { id: 3 });
    const frames = [q1, q2, q3].map((q) => {
      const f = Buffer.alloc(q.length + 2);
      f.writeUInt16BE(q.length, 0);
      q.copy(f, 2);
      return f;
    });
    c.socket.write(Buffer.concat(frames));
    await c.waitFor(3);
    expect(c.answers.map((a) => a.readUInt16BE(0))).toEqual([2, 3, 1]);
    expect(parseResponse(c.answers[2]!).answers[0]?.text).toBe('192.0.2.1');
    expect(parseResponse(c.answers[0]!).answers[0]?.text).toBe('0.0.0.0');
  });

  it('reassembles a query split across many packets', async () => {
    const c = await connect();
    const q = buildQuery('blocked.test', 1, { id: 77 });
    const framed = Buffer.alloc(q.length + 2);
    framed.writeUInt16BE(q.length, 0);
    q.copy(framed, 2);
    for (let i = 0; i < framed.length; i++) {
      c.socket.write(framed.subarray(i, i + 1));
      await new Promise((r) => setTimeout(r, 2));
    }
    await c.waitFor(1);
    expect(c.answers[0]?.readUInt16BE(0)).toBe(77);
  });

  it('closes an idle connection after tcpIdleTimeoutMs', async () => {
    const c = await connect();
    c.send(buildQuery('blocked.test', 1));
    await c.waitFor(1);
    expect(c.answers).toHaveLength(1);
    expect(await c.waitClosed(5000)).toBe(true);
  });

  it('closes the connection on a zero length or an oversized length', async () => {
    const zero = await connect();
    zero.socket.write(Buffer.from([0, 0]));
    expect(await zero.waitClosed()).toBe(true);
    const huge = await connect();
    huge.socket.write(Buffer.from([0xff, 0xff, 1, 2, 3]));
    expect(await huge.waitClosed()).toBe(true);
  });

  it('refuses connections over the per-client limit, and serves the others', async () => {
    const conns = [await connect(), await connect(), await connect()];
    // Wait until the server has counted all three before opening a fourth.
    await new Promise((r) => setTimeout(r, 100));
    const extra = await connect();
    expect(await extra.waitClosed()).toBe(true);
    expect(h.server.stats.tcpConnectionsRejected).toBeGreaterThan(0);
    conns[0]!.send(buildQuery('blocked.test', 1, { id: 5 }));
    await conns[0]!.waitFor(1);
    expect(conns[0]!.answers[0]?.readUInt16BE(0)).toBe(5);
    for (const c of conns) c.close();
  });
});

describe('TCP flow control', () => {
  // An in-process upstream that holds every question until the test releases it.
  const held: Array<{ query: Buffer; resolve: (a: UpstreamAnswer) => void }> = [];
  const gated: UpstreamPool = {
    resolve: (query) => new Promise((resolve) => held.push({ query, resolve })),
    describe: () => ['gated'],
    async close() {},
  };
  function release(): void {
    for (const { query, resolve } of held.splice(0)) {
      const q = query.subarray(0, query.length - 11); // without our OPT
      resolve({
        packet: buildResponse(q, {
          answers: [{ name: 'x.example', type: 1, ttl: 60, data: rdata.a('192.0.2.3') }],
        }),
        upstreamId: 1,
      });
    }
  }

  it('stops reading a connection with 64 queries waiting upstream, and goes on as they are answered', async () => {
    const h = await startDnsHarness({ upstreams: gated });
    const c = await TcpDnsClient.connect(h.server.tcpAddress.port);
    clients.push(c);
    try {
      const total = 200;
      const frames = Array.from({ length: total }, (_, i) => {
        const q = buildQuery(`q${i}.example`, 1, { id: i });
        const f = Buffer.alloc(q.length + 2);
        f.writeUInt16BE(q.length, 0);
        q.copy(f, 2);
        return f;
      });
      c.socket.write(Buffer.concat(frames));
      expect(await eventually(() => held.length >= 64)).toBe(true);
      await new Promise((r) => setTimeout(r, 100)); // let it read more if it (wrongly) would
      expect(held.length).toBe(64);
      // Releasing answers lets the held-back queries through, 64 at a time.
      while (c.answers.length < total) {
        expect(await eventually(() => held.length > 0 || c.answers.length >= total)).toBe(true);
        release();
        await c.waitFor(Math.min(total, c.answers.length + 1));
      }
      expect(new Set(c.answers.map((a) => a.readUInt16BE(0))).size).toBe(total);
    } finally {
      release();
      await h.close();
    }
  });
});
