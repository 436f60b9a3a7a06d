/**
 * A DNS worker thread that stops after start-up is restarted (dns/workers/dns-workers.ts), and its clients
 * are not lost meanwhile: its socket left the port's SO_REUSEPORT group as it ended, so the kernel hashes
 * them onto the main thread's socket.
 *
 * Real threads, real sockets: tracksink with `dns.workers: 2` in this process, and a stream of queries from
 * many source ports (one UDP socket per client, each query a new name forwarded to a local upstream, a
 * client resends after 2 s without an answer). A worker thread is crashed twice under that stream, once by
 * an uncaught error inside it and once terminated; then one is stuck in a loop and the watchdog ends it. Every client keeps getting answers with at most one
 * resend per query, /api/health says the thread is down while it is, /metrics counts the restarts, the log
 * says why it stopped and the second back-off is twice the first, and every answered name is in the query log.
 *
 * Needs a transport that shares the port between threads (native on any Node, dgram on Node ≥ 22.12).
 */
import dgram from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSetupCode } from '../../../server/api/auth/setup-code.js';
import { workerThreadsForTests } from '../../../server/dns/dns-server.js';
import { plannedUdpTransport } from '../../../server/dns/udp-server.js';
import { udpReusePortSupported } from '../../../server/dns/workers/worker-count.js';
import { createLogger } from '../../../server/logger.js';
import { type Services, startServices } from '../../../server/services.js';
import { loopbackConfig } from '../../helpers/in-process-product.js';
import { QTYPE, buildQuery, parseResponse } from '../../helpers/upstream/dns-message.js';
import { type StubDnsServer, startStubDnsServer } from '../../helpers/upstream/stub-dns-server.js';

const CLIENTS = 24;
/** A client waits this long for an answer before it sends the query again (a lost datagram). */
const RESEND_AFTER_MS = 2000;
/** Sends of one query before the test gives up on it (counted as unanswered, and the test fails). */
const MAX_SENDS = 4;
/** Pause between one client's queries. */
const PACE_MS = 40;

const canShare = plannedUdpTransport().transport === 'native' || udpReusePortSupported();

interface Client {
  socket: dgram.Socket;
  answered: string[];
  /** The most sends any one of its queries needed. */
  maxSends: number;
  unanswered: number;
  waiting: { id: number; resolve: (ip: string) => void } | null;
}

function openClient(): Promise<Client> {
  const client: Client = {
    socket: dgram.createSocket('udp4'),
    answered: [],
    maxSends: 0,
    unanswered: 0,
    waiting: null,
  };
  client.socket.on('message', (msg) => {
    const answer = parseResponse(msg);
    if (client.waiting?.id === answer.id) client.waiting.resolve(answer.answers[0]?.text ?? '');
  });
  return new Promise((resolve) => client.socket.bind(0, '127.0.0.1', () => resolve(client)));
}

/** One query, resent with a new id after RESEND_AFTER_MS without its answer; '' after MAX_SENDS. */
async function ask(client: Client, port: number, name: string, nextId: () => number): Promise<string> {
  for (let send = 1; send <= MAX_SENDS; send++) {
    const id = nextId();
    const answer = await new Promise<string | null>((resolve) => {
      const timer = setTimeout(() => resolve(null), RESEND_AFTER_MS);
      client.waiting = {
        id,
        resolve: (ip) => {
          clearTimeout(timer);
          resolve(ip);
        },
      };
      client.socket.send(buildQuery(name, QTYPE.A, { id }), port, '127.0.0.1');
    });
    client.waiting = null;
    if (answer !== null) {
      client.maxSends = Math.max(client.maxSends, send);
      return answer;
    }
  }
  client.unanswered++;
  return '';
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(!canShare)('a crashed DNS worker thread is restarted', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tracksink-worker-restart-'));
  const lines: string[] = [];
  let upstream: StubDnsServer;
  let services: Services;
  let clients: Client[] = [];
  let port = 0;
  let cookie = '';

  beforeAll(async () => {
    upstream = await startStubDnsServer({ defaultA: '192.0.2.9' });
    const config = loopbackConfig(dir, upstream);
    config.dns.workers = '2';
    const logger = createLogger('info', { write: (line: string) => void lines.push(line) });
    services = await startServices(config, logger);
    port = services.dns.udpAddress.port;
    const setup = await services.app.inject({
      method: 'POST',
      url: '/api/auth/setup',
      payload: { password: 'restart test password', setupCode: readSetupCode(dir) ?? '' },
    });
    expect(setup.statusCode, setup.body).toBe(200);
    cookie = `tracksink_session=${setup.cookies.find((c) => c.name === 'tracksink_session')!.value}`;
    clients = await Promise.all(Array.from({ length: CLIENTS }, () => openClient()));
  }, 60_000);

  afterAll(async () => {
    for (const client of clients) client.socket.close();
    await services?.stop();
    await upstream?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const health = async () =>
    (await services.app.inject({ method: 'GET', url: '/api/health' })).json() as {
      status: string;
      dns: { threads?: { planned: number; running: number; restarts: number } };
      problems: Array<{ kind: string; reason: string; message: string }>;
    };

  /** Polls until `check` holds, at most `tries` times 50 ms apart (work bounded, not time asserted). */
  async function until(check: () => Promise<boolean> | boolean, tries = 400): Promise<boolean> {
    for (let i = 0; i < tries; i++) {
      if (await check()) return true;
      await sleep(50);
    }
    return false;
  }

  it('keeps answering every client while a worker thread crashes twice, restarts it, and says so', async () => {
    expect(services.dns.threads).toBe(2);
    const workers = workerThreadsForTests(services.dns)!;
    expect(workers).not.toBeNull();

    let id = 0;
    const nextId = () => (id = (id + 1) & 0xffff);
    let streaming = true;
    const streams = clients.map(async (client, c) => {
      for (let seq = 0; streaming; seq++) {
        const name = `q${seq}.c${c}.restart.test`;
        if ((await ask(client, port, name, nextId)) === '192.0.2.9') client.answered.push(name);
        await sleep(PACE_MS);
      }
    });
    const answeredAtLeast = (n: number) => clients.every((client) => client.answered.length >= n);

    try {
      expect(await until(() => answeredAtLeast(3))).toBe(true);
      // Both threads answer part of the stream (the worker reports its counters once a second).
      expect(await until(() => services.dns.queriesPerThread().every((queries) => queries > 0))).toBe(true);

      // 1. An uncaught error inside the worker thread.
      await workers.crashForTests(1, 'throw');
      let during = await health();
      expect(during.status).toBe('degraded');
      expect(during.dns.threads).toMatchObject({ planned: 2, running: 1 });
      const problem = during.problems.find((p) => p.kind === 'dns-thread');
      expect(problem?.reason).toContain('crash asked by a test');
      expect(problem?.message).toContain('the other threads answer its share');
      // The main thread's socket now gets every client: each answers again while the thread is down.
      const before = clients.map((client) => client.answered.length);
      // (The thread may already be back by then: its 1 s back-off can end before the slowest client's resend.)
      expect(await until(() => clients.every((client, c) => client.answered.length >= before[c]! + 2))).toBe(
        true,
      );

      expect(await until(async () => (await health()).dns.threads?.running === 2)).toBe(true);
      const afterFirst = await health();
      expect(afterFirst.dns.threads).toMatchObject({ planned: 2, running: 2, restarts: 1 });
      expect(afterFirst.problems.filter((p) => p.kind === 'dns-thread')).toEqual([]);
      // The restarted thread answers its share again.
      const restartedBefore = services.dns.queriesPerThread()[1]!;
      expect(await until(() => services.dns.queriesPerThread()[1]! > restartedBefore)).toBe(true);

      // 2. Terminated: the next restart waits twice as long (the back-off doubles; it ran under a minute).
      await workers.crashForTests(1, 'terminate');
      during = await health();
      expect(during.dns.threads?.running).toBe(1);
      expect(await until(async () => (await health()).dns.threads?.running === 2)).toBe(true);
      const metrics = (await services.app.inject({ method: 'GET', url: '/metrics' })).body;
      expect(metrics).toMatch(/^tracksink_dns_thread_restarts_total(\{[^}]*\})? 2$/m);
      expect(metrics).toMatch(/^tracksink_dns_threads(\{[^}]*\})? 2$/m);

      const settled = clients.map((client) => client.answered.length);
      expect(await until(() => clients.every((client, c) => client.answered.length >= settled[c]! + 3))).toBe(
        true,
      );
    } finally {
      streaming = false;
      await Promise.all(streams);
    }

    // Every query was answered, none needed more than one resend (the datagrams queued on the dying socket).
    expect(clients.map((client) => client.unanswered)).toEqual(clients.map(() => 0));
    expect(Math.max(...clients.map((client) => client.maxSends))).toBeLessThanOrEqual(2);

    // The log says why it stopped and when it comes back.
    const stops = lines
      .map((line) => JSON.parse(line) as { msg: string; reason?: string; restartInMs?: number })
      .filter((entry) => entry.msg.startsWith('DNS worker thread 1 stopped'));
    expect(stops).toHaveLength(2);
    expect(stops[0]!.reason).toContain('crash asked by a test');
    expect(stops[1]!.reason).toContain('exited with code');
    expect(stops.map((entry) => entry.restartInMs)).toEqual([1000, 2000]);
    expect(lines.filter((line) => line.includes('DNS worker thread 1 restarted'))).toHaveLength(2);

    // Every answered name is in the one query log, whichever thread answered it.
    await services.queryLog.flush();
    for (let c = 0; c < CLIENTS; c++) {
      const response = await services.app.inject({
        method: 'GET',
        url: `/api/queries?limit=1000&name=.c${c}.restart.test`,
        headers: { cookie },
      });
      expect(response.statusCode, response.body).toBe(200);
      const logged = new Set(
        (response.json() as { items: Array<{ name: string }> }).items.map((row) => row.name),
      );
      const missing = clients[c]!.answered.filter((name) => !logged.has(name));
      expect(missing, `client ${c}`).toEqual([]);
    }
  }, 120_000);

  it('terminates a thread that is stuck (its socket would keep its clients unanswered) and restarts it', async () => {
    const workers = workerThreadsForTests(services.dns)!;
    expect(services.dns.threads).toBe(2);
    // Resolves once the watchdog has terminated the thread (no report for 10 s).
    await workers.crashForTests(1, 'hang');
    expect(await until(async () => (await health()).dns.threads?.running === 2)).toBe(true);
    const stops = lines
      .map((line) => JSON.parse(line) as { msg: string; reason?: string; restartInMs?: number })
      .filter((entry) => entry.msg.startsWith('DNS worker thread 1 stopped'));
    expect(stops.at(-1)!.reason).toMatch(/^stuck: no report for \d+ s$/);
    // The wait is a step of the back-off (1 s, doubling); which step depends on how long the thread ran since
    // the last test's restarts (a minute's run resets it), which a loaded machine stretches.
    expect([1000, 2000, 4000]).toContain(stops.at(-1)!.restartInMs);
    // Every client is answered again, with the restarted thread taking its share.
    let id = 0x8000;
    const answers = await Promise.all(
      clients.map((client, c) => ask(client, port, `after-hang.c${c}.restart.test`, () => ++id)),
    );
    expect(answers).toEqual(clients.map(() => '192.0.2.9'));
  }, 120_000);
});
