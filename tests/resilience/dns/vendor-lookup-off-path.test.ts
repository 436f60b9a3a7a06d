/**
 * A new device's vendor comes from the IEEE registry (a 5.6 MB file). Finding it must never hold up DNS:
 * here the vendor search is held open by the test while real queries from the new device are answered,
 * and the vendor lands in the device record only once the search is let go.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DeviceRegistry } from '../../../server/devices/registry.js';
import { openOuiRegistry, type VendorLookup } from '../../../server/devices/oui-registry.js';
import { silentLogger } from '../../../server/logger.js';
import { openConfigDb } from '../../../server/store/sqlite.js';
import { dig } from '../../helpers/dns-clients.js';
import { eventually, startDnsHarness } from '../../helpers/dns-harness.js';
import { createSimpleUpstreamPool } from '../../helpers/simple-upstream-pool.js';

const scratch = mkdtempSync(join(tmpdir(), 'tracksink-vendor-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const APPLE = '3c:22:fb:01:02:03';

describe('vendor look-up and DNS', () => {
  it('answers a new device at once while its vendor is still being searched', async () => {
    const db = openConfigDb(join(scratch, 'tracksink.db'));
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let searches = 0;
    const registry = new DeviceRegistry({
      db,
      logger: silentLogger,
      neighbourTable: { read: async () => new Map([['127.0.0.1', APPLE]]) },
      // The real registry file, behind a gate the test opens.
      vendors: async (): Promise<VendorLookup> => {
        searches += 1;
        await held;
        return openOuiRegistry();
      },
    });
    const dns = await startDnsHarness({
      upstreams: createSimpleUpstreamPool('127.0.0.1', 9, 300),
      blocked: ['tracker.example'],
      devices: registry,
    });
    try {
      // First query: an IP-only device at once; the background pass learns its MAC and asks for the vendor.
      const first = await dig(dns.port, 'tracker.example');
      expect(first.status).toBe('NOERROR');
      expect(first.answers[0]?.data).toBe('0.0.0.0');
      expect(await eventually(() => searches === 1)).toBe(true);
      // The vendor search is held: DNS keeps answering the same device meanwhile.
      for (let i = 0; i < 3; i++) {
        const answer = await dig(dns.port, 'tracker.example');
        expect(answer.status).toBe('NOERROR');
        expect(answer.answers[0]?.data).toBe('0.0.0.0');
      }
      const device = registry.list().find((d) => d.mac === APPLE);
      expect(device?.vendor ?? null).toBeNull();
      // Let the search run: the vendor arrives in the background.
      release();
      expect(await eventually(() => /Apple/.test(registry.get(device!.id)?.vendor ?? ''))).toBe(true);
      expect(dns.events.length).toBe(4);
    } finally {
      release();
      await dns.close();
      await registry.close();
      db.close();
    }
  });
});
