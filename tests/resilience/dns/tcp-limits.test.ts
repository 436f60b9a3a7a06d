/**
 * DNS over TCP against hostile clients (issue 8): the limit on connections in total (not only per
 * client), a client that sends queries but never reads the answers (the server stops reading it, keeps
 * its buffers bounded and closes it), a client that trickles one frame byte by byte (slowloris), and the
 * exact bounds of the frame length. Per-client limits, idle timeouts and zero or 64 KB lengths are in
 * tests/integration/dns/tcp.test.ts.
 */
import net from 'node:net';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { MAX_QUERY_LENGTH } from '../../../server/dns/tcp-server.js';
import type { UpstreamPool } from '../../../server/dns/upstream/types.js';
import { TcpDnsClient } from '../../helpers/dns-clients.js';
import { type DnsHarness, startDnsHarness } from '../../helpers/dns-harness.js';
import { buildQuery } from '../../helpers/upstream/dns-message.js';

// Only blocked names are asked: answers come from memory, nothing goes upstream.
const noUpstream: UpstreamPool = {
  resolve: () => Promise.reject(new Error('no upstream in this test')),
  describe: () => ['none'],
  async close() {},
};

const harnesses: DnsHarness[] = [];
const sockets: Array<net.Socket | TcpDnsClient> = [];
afterEach(() => {
  for (const s of sockets.splice(0)) {
    if (s instanceof TcpDnsClient) s.close();
    else s.destroy();
  }
});
afterAll(async () => {
  for (const h of harnesses) await h.close();
});

async function start(config: (c: DnsHarness['config']) => void): Promise<DnsHarness> {
  const h = await startDnsHarness({ upstreams: noUpstream, blocked: ['blocked.test'], config });
  harnesses.push(h);
  return h;
}

function frame(query: Buffer): Buffer {
  const framed = Buffer.alloc(query.length + 2);
  framed.writeUInt16BE(query.length, 0);
  query.copy(framed, 2);
  return framed;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Connects from `source` and proves the server took the connection: one query answered. */
async function served(h: DnsHarness, source: string, id: number): Promise<TcpDnsClient> {
  const client = await TcpDnsClient.connect(h.server.tcpAddress.port, '127.0.0.1', source);
  sockets.push(client);
  client.send(buildQuery('blocked.test', 1, { id }));
  await client.waitFor(1);
  expect(client.answers[0]?.readUInt16BE(0), `connection from ${source} not served`).toBe(id);
  return client;
}

async function refused(h: DnsHarness, source: string): Promise<void> {
  const client = await TcpDnsClient.connect(h.server.tcpAddress.port, '127.0.0.1', source);
  sockets.push(client);
  client.send(buildQuery('blocked.test', 1, { id: 999 }));
  expect(await client.waitClosed(3000), `connection from ${source} was not refused`).toBe(true);
  expect(client.answers).toEqual([]);
}

describe('TCP limits against hostile clients', () => {
  it('limits connections in total across clients, and frees a slot when one closes', async () => {
    const h = await start((c) => {
      c.tcpMaxConnections = 4;
      c.tcpMaxConnectionsPerClient = 2;
    });
    const first = await served(h, '127.0.0.1', 1);
    await served(h, '127.0.0.1', 2);
    await served(h, '127.0.0.2', 3);
    await served(h, '127.0.0.2', 4);
    // A third client is under its own limit (0 of 2) but the server is full (4 of 4).
    const rejectedBefore = h.server.stats.tcpConnectionsRejected;
    await refused(h, '127.0.0.3');
    expect(h.server.stats.tcpConnectionsRejected).toBe(rejectedBefore + 1);
    first.close();
    // The slot comes back once the server has seen the close.
    const deadline = Date.now() + 3000;
    for (;;) {
      const client = await TcpDnsClient.connect(h.server.tcpAddress.port, '127.0.0.1', '127.0.0.3');
      sockets.push(client);
      client.send(buildQuery('blocked.test', 1, { id: 5 }));
      await client.waitFor(1, 1000);
      if (client.answers.length === 1) break;
      expect(Date.now(), 'the freed slot was never reused').toBeLessThan(deadline);
      await sleep(50);
    }
  });

  it('a client that sends queries but never reads: reading stops, the connection is closed, the slot freed', async () => {
    const idleMs = 1000;
    const h = await start((c) => {
      c.tcpIdleTimeoutMs = idleMs;
      c.tcpMaxConnectionsPerClient = 1;
    });
    const socket = net.connect({ port: h.server.tcpAddress.port, host: '127.0.0.1' });
    sockets.push(socket);
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    // Never read: Node stops taking bytes from the kernel after its 16 KB buffer, so the answers
    // pile up in the kernel, then in the server.
    socket.pause();
    socket.on('error', () => {});
    let closedAt = 0;
    let sent = 0;
    socket.on('close', () => (closedAt = Date.now()));
    const batch = Buffer.concat(
      Array.from({ length: 2000 }, (_, i) => frame(buildQuery('blocked.test', 1, { id: i }))),
    );

    // Keep a queue of queries waiting on the client side, and watch the server's answered count.
    const samples: Array<{ at: number; queries: number }> = [];
    const before = h.server.stats.queries;
    const deadline = Date.now() + 20_000;
    while (closedAt === 0 && Date.now() < deadline) {
      if (socket.writableLength < 256 * 1024) {
        socket.write(batch);
        sent += 2000;
      }
      samples.push({ at: Date.now(), queries: h.server.stats.queries - before });
      await sleep(20);
    }
    expect(closedAt, 'the server never closed a client that does not read').toBeGreaterThan(0);
    const answered = samples.at(-1)!.queries;
    // Reading stopped: the count reached its final value and stayed there until the close…
    const stoppedAt = samples.find((s) => s.queries === answered)!.at;
    expect(closedAt - stoppedAt).toBeGreaterThanOrEqual(idleMs - 200);
    // …and the close came about one idle timeout later, not at some arbitrary point.
    expect(closedAt - stoppedAt).toBeLessThan(idleMs + 2500);
    // The client sent far more than the server took: the rest sat in socket buffers, unread.
    expect(sent - answered).toBeGreaterThan(50_000);
    // What was taken is bounded by socket buffers (a few MB of answers), not by what the client sent.
    expect(answered).toBeGreaterThan(1000);
    expect(answered).toBeLessThan(400_000);
    // The one slot this client may have is free again.
    await served(h, '127.0.0.1', 7);
  }, 30_000);

  it('a client that trickles one frame a byte at a time is closed after the idle timeout (slowloris)', async () => {
    const idleMs = 1000;
    const h = await start((c) => {
      c.tcpIdleTimeoutMs = idleMs;
    });
    const client = await TcpDnsClient.connect(h.server.tcpAddress.port);
    sockets.push(client);
    const framed = frame(Buffer.concat([buildQuery('blocked.test', 1, { id: 3 }), Buffer.alloc(200)]));
    const started = Date.now();
    // One byte every 200 ms: the whole frame would take 50 s, each byte well inside the idle timeout.
    for (let i = 0; i < framed.length - 1 && !client.closed; i++) {
      client.socket.write(framed.subarray(i, i + 1));
      await sleep(200);
      if (Date.now() - started > 6000) break;
    }
    expect(client.closed, 'a never-completed frame kept the connection open').toBe(true);
    expect(Date.now() - started).toBeLessThan(idleMs + 2500);
    expect(client.answers).toEqual([]);
  }, 15_000);

  it(`takes a frame of exactly ${MAX_QUERY_LENGTH} bytes and closes on one byte more`, async () => {
    const h = await start(() => {});
    const query = buildQuery('blocked.test', 1, { id: 41 });
    // Trailing bytes after the question: the frame is read whole and answered (possibly FORMERR).
    const largest = Buffer.concat([query, Buffer.alloc(MAX_QUERY_LENGTH - query.length)]);
    const ok = await TcpDnsClient.connect(h.server.tcpAddress.port);
    sockets.push(ok);
    ok.send(largest);
    ok.send(buildQuery('blocked.test', 1, { id: 42 }));
    await ok.waitFor(2);
    expect(ok.answers.map((a) => a.readUInt16BE(0))).toEqual([41, 42]);
    expect(ok.closed).toBe(false);

    const tooLong = await TcpDnsClient.connect(h.server.tcpAddress.port);
    sockets.push(tooLong);
    tooLong.send(Buffer.concat([query, Buffer.alloc(MAX_QUERY_LENGTH + 1 - query.length)]));
    expect(await tooLong.waitClosed()).toBe(true);
    expect(tooLong.answers).toEqual([]);
  });
});
