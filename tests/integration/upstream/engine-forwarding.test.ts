/**
 * End to end: the DNS engine forwarding through the real upstream pool to local DoH and DoT servers
 * (test CA, host name resolved through a bootstrap stub), queried with dig as an independent client.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ManagedUpstreamPool } from '../../../server/dns/upstream/pool.js';
import { createUpstreamPool } from '../../../server/dns/upstream/pool.js';
import { silentLogger } from '../../../server/logger.js';
import type { DnsHarness } from '../../helpers/dns-harness.js';
import { startDnsHarness } from '../../helpers/dns-harness.js';
import type { StubDnsServer } from '../../helpers/upstream/stub-dns-server.js';
import { startStubDnsServer } from '../../helpers/upstream/stub-dns-server.js';
import type { LocalDohServer, LocalDotServer, TestCa } from '../../helpers/upstream/test-ca.js';
import { createTestCa, startDohServer, startDotServer } from '../../helpers/upstream/test-ca.js';

const run = promisify(execFile);

let ca: TestCa;
let dohBackend: StubDnsServer;
let dotBackend: StubDnsServer;
let bootstrapStub: StubDnsServer;
let doh: LocalDohServer;
let dot: LocalDotServer;
const pools: ManagedUpstreamPool[] = [];
const harnesses: DnsHarness[] = [];

async function engineWith(url: string): Promise<DnsHarness> {
  const pool = createUpstreamPool({
    urls: [url],
    strategy: 'parallel',
    timeoutMs: 3000,
    bootstrap: [`127.0.0.1:${bootstrapStub.port}`],
    logger: silentLogger,
    ca: ca.caCert,
  });
  pools.push(pool);
  const h = await startDnsHarness({ upstreams: pool, blocked: ['tracker.test'] });
  harnesses.push(h);
  return h;
}

async function dig(port: number, name: string, type = 'A', extra: string[] = []): Promise<string[]> {
  const { stdout } = await run(
    'dig',
    ['@127.0.0.1', '-p', String(port), name, type, '+short', '+time=5', '+tries=1', ...extra],
    { timeout: 15_000 },
  );
  return stdout.trim().split('\n').filter(Boolean);
}

beforeAll(async () => {
  ca = await createTestCa(['doh.test']);
  dohBackend = await startStubDnsServer({ defaultA: '192.0.2.81' });
  dotBackend = await startStubDnsServer({ defaultA: '192.0.2.82' });
  bootstrapStub = await startStubDnsServer({ zone: { 'doh.test': { A: ['127.0.0.1'] } } });
  doh = await startDohServer(dohBackend, ca);
  dot = await startDotServer(dotBackend, ca);
});

afterAll(async () => {
  for (const h of harnesses) await h.close();
  await Promise.all(pools.map((p) => p.close()));
  await doh?.close();
  await dot?.close();
  await Promise.all([dohBackend, dotBackend, bootstrapStub].map((s) => s?.close()));
  await ca?.cleanup();
});

describe('DNS engine forwarding through encrypted upstreams', () => {
  it('DoH by host name: dig gets the upstream answer; blocked names never leave', async () => {
    const h = await engineWith(doh.url('doh.test'));
    expect(await dig(h.port, 'allowed.example.test')).toEqual(['192.0.2.81']);
    dohBackend.resetCounts();
    expect(await dig(h.port, 'tracker.test')).toEqual(['0.0.0.0']);
    expect(dohBackend.queries()).toBe(0);
    expect(pools.at(-1)!.stats()[0]?.answers).toBe(1);
  });

  it('DoT by host name: answers over UDP and TCP clients, large answers included', async () => {
    const h = await engineWith(dot.url('doh.test'));
    expect(await dig(h.port, 'allowed.example.test')).toEqual(['192.0.2.82']);
    const txt = await dig(h.port, 'big.test', 'TXT', ['+tcp']);
    expect(txt.join('').replace(/[" ]/g, '').length).toBe(4000);
    expect(dot.serverNames).toContain('doh.test');
  });
});
