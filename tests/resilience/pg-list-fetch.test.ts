/**
 * List downloads happen once for the installation, not once per replica (issue 18): two real tracksink
 * processes on one real PostgreSQL and a local list server that counts its downloads. After both start,
 * after a refresh asked on both at the same moment, and after a refresh on one only, the list server saw
 * one download each time and both replicas block the list's names. A replica killed while it holds the
 * download lease is taken over: the other replica's refresh waits for the lease to run out, then
 * downloads itself.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDnsmasq, type Dnsmasq } from '../helpers/dnsmasq.js';
import { startPgServer, type PgServer } from '../helpers/pg-server.js';
import { resolveName as resolve, startReplicaProcess, until as untilWithin } from '../helpers/pg-replicas.js';
import type { TracksinkProcess } from '../helpers/tracksink-process.js';
import { login } from './helpers/http-session.js';

const PASSWORD = 'list-fetch-test-password';
let server: PgServer;
let upstream: Dnsmasq;
let db: pg.Pool;
const processes: TracksinkProcess[] = [];

/** A list server: each GET counted; answers after `delayMs` (a real list server takes a while), or never. */
const lists = {
  names: ['one.listed.example'],
  downloads: 0,
  delayMs: 1500,
  hang: false,
  hung: [] as ServerResponse[],
  server: null as Server | null,
  url: '',
};

const blocks = (proc: TracksinkProcess, name: string) => async () =>
  (await resolve(proc.dnsPort, name)) === '0.0.0.0';
/** Polls every 100 ms. */
const until = (check: () => Promise<boolean>, timeoutMs: number, what: string) =>
  untilWithin(check, timeoutMs, what, 100);

async function replica(name: string): Promise<TracksinkProcess> {
  const proc = await startReplicaProcess({
    databaseUrl: server.url,
    name,
    upstream: `udp://127.0.0.1:${upstream.port}`,
    password: PASSWORD,
    configYaml: ['lists:', '  defaults: false', '  allowPrivateUrls: true', `  extra: ['${lists.url}']`].join(
      '\n',
    ),
  });
  processes.push(proc);
  return proc;
}

async function refresh(proc: TracksinkProcess): Promise<void> {
  const session = await login(proc.baseUrl, PASSWORD);
  const response = await session.request('POST', '/api/lists/refresh');
  expect(response.status).toBe(202);
}

beforeAll(async () => {
  lists.server = createServer((_request, response) => {
    lists.downloads++;
    if (lists.hang) {
      lists.hung.push(response);
      return;
    }
    const body = lists.names.map((name) => `0.0.0.0 ${name}`).join('\n');
    setTimeout(() => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.end(`# test list\n${body}\n`);
    }, lists.delayMs);
  });
  await new Promise<void>((done) => lists.server?.listen(0, '127.0.0.1', () => done()));
  lists.url = `http://127.0.0.1:${(lists.server.address() as AddressInfo).port}/list.txt`;
  [server, upstream] = await Promise.all([startPgServer(), startDnsmasq(['--address=/#/203.0.113.7'])]);
  db = new pg.Pool({ connectionString: server.url, max: 2 });
  db.on('error', () => {});
}, 120_000);

afterAll(async () => {
  for (const proc of processes) {
    await proc.stop('SIGKILL');
    proc.cleanup();
  }
  for (const response of lists.hung) response.destroy();
  lists.server?.closeAllConnections();
  lists.server?.close();
  await db?.end().catch(() => {});
  await upstream?.stop();
  server?.destroy();
});

describe('list downloads shared by two tracksinks on one PostgreSQL', () => {
  let a: TracksinkProcess;
  let b: TracksinkProcess;

  it('both start: one download, both block the list', async () => {
    [a, b] = await Promise.all([replica('alpha'), replica('beta')]);
    await until(blocks(a, 'one.listed.example'), 20_000, 'alpha blocks');
    await until(blocks(b, 'one.listed.example'), 20_000, 'beta blocks');
    // A second download would have started by now (each replica downloads at start when it has no copy).
    await new Promise((wake) => setTimeout(wake, 2 * lists.delayMs));
    expect(lists.downloads).toBe(1);
    const stored = await db.query<{ source: string; holder: string | null; size: number }>(
      'SELECT source, holder, length(body) AS size FROM list_fetch',
    );
    expect(stored.rows).toEqual([{ source: lists.url, holder: null, size: expect.any(Number) as number }]);
  }, 120_000);

  it('a refresh asked on both at the same moment downloads once; both block the new name', async () => {
    lists.names.push('two.listed.example');
    expect(await resolve(b.dnsPort, 'two.listed.example')).toBe('203.0.113.7');
    await Promise.all([refresh(a), refresh(b)]);
    await until(blocks(a, 'two.listed.example'), 10_000, 'alpha blocks the new name');
    await until(blocks(b, 'two.listed.example'), 10_000, 'beta blocks the new name');
    await new Promise((wake) => setTimeout(wake, 2 * lists.delayMs));
    expect(lists.downloads).toBe(2);
  }, 60_000);

  it('a refresh on one replica reaches the other without a second download', async () => {
    lists.names.push('three.listed.example');
    await refresh(a);
    await until(blocks(a, 'three.listed.example'), 10_000, 'alpha blocks the third name');
    const took = await until(blocks(b, 'three.listed.example'), 5000, 'beta blocks the third name');
    expect(took).toBeLessThan(2000);
    expect(lists.downloads).toBe(3);
  }, 60_000);

  it('the holder killed mid-download: the other replica takes the lease over at its refresh', async () => {
    lists.names.push('four.listed.example');
    lists.hang = true;
    await refresh(a);
    await until(async () => lists.downloads === 4, 10_000, 'alpha downloading');
    const lease = await db.query<{ holder: string }>('SELECT holder FROM list_fetch');
    expect(lease.rows[0]?.holder).toBe('alpha');
    process.kill(a.proc.pid as number, 'SIGKILL');
    lists.hang = false;
    await refresh(b);
    // beta waits for alpha's lease (renewed every 3 s, 10 s long) to run out, then downloads itself.
    await until(blocks(b, 'four.listed.example'), 25_000, 'beta blocks the fourth name');
    expect(lists.downloads).toBe(5);
    const after = await db.query<{ holder: string | null }>('SELECT holder FROM list_fetch');
    expect(after.rows[0]?.holder).toBeNull();
  }, 60_000);
});
