import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../server/logger.js';
import { createUpstreamPool } from '../../../server/dns/upstream/pool.js';
import { createTcpClient } from '../../../server/dns/upstream/tcp-client.js';
import { UdpClient } from '../../../server/dns/upstream/udp-client.js';
import { createBootstrapResolver } from '../../../server/dns/upstream/bootstrap.js';
import { QTYPE, RCODE, buildQuery, parseResponse } from '../../helpers/upstream/dns-message.js';
import type { StubDnsServer } from '../../helpers/upstream/stub-dns-server.js';
import { startStubDnsServer } from '../../helpers/upstream/stub-dns-server.js';

let stub: StubDnsServer;
const noBootstrap = createBootstrapResolver({ servers: [] });

beforeAll(async () => {
  stub = await startStubDnsServer({
    zone: {
      'www.shop.test': { CNAME: 'shop.cdn.test' },
      'shop.cdn.test': { CNAME: 'edge.cdn.test' },
      'edge.cdn.test': { A: ['198.51.100.7'] },
    },
  });
});
afterAll(async () => {
  await stub?.close();
});

describe('UDP client', () => {
  it('forwards a query and returns the answer with the caller ID, using a random wire ID', async () => {
    const udp = new UdpClient({ host: '127.0.0.1', port: stub.port, label: 'test' });
    try {
      stub.resetCounts();
      const ids = new Set<number>();
      for (let i = 0; i < 20; i++) {
        const answer = parseResponse(
          await udp.exchange(buildQuery('a.example.test', QTYPE.A, { id: 4242 }), 2000),
        );
        expect(answer.id).toBe(4242);
        expect(answer.answers[0]?.text).toBe('192.0.2.1');
        ids.add(stub.received.at(-1)!.id);
      }
      // 20 random 16-bit IDs: all equal to the caller's would mean no randomisation.
      expect(ids.has(4242) && ids.size === 1).toBe(false);
      expect(ids.size).toBeGreaterThan(15);
    } finally {
      await udp.close();
    }
  });

  it('spreads queries over several random source ports and replaces sockets after use', async () => {
    const udp = new UdpClient({
      host: '127.0.0.1',
      port: stub.port,
      label: 'test',
      sockets: 2,
      queriesPerSocket: 3,
    });
    try {
      const seen = new Set<number>();
      for (let i = 0; i < 12; i++) {
        await udp.exchange(buildQuery(`p${i}.example.test`, QTYPE.A), 2000);
        for (const p of udp.localPorts()) seen.add(p);
      }
      // 12 queries, 3 per socket: at least 4 distinct sockets (ports) were used.
      expect(seen.size).toBeGreaterThanOrEqual(4);
      expect(seen.has(stub.port)).toBe(false);
    } finally {
      await udp.close();
    }
  });

  it('survives a burst that rotates sockets while queries still wait for them to bind', async () => {
    const udp = new UdpClient({
      host: '127.0.0.1',
      port: stub.port,
      label: 'test',
      sockets: 2,
      queriesPerSocket: 3,
    });
    try {
      const answers = await Promise.all(
        Array.from({ length: 60 }, (_, i) =>
          udp.exchange(buildQuery(`burst${i}.example.test`, QTYPE.A, { id: i }), 3000),
        ),
      );
      expect(answers.map((a) => parseResponse(a).id)).toEqual(Array.from({ length: 60 }, (_, i) => i));
    } finally {
      await udp.close();
    }
  });

  it('passes CNAME chains and NXDOMAIN with SOA through unchanged', async () => {
    const udp = new UdpClient({ host: '127.0.0.1', port: stub.port, label: 'test' });
    try {
      const chain = parseResponse(await udp.exchange(buildQuery('WWW.Shop.test', QTYPE.A, { id: 7 }), 2000));
      expect(chain.answers.map((a) => a.text)).toEqual(['shop.cdn.test', 'edge.cdn.test', '198.51.100.7']);
      const nx = await udp.exchange(buildQuery('nope.nxdomain.test', QTYPE.A, { id: 8 }), 2000);
      expect(parseResponse(nx).rcode).toBe(RCODE.NXDOMAIN);
      expect(nx.readUInt16BE(8)).toBe(1); // the SOA in authority
    } finally {
      await udp.close();
    }
  });

  it('retries a truncated answer (TC=1) over TCP and returns the full answer', async () => {
    const udp = new UdpClient({
      host: '127.0.0.1',
      port: stub.port,
      label: 'test',
      tcpFallback: () =>
        createTcpClient({ host: '127.0.0.1', port: stub.port, label: 'tcp', resolver: noBootstrap }),
    });
    try {
      stub.resetCounts();
      const answer = parseResponse(await udp.exchange(buildQuery('big.test', QTYPE.TXT, { id: 99 }), 3000));
      expect(answer.truncated).toBe(false);
      expect(answer.id).toBe(99);
      expect(answer.answers[0]?.text.length).toBe(4000);
      expect(stub.queries('udp')).toBe(1);
      expect(stub.queries('tcp')).toBe(1);
    } finally {
      await udp.close();
    }
  });

  it('fails fast when nothing listens on the upstream port', async () => {
    const probe = await startStubDnsServer();
    const deadPort = probe.port;
    await probe.close();
    const udp = new UdpClient({ host: '127.0.0.1', port: deadPort, label: 'dead' });
    try {
      await expect(udp.exchange(buildQuery('x.test', QTYPE.A), 5000)).rejects.toThrow();
    } finally {
      await udp.close();
    }
  });
});

describe('TCP client', () => {
  it('pipelines concurrent queries over one reused connection', async () => {
    const tcp = createTcpClient({ host: '127.0.0.1', port: stub.port, label: 'tcp', resolver: noBootstrap });
    try {
      const before = stub.tcpConnections;
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          tcp.exchange(buildQuery(`q${i}.example.test`, QTYPE.A, { id: 1000 + i }), 3000),
        ),
      );
      answers.forEach((a, i) => {
        const parsed = parseResponse(a);
        expect(parsed.id).toBe(1000 + i);
        expect(parsed.question.name).toBe(`q${i}.example.test`);
      });
      await tcp.exchange(buildQuery('later.example.test', QTYPE.AAAA), 3000);
      expect(stub.tcpConnections - before).toBe(1);
      expect(tcp.connectionsOpened).toBe(1);
    } finally {
      await tcp.close();
    }
  });

  it('reconnects when the server closes the connection', async () => {
    stub.setBehaviour({ tcpCloseAfter: 1 });
    const tcp = createTcpClient({ host: '127.0.0.1', port: stub.port, label: 'tcp', resolver: noBootstrap });
    try {
      for (let i = 0; i < 4; i++) {
        const answer = parseResponse(
          await tcp.exchange(buildQuery(`r${i}.example.test`, QTYPE.A, { id: i }), 3000),
        );
        expect(answer.answers[0]?.text).toBe('192.0.2.1');
      }
      expect(tcp.connectionsOpened).toBeGreaterThanOrEqual(2);
    } finally {
      stub.setBehaviour({});
      await tcp.close();
    }
  });
});

describe('pool over UDP and TCP', () => {
  it('works over IPv6 loopback, including the TC=1 retry', async () => {
    const v6 = await startStubDnsServer({ host: '::1' });
    const pool = createUpstreamPool({
      urls: [v6.udpUrl, v6.tcpUrl],
      strategy: 'failover',
      timeoutMs: 2000,
      bootstrap: [],
      logger: silentLogger,
    });
    try {
      const small = await pool.resolve(
        buildQuery('v6.example.test', QTYPE.AAAA, { id: 6 }),
        'v6.example.test',
        QTYPE.AAAA,
        false,
      );
      expect(parseResponse(small.packet).answers[0]?.text).toBe('2001:db8:0:0:0:0:0:1');
      const big = await pool.resolve(
        buildQuery('big.test', QTYPE.TXT, { id: 7 }),
        'big.test',
        QTYPE.TXT,
        false,
      );
      expect(parseResponse(big.packet).answers[0]?.text.length).toBe(4000);
      expect(big.upstreamId).toBe(1);
      expect(v6.queries('tcp')).toBe(1);
    } finally {
      await pool.close();
      await v6.close();
    }
  });

  it('releases every socket on close()', async () => {
    const count = () =>
      process.getActiveResourcesInfo().filter((r) => r === 'UDPWrap' || r === 'TCPSocketWrap').length;
    // Sockets of earlier tests may still be closing: wait until the count holds still.
    const settled = async () => {
      let last = -1;
      for (let stable = 0, i = 0; stable < 3 && i < 100; i++) {
        await new Promise((r) => setTimeout(r, 20));
        const now = count();
        stable = now === last ? stable + 1 : 0;
        last = now;
      }
      return last;
    };
    const before = await settled();
    const pool = createUpstreamPool({
      urls: [stub.udpUrl, stub.tcpUrl],
      strategy: 'parallel',
      timeoutMs: 2000,
      bootstrap: [],
      logger: silentLogger,
      udpSockets: 3,
    });
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        pool.resolve(buildQuery(`rel${i}.example.test`, QTYPE.A), `rel${i}.example.test`, QTYPE.A, false),
      ),
    );
    await pool.resolve(buildQuery('big.test', QTYPE.TXT), 'big.test', QTYPE.TXT, false); // opens the TC fallback too
    expect(count()).toBeGreaterThan(before);
    await pool.close();
    expect(await settled()).toBe(before);
  });

  it('resolves through udp:// and tcp:// URLs and reports the upstream', async () => {
    for (const url of [stub.udpUrl, stub.tcpUrl, `127.0.0.1:${stub.port}`]) {
      const pool = createUpstreamPool({
        urls: [url],
        strategy: 'parallel',
        timeoutMs: 2000,
        bootstrap: [],
        logger: silentLogger,
      });
      try {
        const result = await pool.resolve(
          buildQuery('pool.example.test', QTYPE.A, { id: 5 }),
          'pool.example.test',
          QTYPE.A,
          false,
        );
        expect(result.upstreamId).toBe(1);
        expect(parseResponse(result.packet).id).toBe(5);
        expect(pool.stats()[0]?.answers).toBe(1);
        expect(pool.stats()[0]?.latencyCount).toBe(1);
      } finally {
        await pool.close();
      }
    }
  });
});
