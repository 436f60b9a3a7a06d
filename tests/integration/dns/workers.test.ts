/**
 * Every core (issue 18 part 3): with `dns.workers: 2` two threads answer UDP on one port (SO_REUSEPORT).
 * Real queries from many source ports, over UDP and over TCP, are all answered, by both threads (the kernel
 * spreads clients and connections by address and port), blocked names sinkholed and the rest forwarded to a local upstream; each query is in
 * the one log exactly once, from the right device; a rule added through the API is in force on every
 * thread within 2 s.
 *
 * The threads share the port through the native UDP transport's SO_REUSEPORT on any Node, or dgram's
 * reusePort from Node 22.12 (23.1). Where neither can (TRACKSINK_UDP=dgram on an older Node, or no addon)
 * those tests are skipped and the last one runs instead: start-up warns why it answers on one thread, and
 * does. Run it with TRACKSINK_UDP=dgram and =native to see both transports.
 */
import dgram from 'node:dgram';
import { connect } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSetupCode } from '../../../server/api/auth/setup-code.js';
import { loadConfig } from '../../../server/config/load.js';
import { createLogger } from '../../../server/logger.js';
import { plannedUdpTransport } from '../../../server/dns/udp-server.js';
import { udpReusePortSupported } from '../../../server/dns/workers/worker-count.js';
import { type Services, startServices } from '../../../server/services.js';
import { QTYPE, buildQuery, parseResponse } from '../../helpers/upstream/dns-message.js';
import { type StubDnsServer, startStubDnsServer } from '../../helpers/upstream/stub-dns-server.js';

const CLIENTS = 48;

/** One UDP socket (one source port) per name; resolves with each answer's first A record ('' if none). */
async function askFromManyPorts(port: number, names: string[]): Promise<string[]> {
  return Promise.all(
    names.map(
      (name) =>
        new Promise<string>((resolve) => {
          const socket = dgram.createSocket('udp4');
          const timer = setTimeout(() => done('(no answer)'), 3000);
          function done(answer: string): void {
            clearTimeout(timer);
            socket.close();
            resolve(answer);
          }
          socket.on('message', (msg) => done(parseResponse(msg).answers[0]?.text ?? ''));
          socket.on('error', () => done('(socket error)'));
          socket.send(buildQuery(name, QTYPE.A), port, '127.0.0.1');
        }),
    ),
  );
}

/** One TCP connection (one source port) per name, RFC 7766 framing; resolves with each answer's first A record. */
async function askOverTcp(port: number, names: string[]): Promise<string[]> {
  return Promise.all(
    names.map(
      (name) =>
        new Promise<string>((resolve) => {
          const socket = connect({ host: '127.0.0.1', port });
          const timer = setTimeout(() => done('(no answer)'), 3000);
          let received = Buffer.alloc(0);
          function done(answer: string): void {
            clearTimeout(timer);
            socket.destroy();
            resolve(answer);
          }
          socket.on('data', (chunk: Buffer) => {
            received = Buffer.concat([received, chunk]);
            if (received.length >= 2 && received.length >= 2 + received.readUInt16BE(0)) {
              done(parseResponse(received.subarray(2, 2 + received.readUInt16BE(0))).answers[0]?.text ?? '');
            }
          });
          socket.on('error', () => done('(socket error)'));
          const query = buildQuery(name, QTYPE.A);
          const length = Buffer.alloc(2);
          length.writeUInt16BE(query.length);
          socket.write(Buffer.concat([length, query]));
        }),
    ),
  );
}

/** Per-thread query counts once the workers' counters (sent about once a second) add up to `total`. */
async function countedPerThread(services: Services, total: number): Promise<number[]> {
  let perThread: number[] = [];
  for (let i = 0; i < 50; i++) {
    perThread = services.dns.queriesPerThread();
    if (perThread.reduce((a, b) => a + b, 0) >= total) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return perThread;
}

const transport = plannedUdpTransport().transport;
const reusePort = transport === 'native' || udpReusePortSupported();

describe.skipIf(!reusePort)(`two DNS worker threads on one port (${transport} transport)`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'tracksink-workers-'));
  const listFile = join(dir, 'household.txt');
  let upstream: StubDnsServer;
  let services: Services;
  let port = 0;
  const startLines: string[] = [];
  let request: (method: 'GET' | 'POST', url: string, payload?: object) => Promise<unknown>;

  beforeAll(async () => {
    upstream = await startStubDnsServer({ defaultA: '192.0.2.7' });
    writeFileSync(listFile, '0.0.0.0 ads.workers.test\n');
    const env = {
      TRACKSINK_UPSTREAMS: upstream.udpUrl,
      TRACKSINK_DATA_DIR: dir,
      TRACKSINK_BIND: '127.0.0.1',
      TRACKSINK_DNS_PORT: '0',
      TRACKSINK_DNS_WORKERS: '2',
      TRACKSINK_HTTP_BIND: '127.0.0.1',
      TRACKSINK_HTTP_PORT: '0',
      TRACKSINK_DOT_PORT: '0', // free ports: 853/8443 collide with other test files
      TRACKSINK_HTTPS_PORT: '0',
      TRACKSINK_BLOCKLISTS: listFile,
    };
    const { config } = loadConfig({ env, cwd: dir });
    config.lists.defaults = false;
    services = await startServices(
      config,
      createLogger('info', { write: (line: string) => void startLines.push(line) }),
    );
    port = services.dns.udpAddress.port;

    const setup = await services.app.inject({
      method: 'POST',
      url: '/api/auth/setup',
      payload: { password: 'workers test password', setupCode: readSetupCode(dir) ?? '' },
    });
    expect(setup.statusCode, setup.body).toBe(200);
    const cookie = `tracksink_session=${setup.cookies.find((c) => c.name === 'tracksink_session')!.value}`;
    const csrf = (setup.json() as { csrfToken: string }).csrfToken;
    request = async (method, url, payload) => {
      const response = await services.app.inject({
        method,
        url,
        headers: { cookie, 'x-csrf-token': csrf },
        ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
      });
      expect(response.statusCode, response.body).toBeLessThan(300);
      return response.json();
    };
  }, 60_000);

  afterAll(async () => {
    await services?.stop();
    await upstream?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('says at start-up what shares the port', () => {
    const said = startLines.find((line) => line.includes('dns.workers: 2 DNS threads'));
    expect(said).toContain(transport === 'native' ? 'native UDP transport' : "Node's dgram");
  });

  it('answers every query from many source ports on both threads, and logs each once', async () => {
    expect(services.dns.threads).toBe(2);
    const blocked = Array.from({ length: CLIENTS }, () => 'ads.workers.test');
    const forwarded = Array.from({ length: CLIENTS }, (_, i) => `www-${i}.workers.test`);
    expect(await askFromManyPorts(port, blocked)).toEqual(blocked.map(() => '0.0.0.0'));
    expect(await askFromManyPorts(port, forwarded)).toEqual(forwarded.map(() => '192.0.2.7'));

    const perThread = await countedPerThread(services, 2 * CLIENTS);
    expect(perThread.reduce((a, b) => a + b, 0)).toBe(2 * CLIENTS);
    // 96 source ports over two sockets: both get some (all on one has odds of 2^-95).
    expect(perThread.every((queries) => queries > 0)).toBe(true);
    expect(services.dns.stats.queries).toBe(2 * CLIENTS);

    await services.queryLog.flush();
    const { items } = (await request('GET', '/api/queries?limit=1000')) as {
      items: Array<{ name: string; status: string; device: { id: number } | null }>;
    };
    const ours = items.filter((row) => row.name.endsWith('workers.test'));
    expect(ours).toHaveLength(2 * CLIENTS);
    expect(ours.filter((row) => row.name === 'ads.workers.test' && row.status === 'blocked')).toHaveLength(
      CLIENTS,
    );
    for (const name of forwarded) expect(ours.filter((row) => row.name === name)).toHaveLength(1);
    // Every thread asked the main thread's registry: one device for 127.0.0.1, whichever thread answered.
    const devices = new Set(ours.map((row) => row.device?.id ?? null));
    expect(devices.size).toBe(1);
    expect([...devices][0]).not.toBeNull();
    expect(services.queryLog.stats().dropped).toBe(0);
  });

  it('answers TCP on both threads too, one connection per query, and logs each once as TCP', async () => {
    const before = await countedPerThread(services, 2 * CLIENTS);
    const names = Array.from({ length: CLIENTS }, (_, i) => `tcp-${i}.workers.test`);
    const blocked = Array.from({ length: CLIENTS }, () => 'ads.workers.test');
    expect(await askOverTcp(port, names)).toEqual(names.map(() => '192.0.2.7'));
    expect(await askOverTcp(port, blocked)).toEqual(blocked.map(() => '0.0.0.0'));

    const total = before.reduce((a, b) => a + b, 0) + 2 * CLIENTS;
    const after = await countedPerThread(services, total);
    const tcpPerThread = after.map((queries, thread) => queries - (before[thread] ?? 0));
    expect(tcpPerThread.reduce((a, b) => a + b, 0)).toBe(2 * CLIENTS);
    // 96 connections from as many source ports over two listening sockets: both take some (odds of 2^-95).
    expect(tcpPerThread.every((queries) => queries > 0)).toBe(true);
    expect(startLines.some((line) => line.includes('DNS answers UDP and TCP on 2 threads'))).toBe(true);

    await services.queryLog.flush();
    const { items } = (await request('GET', '/api/queries?limit=1000')) as {
      items: Array<{ name: string; protocol: string }>;
    };
    const ours = items.filter((row) => row.name.startsWith('tcp-') && row.name.endsWith('workers.test'));
    expect(ours).toHaveLength(CLIENTS);
    expect(new Set(ours.map((row) => row.protocol))).toEqual(new Set(['tcp']));
    expect(services.queryLog.stats().dropped).toBe(0);
  });

  it('puts a rule added through the API in force on every thread within 2 s', async () => {
    const late = Array.from({ length: CLIENTS }, () => 'late.workers.test');
    // Forwarded (and cached) on both threads before the rule exists.
    expect(await askFromManyPorts(port, late)).toEqual(late.map(() => '192.0.2.7'));

    await request('POST', '/api/rules', { action: 'deny', pattern: 'late.workers.test' });
    const added = performance.now();
    let answers: string[] = [];
    while (performance.now() - added < 2000) {
      answers = await askFromManyPorts(port, late);
      if (answers.every((answer) => answer === '0.0.0.0')) break;
    }
    expect(answers).toEqual(late.map(() => '0.0.0.0'));
  });
});

describe.skipIf(reusePort)(`dns.workers on Node ${process.versions.node} with dgram (no reusePort)`, () => {
  it('warns at start-up why DNS answers on one thread, and answers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tracksink-workers-old-'));
    const upstream = await startStubDnsServer({ defaultA: '192.0.2.7' });
    const lines: string[] = [];
    const logger = createLogger('warn', { write: (line: string) => void lines.push(line) });
    const env = {
      TRACKSINK_UPSTREAMS: upstream.udpUrl,
      TRACKSINK_DATA_DIR: dir,
      TRACKSINK_BIND: '127.0.0.1',
      TRACKSINK_DNS_PORT: '0',
      TRACKSINK_DNS_WORKERS: '2',
      TRACKSINK_HTTP_BIND: '127.0.0.1',
      TRACKSINK_HTTP_PORT: '0',
      TRACKSINK_DOT_PORT: '0', // free ports: 853/8443 collide with other test files
      TRACKSINK_HTTPS_PORT: '0',
    };
    const { config } = loadConfig({ env, cwd: dir });
    config.lists.defaults = false;
    const services = await startServices(config, logger);
    try {
      expect(services.dns.threads).toBe(1);
      const warning = lines.find((line) => line.includes('dns.workers'));
      expect(warning).toContain('reusePort needs Node 22.12');
      expect(warning).toContain('DNS answers on 1 thread');
      expect(await askFromManyPorts(services.dns.udpAddress.port, ['www.old.test', 'www.old.test'])).toEqual([
        '192.0.2.7',
        '192.0.2.7',
      ]);
    } finally {
      await services.stop();
      await upstream.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
