/**
 * The network an address belongs to, as a household's router hands them out: the IPv4 /24 of a home LAN,
 * the IPv6 /64 of one link (a host can pick any address in it, so counting per address means nothing).
 * IPv4-mapped IPv6 (::ffff:a.b.c.d) is the IPv4 address. Used by login limits and refused-client notices.
 */
import { isIPv4, isIPv6 } from 'node:net';

/** The first four 16-bit groups of an IPv6 address, expanded ("2001:db8:0:0" for "2001:db8::1"). */
export function ipv6Prefix64(address: string): string {
  const [head = '', tail] = address.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  // An embedded IPv4 tail (::1.2.3.4) stands for two groups; only the first four groups matter here.
  const rightGroups = right.flatMap((group) => (group.includes('.') ? ['0', '0'] : [group]));
  const missing = tail === undefined ? 0 : 8 - left.length - rightGroups.length;
  const groups = [...left, ...Array<string>(Math.max(0, missing)).fill('0'), ...rightGroups];
  return groups
    .slice(0, 4)
    .map((group) => (parseInt(group, 16) || 0).toString(16))
    .join(':');
}

/** The address without a zone, IPv4-mapped IPv6 as IPv4; null when it is not an IP address. */
export function plainAddress(address: string): { address: string; v4: boolean } | null {
  const plain = address.replace(/%.*$/, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(plain);
  if (mapped) return { address: mapped[1] as string, v4: true };
  if (isIPv4(plain)) return { address: plain, v4: true };
  if (isIPv6(plain)) return { address: plain.toLowerCase(), v4: false };
  return null;
}

/** `198.19.77.0/24` or `2001:db8:0:0::/64` for an address; the text itself when it is not an address. */
export function homeNetworkOf(address: string): string {
  const plain = plainAddress(address);
  if (plain === null) return address;
  if (plain.v4) return `${plain.address.split('.').slice(0, 3).join('.')}.0/24`;
  return `${ipv6Prefix64(plain.address)}::/64`;
}
