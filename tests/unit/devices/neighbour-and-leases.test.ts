import { describe, expect, it } from 'vitest';
import { detectLeaseFormat, parseLeases } from '../../../server/devices/leases.js';
import { isRandomizedMac, normalizeMac } from '../../../server/devices/mac-address.js';
import { parseIpNeigh, parseProcArp } from '../../../server/devices/neighbour-table.js';

describe('neighbour table parsing', () => {
  it('reads /proc/net/arp, skipping incomplete entries', () => {
    const text = [
      'IP address       HW type     Flags       HW address            Mask     Device',
      '192.168.1.1      0x1         0x2         AA:BB:CC:00:11:22     *        eth0',
      '192.168.1.20     0x1         0x0         00:00:00:00:00:00     *        eth0',
      '192.168.1.30     0x1         0x2         3c:22:fb:01:02:03     *        wlan0',
    ].join('\n');
    expect([...parseProcArp(text)]).toEqual([
      ['192.168.1.1', 'aa:bb:cc:00:11:22'],
      ['192.168.1.30', '3c:22:fb:01:02:03'],
    ]);
  });

  it('reads `ip neigh show` for IPv4 and IPv6, skipping FAILED and INCOMPLETE', () => {
    const text = [
      '192.168.1.30 dev wlan0 lladdr 3c:22:fb:01:02:03 REACHABLE',
      'fe80::1c2d:3eff:fe4f:5a6b dev wlan0 lladdr 3c:22:fb:01:02:03 STALE',
      '2001:db8::1 dev eth0 lladdr aa:bb:cc:00:11:22 router DELAY',
      '192.168.1.99 dev eth0  FAILED',
      '192.168.1.98 dev eth0 lladdr 11:22:33:44:55:66 INCOMPLETE',
      '',
    ].join('\n');
    expect([...parseIpNeigh(text)]).toEqual([
      ['192.168.1.30', '3c:22:fb:01:02:03'],
      ['fe80::1c2d:3eff:fe4f:5a6b', '3c:22:fb:01:02:03'],
      ['2001:db8::1', 'aa:bb:cc:00:11:22'],
    ]);
  });
});

describe('DHCP leases parsing', () => {
  it('dnsmasq: IPv4 lines with MAC, DHCPv6 lines after the duid line, * for no name', () => {
    const text = [
      '1763900000 3c:22:fb:01:02:03 192.168.1.30 janes-iphone 01:3c:22:fb:01:02:03',
      '1763900100 aa:bb:cc:dd:ee:ff 192.168.1.31 * *',
      'duid 00:01:00:01:2c:4b:5a:6b:aa:bb:cc:dd:ee:ff',
      '1763900200 12345678 fd00::31 living-room-tv 00:01:00:01:aa',
    ].join('\n');
    expect(detectLeaseFormat(text)).toBe('dnsmasq');
    expect(parseLeases(text)).toEqual([
      { address: '192.168.1.30', mac: '3c:22:fb:01:02:03', hostname: 'janes-iphone' },
      { address: '192.168.1.31', mac: 'aa:bb:cc:dd:ee:ff', hostname: null },
      { address: 'fd00::31', mac: null, hostname: 'living-room-tv' },
    ]);
  });

  it('ISC dhcpd: the last block for an address wins; free leases are dropped', () => {
    const text = `
# The format of this file is documented in the dhcpd.leases(5) manual page.
lease 192.168.1.50 {
  starts 4 2026/11/19 10:00:00;
  ends 4 2026/11/19 22:00:00;
  binding state active;
  hardware ethernet 00:11:22:33:44:55;
  client-hostname "old-name";
}
lease 192.168.1.50 {
  starts 5 2026/11/20 10:00:00;
  binding state active;
  hardware ethernet 00:11:22:33:44:55;
  uid "\\001\\000\\021\\"3DU";
  client-hostname "kids-tablet";
}
lease 192.168.1.51 {
  binding state free;
  hardware ethernet 66:77:88:99:aa:bb;
}
`;
    expect(detectLeaseFormat(text)).toBe('isc');
    expect(parseLeases(text)).toEqual([
      { address: '192.168.1.50', mac: '00:11:22:33:44:55', hostname: 'kids-tablet' },
    ]);
  });

  it('odhcpd: DHCPv4 lines carry the MAC, DHCPv6 lines a DUID and several addresses', () => {
    const text = [
      '# br-lan 0001000126aabbccddeeff001122 3a4b5c6d laptop 1763900000 200 128 fd00::200/128 2001:db8::200/128',
      '# br-lan 1c697a1b2c3d ipv4 phone 1763900000 4 32 192.168.1.100/32',
      'fd00::200 laptop.lan laptop',
    ].join('\n');
    expect(detectLeaseFormat(text)).toBe('odhcpd');
    expect(parseLeases(text)).toEqual([
      { address: 'fd00::200', mac: null, hostname: 'laptop' },
      { address: '2001:db8::200', mac: null, hostname: 'laptop' },
      { address: '192.168.1.100', mac: '1c:69:7a:1b:2c:3d', hostname: 'phone' },
    ]);
  });

  it('strips control characters from names devices chose themselves', () => {
    expect(parseLeases('1 aa:bb:cc:dd:ee:01 192.168.1.9 evil\u0007name *')[0]?.hostname).toBe('evilname');
  });
});

describe('MAC addresses', () => {
  it('normalizes spellings and rejects non-addresses', () => {
    expect(normalizeMac('AA-BB-CC-DD-EE-FF')).toBe('aa:bb:cc:dd:ee:ff');
    expect(normalizeMac('aabb.ccdd.eeff')).toBe('aa:bb:cc:dd:ee:ff');
    expect(normalizeMac('00:00:00:00:00:00')).toBeNull();
    expect(normalizeMac('zz:bb:cc:dd:ee:ff')).toBeNull();
  });

  it('flags locally administered (randomised) MACs', () => {
    expect(isRandomizedMac('da:a1:19:00:00:01')).toBe(true); // 0xda has bit 1 set
    expect(isRandomizedMac('3c:22:fb:01:02:03')).toBe(false);
  });
});
