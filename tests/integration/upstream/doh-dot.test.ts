import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../server/logger.js';
import type { ManagedUpstreamPool, UpstreamPoolOptions } from '../../../server/dns/upstream/pool.js';
import { createUpstreamPool } from '../../../server/dns/upstream/pool.js';
import { QTYPE, buildQuery, parseResponse } from '../../helpers/upstream/dns-message.js';
import type { StubDnsServer } from '../../helpers/upstream/stub-dns-server.js';
import { startStubDnsServer } from '../../helpers/upstream/stub-dns-server.js';
import type { LocalDohServer, LocalDotServer, TestCa } from '../../helpers/upstream/test-ca.js';
import { createTestCa, startDohServer, startDotServer } from '../../helpers/upstream/test-ca.js';

let ca: TestCa;
let stub: StubDnsServer;
let bootstrapStub: StubDnsServer;
let doh: LocalDohServer;
let dot: LocalDotServer;
const pools: ManagedUpstreamPool[] = [];

function pool(urls: string[], extra: Partial<UpstreamPoolOptions> = {}): ManagedUpstreamPool {
  const p = createUpstreamPool({
    urls,
    strategy: 'parallel',
    timeoutMs: 3000,
    bootstrap: [`127.0.0.1:${bootstrapStub.port}`],
    logger: silentLogger,
    ca: ca.caCert,
    ...extra,
  });
  pools.push(p);
  return p;
}

async function ask(p: ManagedUpstreamPool, name: string, id = 1234) {
  const result = await p.resolve(buildQuery(name, QTYPE.A, { id }), name, QTYPE.A, false);
  return { ...result, parsed: parseResponse(result.packet) };
}

beforeAll(async () => {
  ca = await createTestCa(['doh.test']);
  stub = await startStubDnsServer({ defaultA: '192.0.2.44' });
  // The bootstrap server knows where the encrypted upstream lives: doh.test and wrong.test are 127.0.0.1.
  bootstrapStub = await startStubDnsServer({
    zone: { 'doh.test': { A: ['127.0.0.1'], ttl: 300 }, 'wrong.test': { A: ['127.0.0.1'] } },
  });
  doh = await startDohServer(stub, ca);
  dot = await startDotServer(stub, ca);
});

afterAll(async () => {
  await Promise.all(pools.map((p) => p.close()));
  await doh?.close();
  await dot?.close();
  await stub?.close();
  await bootstrapStub?.close();
  await ca?.cleanup();
});

describe('DNS over HTTPS', () => {
  it('answers by IP with the test CA, ID 0 on the wire and the caller ID restored', async () => {
    const p = pool([doh.url('127.0.0.1')]);
    const { parsed, upstreamId } = await ask(p, 'ip.example.test', 777);
    expect(parsed.id).toBe(777);
    expect(parsed.answers[0]?.text).toBe('192.0.2.44');
    expect(upstreamId).toBe(1);
    expect(doh.wireIds.at(-1)).toBe(0);
  });

  it('resolves its host name through the bootstrap server (cached) and checks the certificate against it', async () => {
    bootstrapStub.resetCounts();
    const p = pool([doh.url('doh.test')]);
    for (let i = 0; i < 5; i++)
      expect((await ask(p, `boot${i}.example.test`, i)).parsed.answers[0]?.text).toBe('192.0.2.44');
    expect(bootstrapStub.received.map((q) => q.name)).toEqual(['doh.test']);
    expect(p.describe()[0]).toContain('bootstrap');
  });

  it('keeps one HTTP/2 session for many queries and reconnects after GOAWAY', async () => {
    const p = pool([doh.url('doh.test')]);
    const sessionsBefore = doh.sessions;
    await Promise.all(Array.from({ length: 10 }, (_, i) => ask(p, `multi${i}.example.test`, i)));
    expect(doh.sessions - sessionsBefore).toBe(1);
    doh.goawayAll();
    await new Promise((r) => setTimeout(r, 50));
    expect((await ask(p, 'after-goaway.example.test', 9)).parsed.id).toBe(9);
    expect(doh.sessions - sessionsBefore).toBe(2);
  });

  it('rejects a server whose certificate does not name the configured host', async () => {
    const p = pool([doh.url('wrong.test')]);
    await expect(ask(p, 'x.example.test')).rejects.toThrow(/every upstream failed/);
    expect(p.stats()[0]?.errors).toBe(1);
    expect(p.stats()[0]?.lastError).toMatch(/wrong\.test|altnames/i);
  });

  it('rejects a server signed by a CA it does not trust', async () => {
    const p = pool([doh.url('doh.test')], { ca: undefined });
    await expect(ask(p, 'y.example.test')).rejects.toThrow(/every upstream failed/);
    expect(p.stats()[0]?.lastError).toMatch(/certificate/i);
  });
});

describe('DNS over TLS', () => {
  it('answers by IP (no SNI) and by host name through bootstrap (SNI = host name)', async () => {
    const byIp = pool([dot.url('127.0.0.1')]);
    expect((await ask(byIp, 'dot-ip.example.test', 31)).parsed.id).toBe(31);
    expect(dot.serverNames.at(-1)).toBe(false);
    const byName = pool([dot.url('doh.test')]);
    const { parsed } = await ask(byName, 'dot-name.example.test', 32);
    expect(parsed.id).toBe(32);
    expect(parsed.answers[0]?.text).toBe('192.0.2.44');
    expect(dot.serverNames.at(-1)).toBe('doh.test');
  });

  it('pipelines concurrent queries over one kept-alive connection', async () => {
    const p = pool([dot.url('doh.test')]);
    const before = dot.connections;
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => ask(p, `pipe${i}.example.test`, 500 + i)),
    );
    results.forEach((r, i) => expect(r.parsed.id).toBe(500 + i));
    await ask(p, 'again.example.test');
    expect(dot.connections - before).toBe(1);
  });

  it('rejects a certificate that does not match the host name', async () => {
    const p = pool([dot.url('wrong.test')]);
    await expect(ask(p, 'z.example.test')).rejects.toThrow(/every upstream failed/);
    expect(p.stats()[0]?.errors).toBe(1);
  });
});
