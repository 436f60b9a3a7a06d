import { describe, expect, it } from 'vitest';
import { RefusedNetworks } from '../../../server/dns/stages/refused-networks.js';
import { homeNetworkOf } from '../../../server/net/ip-prefix.js';

describe('refused networks', () => {
  it('names the home network of an address: IPv4 /24, IPv6 /64, mapped IPv4 as IPv4', () => {
    expect(homeNetworkOf('198.19.77.11')).toBe('198.19.77.0/24');
    expect(homeNetworkOf('::ffff:198.19.77.11')).toBe('198.19.77.0/24');
    expect(homeNetworkOf('2001:db8:0:1::53')).toBe('2001:db8:0:1::/64');
    expect(homeNetworkOf('2001:DB8::1%eth0')).toBe('2001:db8:0:0::/64');
    expect(homeNetworkOf('not an address')).toBe('not an address');
  });

  it('counts per network, logs each network once, and lists the busiest first', () => {
    const lines: string[] = [];
    const logger = { warn: (line: string) => lines.push(line) } as never;
    const refused = new RefusedNetworks(logger);
    refused.note('198.19.77.11', 1000);
    refused.note('198.19.77.13', 2000);
    refused.note('198.19.77.11', 3000);
    refused.note('203.0.113.5', 4000);
    expect(refused.list()).toEqual([
      { network: '198.19.77.0/24', queries: 3, example: '198.19.77.11', firstSeen: 1000, lastSeen: 3000 },
      { network: '203.0.113.0/24', queries: 1, example: '203.0.113.5', firstSeen: 4000, lastSeen: 4000 },
    ]);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/198\.19\.77\.11 are refused: its network 198\.19\.77\.0\/24 is not allowed/);
  });

  it('keeps at most 256 networks, forgetting the oldest', () => {
    const refused = new RefusedNetworks();
    for (let i = 0; i < 300; i++) refused.note(`10.${Math.floor(i / 256)}.${i % 256}.1`, i);
    const list = refused.list();
    expect(list).toHaveLength(256);
    expect(list.some((n) => n.network === '10.0.0.0/24')).toBe(false);
    expect(list.some((n) => n.network === '10.1.43.0/24')).toBe(true);
  });
});
