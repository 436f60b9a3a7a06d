/** dns.workers → DNS threads this Node can run (dns/workers/worker-count.ts), and the setting's check. */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../../server/config/load.js';
import { planWorkers, udpReusePortSupported } from '../../../../server/dns/workers/worker-count.js';

describe('DNS worker count', () => {
  it('knows which Node versions share a UDP port between threads', () => {
    expect(udpReusePortSupported('20.20.2')).toBe(false);
    expect(udpReusePortSupported('22.11.0')).toBe(false);
    expect(udpReusePortSupported('22.12.0')).toBe(true);
    expect(udpReusePortSupported('23.0.0')).toBe(false);
    expect(udpReusePortSupported('23.1.0')).toBe(true);
    expect(udpReusePortSupported('24.22.3')).toBe(true);
  });

  it('plans one thread per core for "auto", the number asked otherwise', () => {
    expect(planWorkers('auto', 4, '24.1.0')).toMatchObject({ count: 4, warning: null });
    expect(planWorkers('3', 2, '24.1.0')).toMatchObject({ count: 3, warning: null });
    expect(planWorkers('1', 8, '20.20.2')).toEqual({ count: 1, warning: null, sharing: null });
    expect(planWorkers('auto', 1, '24.1.0')).toEqual({ count: 1, warning: null, sharing: null });
  });

  it('falls back to one thread on a Node without dgram reusePort, and says why', () => {
    const plan = planWorkers('auto', 8, '20.20.2', 'dgram');
    expect(plan.count).toBe(1);
    expect(plan.warning).toContain('dns.workers is auto (8 DNS workers)');
    expect(plan.warning).toContain('Node 20.20.2');
    expect(plan.warning).toContain('Node 22.12');
    expect(plan.warning).toContain('native UDP transport is not in use');
  });

  it('plans on what the UDP transport can do: native on any Node, dgram from 22.12', () => {
    const native = planWorkers('auto', 4, '20.20.2', 'native');
    expect(native.count).toBe(4);
    expect(native.warning).toBeNull();
    expect(native.sharing).toContain('native UDP transport');
    const dgram = planWorkers('2', 4, '22.12.0', 'dgram');
    expect(dgram.count).toBe(2);
    expect(dgram.sharing).toContain("Node's dgram");
    expect(planWorkers('2', 4, '22.11.0', 'dgram').count).toBe(1);
  });

  it('refuses a bad setting, naming the key and what to write', () => {
    for (const value of ['lots', '0', '65', '1.5']) {
      let error: unknown;
      try {
        loadConfig({ env: { TRACKSINK_DNS_WORKERS: value }, cwd: '/nonexistent' });
      } catch (caught) {
        error = caught;
      }
      expect(error, value).toBeInstanceOf(ConfigError);
      expect(String((error as Error).message)).toContain('dns.workers');
      expect(String((error as Error).message)).toContain('auto');
    }
    expect(
      loadConfig({ env: { TRACKSINK_DNS_WORKERS: 'auto' }, cwd: '/nonexistent' }).config.dns.workers,
    ).toBe('auto');
  });
});
