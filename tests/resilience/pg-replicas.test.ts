/**
 * Two real tracksink processes sharing one real PostgreSQL (started by the test as a non-root user):
 * a rule made on one blocks on the other within 2 s; both replicas' logs reach the shared query_log;
 * killed with SIGKILL under load, one replica loses nothing it answered more than 1 s before the kill
 * and the other keeps answering; with PostgreSQL stopped for 30 s DNS keeps answering and the log
 * catches up. A wrong TRACKSINK_DATABASE_URL stops the start with the host named, never the password.
 */
import dgram from 'node:dgram';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDnsmasq, type Dnsmasq } from '../helpers/dnsmasq.js';
import { startPgServer, type PgServer } from '../helpers/pg-server.js';
import {
  dnsQuery as query,
  resolveName as resolve,
  startReplicaProcess,
  stopReplicaSetup,
  until,
} from '../helpers/pg-replicas.js';
import { startTracksink, type TracksinkProcess } from '../helpers/tracksink-process.js';
import { login } from './helpers/http-session.js';

const PASSWORD = 'replica-test-password';
let server: PgServer;
let upstream: Dnsmasq;
const processes: TracksinkProcess[] = [];
let db: pg.Pool;

/** Queries `prefix<i>.load.example` at about `perSecond`; remembers when each name was answered. */
function loadGenerator(port: number, prefix: string, perSecond: number) {
  const socket = dgram.createSocket('udp4');
  const answered = new Map<string, number>();
  const sent = new Map<number, string>();
  let next = 0;
  socket.on('message', (message) => {
    const name = sent.get(message.readUInt16BE(0));
    if (name !== undefined) answered.set(name, Date.now());
  });
  const timer = setInterval(() => {
    for (let i = 0; i < perSecond / 50; i++) {
      const id = next % 65_536;
      const name = `${prefix}${next}.load.example`;
      sent.set(id, name);
      next++;
      socket.send(query(name, id), port, '127.0.0.1');
    }
  }, 20);
  return {
    answered,
    stop: () => {
      clearInterval(timer);
      socket.close();
    },
  };
}

async function replica(name: string): Promise<TracksinkProcess> {
  const proc = await startReplicaProcess({
    databaseUrl: server.url,
    name,
    upstream: `udp://127.0.0.1:${upstream.port}`,
    password: PASSWORD,
  });
  processes.push(proc);
  return proc;
}

async function loggedNames(like: string): Promise<Set<string>> {
  const result = await db.query<{ name: string }>('SELECT name FROM query_log WHERE name LIKE $1', [like]);
  return new Set(result.rows.map((row) => row.name));
}

beforeAll(async () => {
  [server, upstream] = await Promise.all([startPgServer(), startDnsmasq(['--address=/#/203.0.113.7'])]);
  db = new pg.Pool({ connectionString: server.url, max: 2 });
  db.on('error', () => {});
}, 120_000);

afterAll(() => stopReplicaSetup({ processes, db, upstream, server }));

describe('two tracksinks on one PostgreSQL', () => {
  let a: TracksinkProcess;
  let b: TracksinkProcess;

  it('a wrong TRACKSINK_DATABASE_URL stops the start, naming the host and not the password', async () => {
    const error = await startTracksink({
      env: { TRACKSINK_DATABASE_URL: 'postgres://ts:Hunter-22-pw@127.0.0.1:1/tracksink' },
    }).catch((caught: unknown) => caught);
    const message = (error as Error).message;
    expect(message).toMatch(/exit 1/);
    expect(message).toMatch(/could not connect to PostgreSQL at ts@127\.0\.0\.1:1\/tracksink/);
    expect(message).not.toContain('Hunter-22-pw');
  }, 60_000);

  it('a rule made on one replica blocks on the other within 2 s', async () => {
    [a, b] = await Promise.all([replica('alpha'), replica('beta')]);
    expect(await resolve(b.dnsPort, 'pixel.rule-test.example')).toBe('203.0.113.7');
    const session = await login(a.baseUrl, PASSWORD);
    await session.send('POST', '/api/rules', { action: 'deny', pattern: 'rule-test.example' });
    const made = Date.now();
    expect(await resolve(a.dnsPort, 'pixel.rule-test.example')).toBe('0.0.0.0');
    await until(
      async () => (await resolve(b.dnsPort, 'pixel.rule-test.example')) === '0.0.0.0',
      5000,
      'blocked on beta',
    );
    const took = Date.now() - made;
    expect(took).toBeLessThan(2000);
    // And back: a rule removed on the other replica is gone on the first.
    const rules = await (
      await login(b.baseUrl, PASSWORD)
    ).get<{ items: Array<{ id: number; pattern: string }> }>('/api/rules');
    const rule = rules.items.find((item) => item.pattern === 'rule-test.example');
    expect(rule).toBeDefined();
    await (await login(b.baseUrl, PASSWORD)).request('DELETE', `/api/rules/${rule?.id}`);
    await until(
      async () => (await resolve(a.dnsPort, 'pixel.rule-test.example')) === '203.0.113.7',
      2000,
      'unblocked on alpha',
    );
  }, 120_000);

  it('both replicas log into the shared query_log', async () => {
    expect(await resolve(a.dnsPort, 'from-alpha.shared-log.example')).toBe('203.0.113.7');
    expect(await resolve(b.dnsPort, 'from-beta.shared-log.example')).toBe('203.0.113.7');
    await until(async () => (await loggedNames('%.shared-log.example')).size === 2, 3000, 'both in the log');
    const rows = await db.query<{ name: string; replica: string }>(
      `SELECT q.name, r.name AS replica FROM query_log q JOIN replicas r ON r.id = q.replica_id
         WHERE q.name LIKE '%.shared-log.example' ORDER BY 1`,
    );
    expect(rows.rows).toEqual([
      { name: 'from-alpha.shared-log.example', replica: 'alpha' },
      { name: 'from-beta.shared-log.example', replica: 'beta' },
    ]);
  });

  it('/api/health names the replica and its PostgreSQL; /metrics labels every series with the replica', async () => {
    const health = (await (await fetch(`${b.baseUrl}/api/health`)).json()) as {
      status: string;
      replica: { name: string; database: string; reachable: boolean };
    };
    expect(health.status).toBe('ok');
    expect(health.replica).toEqual({
      name: 'beta',
      database: `tracksink@127.0.0.1:${server.port}/tracksink`,
      reachable: true,
      error: null,
    });
    const metrics = await (await fetch(`${b.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/^tracksink_database_up\{replica="beta"\} 1$/m);
    expect(metrics).toMatch(/^tracksink_dns_cache_entries\{replica="beta"\} \d+$/m);
    expect(metrics).toMatch(/^tracksink_log_shipped_total\{replica="beta"\} [1-9]\d*$/m);
    expect(metrics).not.toContain(server.password);
  });

  it('kill -9 under load: the other keeps answering, nothing answered over 1 s before the kill is missing', async () => {
    const load = loadGenerator(a.dnsPort, 'k', 1000);
    await new Promise((wake) => setTimeout(wake, 3000));
    const killedAt = Date.now();
    process.kill(a.proc.pid as number, 'SIGKILL');
    await new Promise((wake) => setTimeout(wake, 300));
    load.stop();
    expect(await resolve(b.dnsPort, 'after-kill.load.example')).toBe('203.0.113.7');
    const due = [...load.answered].filter(([, at]) => at < killedAt - 1000).map(([name]) => name);
    expect(due.length).toBeGreaterThan(200);
    const logged = await loggedNames('k%.load.example');
    const missing = due.filter((name) => !logged.has(name));
    expect(missing).toEqual([]);
  }, 60_000);

  it('PostgreSQL stopped for 30 s: DNS keeps answering, the log catches up', async () => {
    server.stop();
    const answered: string[] = [];
    try {
      const stoppedAt = Date.now();
      let i = 0;
      while (Date.now() - stoppedAt < 30_000) {
        const name = `o${i++}.outage.example`;
        const answer = await resolve(b.dnsPort, name);
        expect(answer).toBe('203.0.113.7');
        answered.push(name);
        await new Promise((wake) => setTimeout(wake, 100));
      }
      const health = await fetch(`${b.baseUrl}/api/health`);
      expect(health.status).toBe(200);
      const body = (await health.json()) as { status: string; replica: { reachable: boolean } };
      expect(body.status).toBe('degraded');
      expect(body.replica.reachable).toBe(false);
    } finally {
      server.start();
    }
    await until(
      async () => (await loggedNames('o%.outage.example')).size === answered.length,
      15_000,
      'log caught up',
    );
  }, 120_000);
});
