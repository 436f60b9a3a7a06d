import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BootstrapConfigError, createBootstrapResolver } from '../../../server/dns/upstream/bootstrap.js';
import type { StubDnsServer } from '../../helpers/upstream/stub-dns-server.js';
import { startStubDnsServer } from '../../helpers/upstream/stub-dns-server.js';

let stub: StubDnsServer;
beforeAll(async () => {
  stub = await startStubDnsServer({
    zone: {
      'doh.test': { A: ['127.0.0.7'], ttl: 3600 },
      'short.test': { A: ['127.0.0.8'], ttl: 0 },
      'v6only.test': { AAAA: ['::1'] },
    },
  });
});
afterAll(async () => {
  await stub?.close();
});

describe('bootstrap resolver', () => {
  it('passes IP literals through without asking anyone', async () => {
    const r = createBootstrapResolver({ servers: [] });
    expect(await r.resolve('192.0.2.1')).toBe('192.0.2.1');
    expect(await r.resolve('[2001:db8::1]')).toBe('2001:db8::1');
  });

  it('resolves through the configured server and caches for the TTL', async () => {
    stub.resetCounts();
    const r = createBootstrapResolver({ servers: [`127.0.0.1:${stub.port}`] });
    expect(await r.resolve('doh.test')).toBe('127.0.0.7');
    expect(await r.resolve('DOH.test')).toBe('127.0.0.7');
    expect(await Promise.all([r.resolve('doh.test'), r.resolve('doh.test')])).toEqual([
      '127.0.0.7',
      '127.0.0.7',
    ]);
    expect(stub.queries()).toBe(1);
  });

  it('asks again once the TTL has passed, and keeps the old address if the server is gone', async () => {
    stub.resetCounts();
    const r = createBootstrapResolver({
      servers: [`127.0.0.1:${stub.port}`],
      minTtlSeconds: 0,
      timeoutMs: 200,
    });
    expect(await r.resolve('short.test')).toBe('127.0.0.8');
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(await r.resolve('short.test')).toBe('127.0.0.8');
    expect(stub.queries()).toBe(2);
    stub.setBehaviour({ mode: 'silent' });
    try {
      expect(await r.resolve('short.test')).toBe('127.0.0.8');
    } finally {
      stub.setBehaviour({});
    }
  });

  it('falls back to AAAA and reports names that do not exist', async () => {
    const r = createBootstrapResolver({ servers: [`127.0.0.1:${stub.port}`], timeoutMs: 500 });
    expect(await r.resolve('v6only.test')).toBe('::1');
    await expect(r.resolve('gone.nxdomain.test')).rejects.toThrow(/"gone\.nxdomain\.test"/);
  });

  it('rejects host names and bad ports as bootstrap servers, naming the entry', () => {
    expect(() => createBootstrapResolver({ servers: ['1.1.1.1', 'dns.google'] })).toThrow(
      BootstrapConfigError,
    );
    expect(() => createBootstrapResolver({ servers: ['1.1.1.1', 'dns.google'] })).toThrow(
      /dns\.bootstrap\[1\] = "dns\.google"/,
    );
    expect(() => createBootstrapResolver({ servers: ['1.1.1.1:0'] })).toThrow(/port/);
    expect(() =>
      createBootstrapResolver({ servers: ['[2606:4700::1111]:53', '::1', '9.9.9.9:53'] }),
    ).not.toThrow();
  });

  it('says so when no bootstrap server is configured', async () => {
    await expect(createBootstrapResolver({ servers: [] }).resolve('doh.test')).rejects.toThrow(
      /dns\.bootstrap lists no servers/,
    );
  });
});
