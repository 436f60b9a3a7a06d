/**
 * Upstream faults (issue 8): dead, all dead, slow, garbage, wrong ID/question, spoofed source port,
 * flapping, and recovery. Each test is bounded by short upstream timeouts and a handful of queries.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../server/logger.js';
import type { ManagedUpstreamPool, UpstreamPoolOptions } from '../../../server/dns/upstream/pool.js';
import { createUpstreamPool } from '../../../server/dns/upstream/pool.js';
import { UpstreamError } from '../../../server/dns/upstream/types.js';
import type { BadPacket, StubDnsServer } from '../../helpers/upstream/stub-dns-server.js';
import { QTYPE, buildQuery, parseResponse } from '../../helpers/upstream/dns-message.js';
import { startStubDnsServer } from '../../helpers/upstream/stub-dns-server.js';
import type { LocalDohServer, LocalDotServer, TestCa } from '../../helpers/upstream/test-ca.js';
import { createTestCa, startDohServer, startDotServer } from '../../helpers/upstream/test-ca.js';

/** What the stub's spoofed answers carry; no test may ever see it accepted. */
const SPOOFED = '203.0.113.66';

let good: StubDnsServer;
let faulty: StubDnsServer;
let deadPort: number;
let ca: TestCa;
let doh: LocalDohServer;
let dot: LocalDotServer;
const pools: ManagedUpstreamPool[] = [];

function pool(urls: string[], extra: Partial<UpstreamPoolOptions> = {}): ManagedUpstreamPool {
  const p = createUpstreamPool({
    urls,
    strategy: 'parallel',
    timeoutMs: 500,
    bootstrap: [],
    logger: silentLogger,
    ca: ca.caCert,
    ...extra,
  });
  pools.push(p);
  return p;
}

async function ask(p: ManagedUpstreamPool, name: string, id = 4711) {
  const result = await p.resolve(buildQuery(name, QTYPE.A, { id }), name, QTYPE.A, false);
  const parsed = parseResponse(result.packet);
  expect(parsed.id).toBe(id);
  expect(parsed.question.name.toLowerCase()).toBe(name.toLowerCase());
  return { upstreamId: result.upstreamId, address: parsed.answers.at(-1)?.text };
}

/** Polls a condition (bounded): for effects that land after an answer, like a loser's timeout. */
async function waitFor(condition: () => boolean, limitMs = 5000): Promise<void> {
  const end = Date.now() + limitMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(async () => {
  good = await startStubDnsServer({ defaultA: '192.0.2.10' });
  faulty = await startStubDnsServer({ defaultA: '192.0.2.20' });
  const gone = await startStubDnsServer();
  deadPort = gone.port;
  await gone.close();
  ca = await createTestCa(['doh.test']);
  doh = await startDohServer(faulty, ca);
  dot = await startDotServer(faulty, ca);
});
afterEach(() => {
  good.setBehaviour({});
  faulty.setBehaviour({});
  good.resetCounts();
  faulty.resetCounts();
});
afterAll(async () => {
  await Promise.all(pools.map((p) => p.close()));
  await doh?.close();
  await dot?.close();
  await good?.close();
  await faulty?.close();
  await ca?.cleanup();
});

describe('dead upstreams', () => {
  it('one dead (nothing listening): both strategies still answer from the live one', async () => {
    for (const strategy of ['parallel', 'failover'] as const) {
      const p = pool([`udp://127.0.0.1:${deadPort}`, good.udpUrl], { strategy });
      const { upstreamId, address } = await ask(p, `dead-${strategy}.example.test`);
      expect(upstreamId).toBe(2);
      expect(address).toBe('192.0.2.10');
      expect(p.stats()[0]!.errors + p.stats()[0]!.timeouts).toBe(1);
    }
  });

  it('one dead (silent black hole) in failover: the next answers, and the dead one is then skipped', async () => {
    faulty.setBehaviour({ mode: 'silent' });
    const p = pool([faulty.udpUrl, good.udpUrl], { strategy: 'failover', health: { baseBackoffMs: 10_000 } });
    expect((await ask(p, 'hole.example.test')).upstreamId).toBe(2);
    for (let i = 0; i < 5; i++) expect((await ask(p, `hole${i}.example.test`)).upstreamId).toBe(2);
    expect(faulty.queries()).toBe(1); // backed off: not asked again for every query
    expect(p.stats()[0]).toMatchObject({ timeouts: 1, healthy: false });
  });

  it('a silent bootstrap server: the DoH/DoT upstream fails within its timeout and failover moves on', async () => {
    const silentBootstrap = await startStubDnsServer({ behaviour: { mode: 'silent' } });
    try {
      const p = pool([doh.url('doh.test'), dot.url('doh.test'), good.udpUrl], {
        strategy: 'failover',
        timeoutMs: 300,
        overallTimeoutMs: 3000,
        bootstrap: [`127.0.0.1:${silentBootstrap.port}`],
      });
      expect(await ask(p, 'no-bootstrap.example.test')).toEqual({ upstreamId: 3, address: '192.0.2.10' });
      expect(p.stats().map((s) => s.timeouts + s.errors)).toEqual([1, 1, 0]);
    } finally {
      await silentBootstrap.close();
    }
  });

  it('all dead: rejects with UpstreamError once the timeout has passed, for each transport', async () => {
    faulty.setBehaviour({ mode: 'silent' });
    const urls = [
      `udp://127.0.0.1:${deadPort}`,
      `tcp://127.0.0.1:${deadPort}`,
      faulty.udpUrl,
      faulty.tcpUrl,
      doh.url(),
      dot.url(),
    ];
    for (const strategy of ['parallel', 'failover'] as const) {
      const p = pool(urls, { strategy, timeoutMs: 300 });
      const error = await ask(p, `void-${strategy}.example.test`).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UpstreamError);
      expect((error as UpstreamError).causes.length).toBeGreaterThan(0);
    }
  });
});

describe('slow upstream', () => {
  it('one slow (2 s) beside a fast one: the fast answer is used (parallel and failover)', async () => {
    faulty.setBehaviour({ delayMs: 2000 });
    const parallel = pool([faulty.udpUrl, good.udpUrl], { timeoutMs: 1000 });
    expect(await ask(parallel, 'slow-parallel.example.test')).toEqual({
      upstreamId: 2,
      address: '192.0.2.10',
    });
    const failover = pool([faulty.udpUrl, good.udpUrl], { strategy: 'failover', timeoutMs: 1000 });
    expect(await ask(failover, 'slow-failover.example.test')).toEqual({
      upstreamId: 2,
      address: '192.0.2.10',
    });
    expect(failover.stats()[0]?.timeouts).toBe(1);
  });
});

describe('answers that do not match are never accepted', () => {
  const bad: BadPacket[] = ['garbage', 'wrong-id', 'wrong-question', 'other-port'];

  it.each(bad)('UDP: %s before the real answer is ignored and the real answer accepted', async (kind) => {
    faulty.setBehaviour({ before: [kind] });
    const p = pool([faulty.udpUrl]);
    const { address } = await ask(p, `race-${kind}.example.test`);
    expect(address).toBe('192.0.2.20');
    // other-port is dropped by the kernel (connected socket) before we can count it.
    if (kind !== 'other-port') expect(p.stats()[0]?.mismatched).toBeGreaterThanOrEqual(1);
  });

  it.each(bad)('UDP: only %s is never accepted; a correct upstream still answers', async (kind) => {
    faulty.setBehaviour({ mode: kind });
    const alone = pool([faulty.udpUrl], { timeoutMs: 300 });
    await expect(ask(alone, `only-${kind}.example.test`)).rejects.toBeInstanceOf(UpstreamError);
    const withGood = pool([faulty.udpUrl, good.udpUrl], { timeoutMs: 300 });
    expect(await ask(withGood, `plus-${kind}.example.test`)).toEqual({
      upstreamId: 2,
      address: '192.0.2.10',
    });
  });

  it.each(['wrong-id', 'wrong-question'] as const)(
    'TCP and DoT: %s on the stream is ignored',
    async (kind) => {
      faulty.setBehaviour({ before: [kind] });
      for (const url of [faulty.tcpUrl, dot.url()]) {
        const p = pool([url]);
        expect((await ask(p, `stream-${kind}.example.test`)).address).toBe('192.0.2.20');
        expect(p.stats()[0]?.mismatched).toBe(1);
      }
    },
  );

  it.each(['garbage', 'wrong-id', 'wrong-question'] as const)(
    'DoH: a %s body is rejected, never returned',
    async (kind) => {
      faulty.setBehaviour({ mode: kind });
      const p = pool([doh.url()]);
      await expect(ask(p, `doh-${kind}.example.test`)).rejects.toBeInstanceOf(UpstreamError);
      const withGood = pool([doh.url(), good.udpUrl]);
      expect((await ask(withGood, `doh-plus-${kind}.example.test`)).address).toBe('192.0.2.10');
    },
  );

  it.each([{ status: 500 }, { status: 404 }, { contentType: 'text/html' }])(
    'DoH: HTTP fault %j is an error, not an answer',
    async (fault) => {
      doh.setHttpFault(fault);
      try {
        const p = pool([doh.url()]);
        const error = await ask(p, 'http-fault.example.test').catch((e: unknown) => e);
        expect(error).toBeInstanceOf(UpstreamError);
        expect(p.stats()[0]).toMatchObject({ answers: 0, errors: 1 });
        expect(p.stats()[0]?.lastError).toMatch(
          fault.status ? `HTTP status ${fault.status}` : /content-type "text\/html"/,
        );
      } finally {
        doh.setHttpFault(null);
      }
    },
  );

  it('no accepted answer ever carries the spoofed address', async () => {
    const p = pool([faulty.udpUrl, faulty.tcpUrl, dot.url()]);
    for (let i = 0; i < 12; i++) {
      faulty.setBehaviour({ before: [bad[i % bad.length]!, 'wrong-question'] });
      expect((await ask(p, `mixed${i}.example.test`, i)).address).not.toBe(SPOOFED);
    }
  });
});

describe('flapping and recovery', () => {
  it('one flapping upstream beside a good one: every query is answered', async () => {
    faulty.setBehaviour({ flap: { up: 2, down: 2 } });
    for (const strategy of ['parallel', 'failover'] as const) {
      const p = pool([faulty.udpUrl, good.udpUrl], {
        strategy,
        timeoutMs: 300,
        health: { baseBackoffMs: 50 },
      });
      for (let i = 0; i < 10; i++)
        expect((await ask(p, `flap-${strategy}${i}.example.test`)).address).toMatch(/^192\.0\.2\.(10|20)$/);
    }
  });

  it('a single upstream that stops and comes back: rejects while down, answers again and is healthy after', async () => {
    const p = pool([faulty.udpUrl], { timeoutMs: 200, health: { baseBackoffMs: 50, maxBackoffMs: 200 } });
    expect((await ask(p, 'up.example.test')).address).toBe('192.0.2.20');
    faulty.setBehaviour({ mode: 'silent' });
    for (let i = 0; i < 3; i++)
      await expect(ask(p, `down${i}.example.test`)).rejects.toBeInstanceOf(UpstreamError);
    expect(p.stats()[0]?.healthy).toBe(false);
    faulty.setBehaviour({});
    expect((await ask(p, 'back.example.test')).address).toBe('192.0.2.20');
    expect(p.stats()[0]).toMatchObject({ healthy: true, consecutiveFailures: 0 });
  });

  it('a backed-off upstream is asked again after its back-off and recovers (failover order restored)', async () => {
    faulty.setBehaviour({ mode: 'silent' });
    const p = pool([faulty.udpUrl, good.udpUrl], {
      strategy: 'failover',
      timeoutMs: 200,
      health: { baseBackoffMs: 100, maxBackoffMs: 100 },
    });
    expect((await ask(p, 'fo-down.example.test')).upstreamId).toBe(2);
    faulty.setBehaviour({});
    await new Promise((r) => setTimeout(r, 150)); // back-off over (a wait, not a timing assertion)
    expect((await ask(p, 'fo-back.example.test')).upstreamId).toBe(1);
    expect(p.stats()[0]?.healthy).toBe(true);
  });

  it('parallel: when the healthy upstreams fail, one in back-off is asked too and can answer', async () => {
    faulty.setBehaviour({ mode: 'silent' });
    const p = pool([faulty.udpUrl, good.udpUrl], { timeoutMs: 300, health: { baseBackoffMs: 60_000 } });
    expect((await ask(p, 'pb-1.example.test')).upstreamId).toBe(2);
    await waitFor(() => p.stats()[0]!.timeouts === 1);
    expect(p.stats()[0]?.healthy).toBe(false);
    faulty.setBehaviour({});
    good.setBehaviour({ mode: 'refused' });
    expect(await ask(p, 'pb-2.example.test')).toEqual({ upstreamId: 1, address: '192.0.2.20' });
    expect(p.stats()[0]?.healthy).toBe(true);
  });

  it('all upstreams down, then back: the pool answers again (DoH and DoT sessions reopen)', async () => {
    // 1 s: the first TLS handshakes of a cold process are slow on a loaded machine.
    const p = pool([doh.url(), dot.url()], {
      timeoutMs: 1000,
      health: { baseBackoffMs: 50, maxBackoffMs: 100 },
    });
    expect((await ask(p, 'enc-up.example.test')).address).toBe('192.0.2.20');
    faulty.setBehaviour({ mode: 'silent' });
    await expect(ask(p, 'enc-down.example.test')).rejects.toBeInstanceOf(UpstreamError);
    doh.goawayAll();
    faulty.setBehaviour({});
    expect((await ask(p, 'enc-back.example.test')).address).toBe('192.0.2.20');
  });
});
