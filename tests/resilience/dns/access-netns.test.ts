/**
 * Access control from a real non-local client: a network namespace joined to this one by a veth pair,
 * addresses in 198.18.0.0/15 (benchmarking range: not private, so refused by default). The namespace and
 * its links are created here and deleted in afterAll. Needs root (CI and the dev machines run as root).
 */
import { execFile } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QueryStatus, Reason } from '../../../server/events/query-event.js';
import { parseDig } from '../../helpers/dns-clients.js';
import { type DnsHarness, startDnsHarness } from '../../helpers/dns-harness.js';
import { createSimpleUpstreamPool } from '../../helpers/simple-upstream-pool.js';

const run = promisify(execFile);
const tag = `${process.pid % 10000}${randomInt(100, 999)}`;
const ns = `tsdns${tag}`;
const hostIf = `tsh${tag}`;
const nsIf = `tsn${tag}`;
const third = randomInt(0, 256);
const hostAddr = `198.18.${third}.1`;
const nsAddr = `198.18.${third}.2`;

const pool = createSimpleUpstreamPool('127.0.0.1', 9, 200);
const harnesses: DnsHarness[] = [];
let ready = false;

async function ip(...args: string[]): Promise<void> {
  await run('ip', args, { timeout: 10_000 });
}

beforeAll(async () => {
  await ip('netns', 'add', ns);
  await ip('link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf);
  await ip('link', 'set', nsIf, 'netns', ns);
  await ip('addr', 'add', `${hostAddr}/30`, 'dev', hostIf);
  await ip('link', 'set', hostIf, 'up');
  await ip('-n', ns, 'addr', 'add', `${nsAddr}/30`, 'dev', nsIf);
  await ip('-n', ns, 'link', 'set', nsIf, 'up');
  await ip('-n', ns, 'link', 'set', 'lo', 'up');
  ready = true;
});

afterAll(async () => {
  for (const h of harnesses) await h.close();
  await pool.close();
  await ip('netns', 'del', ns).catch(() => {});
  await ip('link', 'del', hostIf).catch(() => {}); // normally gone with the namespace
});

async function start(config: (c: DnsHarness['config']) => void): Promise<DnsHarness> {
  const h = await startDnsHarness({
    upstreams: pool,
    blocked: ['blocked.test'],
    config: (c) => {
      c.bind = hostAddr;
      config(c);
    },
  });
  harnesses.push(h);
  return h;
}

/** dig from inside the namespace (the non-local client), bounded. */
async function digFromNamespace(port: number, name: string): Promise<ReturnType<typeof parseDig>> {
  const { stdout } = await run(
    'ip',
    ['netns', 'exec', ns, 'dig', `@${hostAddr}`, '-p', String(port), name, 'A', '+time=2', '+tries=1'],
    { timeout: 10_000 },
  ).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }));
  return parseDig(stdout);
}

describe('access control from a non-local network', () => {
  it('refuses a client outside the local ranges by default', async () => {
    expect(ready).toBe(true);
    const h = await start(() => {});
    const r = await digFromNamespace(h.port, 'blocked.test');
    expect(r.status).toBe('REFUSED');
    expect(r.ede).toMatch(/^18 /); // Prohibited
    const ev = h.events.find((e) => e.clientAddress === nsAddr);
    expect(ev).toMatchObject({
      status: QueryStatus.refused,
      reason: Reason.accessDenied,
      rcode: 5,
      name: 'blocked.test',
    });
    // The refused network is remembered (for the overview's "allow this network?"), counted per query.
    await digFromNamespace(h.port, 'other.test');
    expect(h.server.refusedNetworks.list()).toEqual([
      {
        network: `198.18.${third}.0/24`,
        queries: 2,
        example: nsAddr,
        firstSeen: expect.any(Number),
        lastSeen: expect.any(Number),
      },
    ]);
  });

  it('answers the client once its range is in access.allow', async () => {
    const h = await start((c) => (c.access.allow = ['198.18.0.0/15']));
    const r = await digFromNamespace(h.port, 'blocked.test');
    expect(r.status).toBe('NOERROR');
    expect(r.answers.map((a) => a.data)).toEqual(['0.0.0.0']);
  });

  it('access.deny wins over access.allow', async () => {
    const h = await start((c) => {
      c.access.allow = ['198.18.0.0/15'];
      c.access.deny = [`${nsAddr}/32`];
    });
    const r = await digFromNamespace(h.port, 'blocked.test');
    expect(r.status).toBe('REFUSED');
  });
});
