/** Every config.dns.blocking mode, for A, AAAA and HTTPS, with the configured TTL. No upstream involved. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BlockingMode } from '../../../server/config/schema.js';
import { dig } from '../../helpers/dns-clients.js';
import { type DnsHarness, startDnsHarness } from '../../helpers/dns-harness.js';
import { createSimpleUpstreamPool } from '../../helpers/simple-upstream-pool.js';

const modes: BlockingMode[] = ['null', 'nxdomain', 'nodata', 'refused', 'custom'];
const harnesses = new Map<BlockingMode, DnsHarness>();
// Nothing here may reach an upstream: port 9 on loopback (discard) would just time out.
const pool = createSimpleUpstreamPool('127.0.0.1', 9, 200);

beforeAll(async () => {
  for (const mode of modes) {
    harnesses.set(
      mode,
      await startDnsHarness({
        upstreams: pool,
        blocked: ['blocked.test'],
        config: (c) => {
          c.blocking.mode = mode;
          c.blocking.ttl = 17;
          if (mode === 'custom') {
            c.blocking.ipv4 = ['192.0.2.99', '192.0.2.98'];
            c.blocking.ipv6 = ['2001:db8::99'];
          }
        },
      }),
    );
  }
});

afterAll(async () => {
  for (const h of harnesses.values()) await h.close();
  await pool.close();
});

function port(mode: BlockingMode): number {
  return harnesses.get(mode)!.port;
}

describe('blocking modes', () => {
  it('null: 0.0.0.0 / :: with the configured TTL, NODATA for HTTPS', async () => {
    expect((await dig(port('null'), 'blocked.test', 'A')).answers).toEqual([
      { name: 'blocked.test.', ttl: 17, type: 'A', data: '0.0.0.0' },
    ]);
    expect((await dig(port('null'), 'blocked.test', 'AAAA')).answers.map((r) => r.data)).toEqual(['::']);
    const https = await dig(port('null'), 'blocked.test', 'HTTPS');
    expect(https.answers).toEqual([]);
    expect(https.authority[0]).toMatchObject({ type: 'SOA', ttl: 17 });
  });

  it('nxdomain: NXDOMAIN with an SOA whose MINIMUM is the block TTL, for every type', async () => {
    for (const type of ['A', 'AAAA', 'HTTPS', 'TXT']) {
      const r = await dig(port('nxdomain'), 'www.blocked.test', type);
      expect(r.status, type).toBe('NXDOMAIN');
      expect(r.authority[0]?.type, type).toBe('SOA');
      expect(r.authority[0]?.data, type).toMatch(/ 17$/);
      expect(r.ede, type).toMatch(/^15 /);
    }
  });

  it('nodata: NOERROR, no answer, SOA in authority', async () => {
    for (const type of ['A', 'AAAA', 'HTTPS']) {
      const r = await dig(port('nodata'), 'blocked.test', type);
      expect(r.status, type).toBe('NOERROR');
      expect(r.answers, type).toEqual([]);
      expect(r.authority[0]?.type, type).toBe('SOA');
    }
  });

  it('refused: REFUSED with EDE Blocked', async () => {
    for (const type of ['A', 'AAAA', 'HTTPS']) {
      const r = await dig(port('refused'), 'blocked.test', type);
      expect(r.status, type).toBe('REFUSED');
      expect(r.ede, type).toMatch(/^15 /);
    }
  });

  it('custom: the configured addresses, NODATA for other types', async () => {
    const a = await dig(port('custom'), 'blocked.test', 'A');
    expect(a.answers.map((r) => r.data)).toEqual(['192.0.2.99', '192.0.2.98']);
    const aaaa = await dig(port('custom'), 'blocked.test', 'AAAA');
    expect(aaaa.answers.map((r) => r.data)).toEqual(['2001:db8::99']);
    const https = await dig(port('custom'), 'blocked.test', 'HTTPS');
    expect(https.status).toBe('NOERROR');
    expect(https.answers).toEqual([]);
  });

  it('a name that is not blocked is not affected by the mode', async () => {
    // It goes upstream, which is dead here: SERVFAIL, not a sinkhole answer.
    const r = await dig(port('custom'), 'fine.test', 'A', ['+time=3']);
    expect(r.status).toBe('SERVFAIL');
  });
});
