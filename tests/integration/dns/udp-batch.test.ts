/**
 * The native batch UDP transport (native/udp-batch: recvmmsg/sendmmsg, server/dns/udp-native.ts) and its
 * fallback, Node's dgram (TRACKSINK_UDP=dgram), on real sockets: a burst of hundreds of queries from many
 * source ports at once (batches really form) gets every answer back to its own asker with its own id and
 * question; IPv6 on ::1; a malformed datagram in the middle of a batch is handled as today without losing
 * its neighbours; two sockets share a port with reusePort; forcing dgram still answers.
 *
 * The whole DNS UDP test set runs with the native transport by default when the addon is built; run it
 * with TRACKSINK_UDP=dgram for the fallback.
 */
import dgram from 'node:dgram';
import { Worker } from 'node:worker_threads';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../server/config/load.js';
import { DnsCache } from '../../../server/dns/cache.js';
import { Pipeline } from '../../../server/dns/pipeline.js';
import { DnsStats } from '../../../server/dns/stats.js';
import { NATIVE_ADDON_PATHS } from '../../../server/native-addon.js';
import { loadUdpBatch, nativeUdpCounters } from '../../../server/dns/udp-native.js';
import { startUdpServer } from '../../../server/dns/udp-server.js';
import { udpReusePortSupported } from '../../../server/dns/workers/worker-count.js';
import { noDevices } from '../../../server/events/device-resolver.js';
import { QueryStatus } from '../../../server/events/query-event.js';
import { silentLogger } from '../../../server/logger.js';
import { type DnsHarness, eventually, startDnsHarness } from '../../helpers/dns-harness.js';
import { SetPolicy } from '../../helpers/dns-test-policy.js';
import { createSimpleUpstreamPool } from '../../helpers/simple-upstream-pool.js';
import { QTYPE, buildQuery, parseResponse } from '../../helpers/upstream/dns-message.js';
import { type StubDnsServer, startStubDnsServer } from '../../helpers/upstream/stub-dns-server.js';

const nativeBuilt = loadUdpBatch().binding !== null;
const savedEnv = process.env.TRACKSINK_UDP;
afterEach(() => {
  if (savedEnv === undefined) delete process.env.TRACKSINK_UDP;
  else process.env.TRACKSINK_UDP = savedEnv;
});

interface Asked {
  id: number;
  name: string;
}

/**
 * `sockets` client sockets, each sending `perSocket` queries at once (all sends queued before the server's
 * loop turns, so they reach it as batches). Resolves with, per socket, the answers it received.
 */
async function burst(
  port: number,
  host: string,
  sockets: number,
  perSocket: number,
  nameFor: (n: number) => string,
): Promise<{ asked: Asked[][]; got: ReturnType<typeof parseResponse>[][] }> {
  const asked: Asked[][] = [];
  const got: ReturnType<typeof parseResponse>[][] = [];
  const clients = await Promise.all(
    Array.from({ length: sockets }, (_, s) => {
      const socket = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
      asked[s] = [];
      got[s] = [];
      socket.on('message', (msg) => got[s]!.push(parseResponse(msg)));
      return new Promise<dgram.Socket>((resolve) => socket.bind(0, host, () => resolve(socket)));
    }),
  );
  let n = 0;
  clients.forEach((socket, s) => {
    for (let k = 0; k < perSocket; k++) {
      const id = (s * perSocket + k) & 0xffff;
      const name = nameFor(n++);
      asked[s]!.push({ id, name });
      socket.send(buildQuery(name, QTYPE.A, { id }), port, host);
    }
  });
  const total = sockets * perSocket;
  await eventually(() => got.reduce((sum, g) => sum + g.length, 0) >= total, 8000);
  await new Promise((r) => setTimeout(r, 50)); // any stray extra answer would arrive now
  for (const socket of clients) socket.close();
  return { asked, got };
}

/** Every socket got exactly the answers to its own questions: same ids, same names, nothing else. */
function expectOwnAnswers(asked: Asked[][], got: ReturnType<typeof parseResponse>[][]): void {
  for (let s = 0; s < asked.length; s++) {
    const want = asked[s]!.map((a) => `${a.id} ${a.name}`).sort();
    const have = got[s]!.map((g) => `${g.id} ${g.question.name}`).sort();
    expect(have, `client socket ${s}`).toEqual(want);
  }
}

const modes = [
  { mode: 'native', env: 'native', skip: !nativeBuilt },
  { mode: 'dgram', env: 'dgram', skip: false },
] as const;

for (const { mode, env, skip } of modes) {
  describe.skipIf(skip)(`UDP transport: ${mode}`, () => {
    let upstream: StubDnsServer;
    let pool: ReturnType<typeof createSimpleUpstreamPool>;
    let h: DnsHarness | undefined;

    beforeAll(async () => {
      upstream = await startStubDnsServer({ defaultA: '192.0.2.7' });
      pool = createSimpleUpstreamPool('127.0.0.1', upstream.port, 2000);
    });
    afterAll(async () => {
      await pool.close();
      await upstream.close();
    });
    afterEach(async () => {
      await h?.close();
      h = undefined;
    });

    async function start(bind = '127.0.0.1'): Promise<DnsHarness> {
      process.env.TRACKSINK_UDP = env;
      h = await startDnsHarness({
        upstreams: pool,
        blocked: Array.from({ length: 50 }, (_, i) => `ads${i}.burst.test`),
        config: (c) => {
          c.bind = bind;
          c.rateLimit.privatePerSecond = 0;
        },
      });
      return h;
    }

    it('answers a burst of 480 queries from 120 source ports, each to its own asker with its own id', async () => {
      const server = await start();
      const before = { ...nativeUdpCounters };
      // Blocked names (answered inside the batch) and forwarded ones (answered later, one by one).
      const { asked, got } = await burst(server.port, '127.0.0.1', 120, 4, (n) =>
        n % 3 === 2 ? `site${n}.forward.test` : `ads${n % 50}.burst.test`,
      );
      expectOwnAnswers(asked, got);
      const all = got.flat();
      expect(all).toHaveLength(480);
      for (const answer of all) {
        const blocked = answer.question.name.startsWith('ads');
        expect(answer.answers[0]?.text, answer.question.name).toBe(blocked ? '0.0.0.0' : '192.0.2.7');
      }
      await eventually(() => server.events.length >= 480);
      expect(server.events).toHaveLength(480);
      expect(server.events.filter((e) => e.status === QueryStatus.blocked)).toHaveLength(320);
      expect(new Set(server.events.map((e) => e.clientAddress))).toEqual(new Set(['127.0.0.1']));
      if (mode === 'native') {
        expect(nativeUdpCounters.datagrams - before.datagrams).toBe(480);
        expect(nativeUdpCounters.batches - before.batches).toBeLessThan(480);
        expect(nativeUdpCounters.largestBatch).toBeGreaterThan(1);
      } else {
        expect(nativeUdpCounters.datagrams).toBe(before.datagrams);
      }
    });

    it('answers on ::1 from many IPv6 source ports and logs the IPv6 client', async () => {
      const server = await start('::1');
      const { asked, got } = await burst(server.port, '::1', 40, 3, (n) =>
        n % 2 === 0 ? `ads${n % 50}.burst.test` : `v6-${n}.forward.test`,
      );
      expectOwnAnswers(asked, got);
      await eventually(() => server.events.length >= 120);
      expect(new Set(server.events.map((e) => e.clientAddress))).toEqual(new Set(['::1']));
    });

    it('serves IPv4 clients on "::" and logs them as IPv4', async () => {
      const server = await start('::');
      const { asked, got } = await burst(server.port, '127.0.0.1', 20, 3, (n) => `ads${n % 50}.burst.test`);
      expectOwnAnswers(asked, got);
      await eventually(() => server.events.length >= 60);
      expect(new Set(server.events.map((e) => e.clientAddress))).toEqual(new Set(['127.0.0.1']));
    });

    it('handles a malformed datagram in the middle of a batch without losing its neighbours', async () => {
      const server = await start();
      const socket = dgram.createSocket('udp4');
      // Header only: a FORMERR answer to QDCOUNT 0 has no question to parse.
      const answers: { id: number; rcode: number }[] = [];
      socket.on('message', (msg) => answers.push({ id: msg.readUInt16BE(0), rcode: msg[3]! & 0x0f }));
      await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
      const qdcountZero = Buffer.from([0, 77, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]); // FORMERR, id 77
      const short = Buffer.from([1, 2, 3]); // shorter than a header: dropped silently
      const packets = [
        buildQuery('ads1.burst.test', QTYPE.A, { id: 11 }),
        buildQuery('ads2.burst.test', QTYPE.A, { id: 12 }),
        short,
        qdcountZero,
        buildQuery('ads3.burst.test', QTYPE.A, { id: 13 }),
        Buffer.alloc(0),
        buildQuery('ads4.burst.test', QTYPE.A, { id: 14 }),
      ];
      for (const p of packets) socket.send(p, server.port, '127.0.0.1');
      await eventually(() => answers.length >= 5);
      await new Promise((r) => setTimeout(r, 100));
      socket.close();
      expect(answers.map((a) => [a.id, a.rcode]).sort((a, b) => a[0]! - b[0]!)).toEqual([
        [11, 0],
        [12, 0],
        [13, 0],
        [14, 0],
        [77, 1],
      ]);
      await eventually(() => server.events.length >= 7);
      expect(server.events.filter((e) => e.status === QueryStatus.blocked)).toHaveLength(4);
      expect(server.events).toHaveLength(7); // the short and the empty datagram are logged as dropped
    });
  });
}

describe('two sockets on one port with reusePort', () => {
  const config = defaultConfig().dns;
  const pipeline = (): Pipeline =>
    new Pipeline({
      config,
      policy: new SetPolicy(['shared.test']),
      devices: noDevices,
      log: { record: () => {} },
      upstreams: {
        resolve: () => Promise.reject(new Error('no upstream')),
        describe: () => [],
        close: async () => {},
      },
      logger: silentLogger,
      stats: new DnsStats(),
      cache: new DnsCache(config.cache, () => Date.now()),
    });

  for (const mode of ['native', 'dgram'] as const) {
    // dgram's reusePort needs Node ≥ 22.12; the addon sets SO_REUSEPORT itself on any Node.
    const skip = mode === 'native' ? !nativeBuilt : !udpReusePortSupported();
    it.skipIf(skip)(`${mode}: both bind, both answer, and the kernel spreads clients over them`, async () => {
      process.env.TRACKSINK_UDP = mode;
      const common = { bind: '127.0.0.1', pipeline: pipeline(), logger: silentLogger, reusePort: true };
      const first = await startUdpServer({ ...common, port: 0 });
      const second = await startUdpServer({ ...common, port: first.address.port });
      try {
        expect(first.transport).toBe(mode);
        expect(second.address.port).toBe(first.address.port);
        const { asked, got } = await burst(first.address.port, '127.0.0.1', 64, 1, () => 'shared.test');
        expectOwnAnswers(asked, got);
        // Without reusePort the second bind fails.
        const third = startUdpServer({ ...common, port: first.address.port, reusePort: false });
        await expect(third).rejects.toThrow(/already in use/);
      } finally {
        await first.close();
        await second.close();
      }
    });
  }
});

/**
 * The addon in a worker thread (each DNS worker loads it into its own isolate and loop): a worker's socket
 * shares the port with the main thread's, both answer, and a worker that ends without close() (terminate)
 * gives its socket back, so the main thread's socket then answers everyone.
 */
describe.skipIf(!nativeBuilt)('the native transport in a worker thread', () => {
  const workerCode = `
    const { parentPort, workerData } = require('node:worker_threads');
    const b = require(workerData.path);
    const o = b.open(4, '127.0.0.1', workerData.port, true, 1 << 20);
    const ra = Buffer.alloc(b.BATCH * b.SLOT), rt = Buffer.alloc(b.BATCH * 32);
    const sa = Buffer.alloc(b.BATCH * b.SLOT), st = Buffer.alloc(b.BATCH * 16);
    const rw = new Uint32Array(rt.buffer, rt.byteOffset, b.BATCH * 8);
    const sw = new Uint32Array(st.buffer, st.byteOffset, b.BATCH * 4);
    b.start(o.handle, ra, rt, sa, st, (count) => {
      let off = 0;
      for (let i = 0; i < count; i++) {
        const len = rw[i * 8];
        ra.copy(sa, off, i * b.SLOT, i * b.SLOT + len);
        sa[off + 2] |= 0x80; // QR
        sa[off + 3] = 0x0a; // a mark the real server never sets: rcode 10
        sw[i * 4] = off; sw[i * 4 + 1] = len; sw[i * 4 + 2] = i;
        off += len;
      }
      return count;
    });
    parentPort.postMessage('ready');
  `;

  it('shares the port with the main thread and releases it when the worker is terminated', async () => {
    process.env.TRACKSINK_UDP = 'native';
    const config = defaultConfig().dns;
    const server = await startUdpServer({
      bind: '127.0.0.1',
      port: 0,
      reusePort: true,
      logger: silentLogger,
      pipeline: new Pipeline({
        config,
        policy: new SetPolicy(['shared.test']),
        devices: noDevices,
        log: { record: () => {} },
        upstreams: {
          resolve: () => Promise.reject(new Error('none')),
          describe: () => [],
          close: async () => {},
        },
        logger: silentLogger,
        stats: new DnsStats(),
        cache: new DnsCache(config.cache, () => Date.now()),
      }),
    });
    const port = server.address.port;
    const path = NATIVE_ADDON_PATHS.find((p) => loadUdpBatch().why === p)!;
    const worker = new Worker(workerCode, { eval: true, workerData: { path, port } });
    try {
      await new Promise((resolve) => worker.once('message', resolve));
      const rcodes = async (): Promise<number[]> => {
        const { got } = await burst(port, '127.0.0.1', 80, 1, () => 'shared.test');
        return got.flat().map((a) => a.rcode);
      };
      const both = await rcodes();
      expect(both).toHaveLength(80);
      expect(both.filter((r) => r === 10).length, 'the worker answered some').toBeGreaterThan(0);
      expect(both.filter((r) => r === 0).length, 'the main thread answered some').toBeGreaterThan(0);
      await worker.terminate();
      const after = await rcodes();
      expect(after).toHaveLength(80);
      expect(new Set(after)).toEqual(new Set([0]));
    } finally {
      await worker.terminate();
      await server.close();
    }
  });
});
