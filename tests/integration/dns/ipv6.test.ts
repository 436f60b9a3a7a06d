/** Listening on IPv6: "::1" only, and "::" dual-stack where IPv4 clients are logged as plain IPv4. */
import { afterAll, describe, expect, it } from 'vitest';
import { dig } from '../../helpers/dns-clients.js';
import { type DnsHarness, eventually, startDnsHarness } from '../../helpers/dns-harness.js';
import { createSimpleUpstreamPool } from '../../helpers/simple-upstream-pool.js';

const pool = createSimpleUpstreamPool('127.0.0.1', 9, 200);
const harnesses: DnsHarness[] = [];
afterAll(async () => {
  for (const h of harnesses) await h.close();
  await pool.close();
});

describe('IPv6', () => {
  it('answers over UDP and TCP on ::1', async () => {
    const h = await startDnsHarness({
      upstreams: pool,
      blocked: ['blocked.test'],
      config: (c) => (c.bind = '::1'),
    });
    harnesses.push(h);
    expect(h.server.udpAddress.family).toBe('IPv6');
    const udp = await dig(h.port, 'blocked.test', 'AAAA', [], '::1');
    expect(udp.answers.map((r) => r.data)).toEqual(['::']);
    const tcp = await dig(h.port, 'blocked.test', 'A', ['+tcp'], '::1');
    expect(tcp.answers.map((r) => r.data)).toEqual(['0.0.0.0']);
    expect(h.events[0]?.clientAddress).toBe('::1');
  });

  it('on "::" serves IPv4 clients too and logs them as IPv4', async () => {
    const h = await startDnsHarness({
      upstreams: pool,
      blocked: ['blocked.test'],
      config: (c) => (c.bind = '::'),
    });
    harnesses.push(h);
    const r = await dig(h.port, 'blocked.test', 'A', [], '127.0.0.1');
    expect(r.answers.map((x) => x.data)).toEqual(['0.0.0.0']);
    const t = await dig(h.port, 'blocked.test', 'A', ['+tcp'], '127.0.0.1');
    expect(t.answers.map((x) => x.data)).toEqual(['0.0.0.0']);
    await eventually(() => h.events.length >= 2);
    expect(h.events.map((e) => e.clientAddress)).toEqual(['127.0.0.1', '127.0.0.1']);
  });
});
