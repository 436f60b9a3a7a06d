/**
 * The DNS engine with the real upstream pool (dns/upstream/pool.ts) in front of dnsmasq: forwarding over
 * udp:// and tcp://, and serve-stale once every upstream is gone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUpstreamPool } from '../../../server/dns/upstream/pool.js';
import type { UpstreamPool } from '../../../server/dns/upstream/types.js';
import { QueryStatus } from '../../../server/events/query-event.js';
import { silentLogger } from '../../../server/logger.js';
import { dig } from '../../helpers/dns-clients.js';
import { type DnsHarness, startDnsHarness } from '../../helpers/dns-harness.js';
import { type Dnsmasq, startDnsmasq } from '../../helpers/dnsmasq.js';

let dnsmasq: Dnsmasq;
const pools: UpstreamPool[] = [];
const harnesses: DnsHarness[] = [];

beforeAll(async () => {
  dnsmasq = await startDnsmasq(['--address=/#/203.0.113.8', '--local-ttl=1']);
});
afterAll(async () => {
  for (const h of harnesses) await h.close();
  for (const p of pools) await p.close();
  await dnsmasq?.stop();
});

async function start(url: string): Promise<DnsHarness> {
  const pool = createUpstreamPool({
    urls: [url],
    strategy: 'failover',
    timeoutMs: 500,
    bootstrap: [],
    logger: silentLogger,
  });
  pools.push(pool);
  const h = await startDnsHarness({ upstreams: pool, blocked: ['blocked.test'] });
  harnesses.push(h);
  return h;
}

describe('with the real upstream pool', () => {
  it('forwards over udp:// and tcp://', async () => {
    for (const scheme of ['udp', 'tcp']) {
      const h = await start(`${scheme}://127.0.0.1:${dnsmasq.port}`);
      const r = await dig(h.port, 'pool.example', 'A');
      expect(
        r.answers.map((a) => a.data),
        scheme,
      ).toEqual(['203.0.113.8']);
      expect(h.events.at(-1), scheme).toMatchObject({ status: QueryStatus.forwarded, upstreamId: 1 });
      const blocked = await dig(h.port, 'blocked.test', 'A');
      expect(
        blocked.answers.map((a) => a.data),
        scheme,
      ).toEqual(['0.0.0.0']);
    }
  });

  it('serves stale when the only upstream is gone', async () => {
    // Its own dnsmasq: with --no-daemon, dnsmasq serves a TCP connection inline and the tcp:// pool
    // above keeps one open, so the shared one may be busy.
    const own = await startDnsmasq(['--address=/#/203.0.113.8', '--local-ttl=1']);
    const h = await start(`udp://127.0.0.1:${own.port}`);
    const fresh = await dig(h.port, 'gone-soon.example', 'A');
    expect(
      fresh.answers.map((a) => a.data),
      fresh.raw,
    ).toEqual(['203.0.113.8']);
    await own.stop();
    await new Promise((r) => setTimeout(r, 1200)); // past the 1 s TTL
    const stale = await dig(h.port, 'gone-soon.example', 'A', ['+time=3']);
    expect(stale.answers[0]).toMatchObject({ ttl: 30, data: '203.0.113.8' });
    expect(h.events.at(-1)?.status).toBe(QueryStatus.stale);
  });
});
