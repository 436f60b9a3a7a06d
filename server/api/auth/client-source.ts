/**
 * The "source" a login attempt is counted against: one IPv4 address, or one IPv6 /64 (a single home or
 * host usually gets a whole /64 and can pick any address in it, so counting per address would give an
 * attacker 2^64 fresh tries). IPv4-mapped IPv6 (::ffff:a.b.c.d) counts as the IPv4 address.
 */
import { isIPv4, isIPv6 } from 'node:net';

/** The first four 16-bit groups of an IPv6 address, expanded ("2001:db8:0:0" for "2001:db8::1"). */
function ipv6Prefix64(address: string): string {
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

export function sourceOf(address: string): string {
  const plain = address.replace(/%.*$/, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(plain);
  if (mapped) return mapped[1] as string;
  if (isIPv4(plain)) return plain;
  if (isIPv6(plain)) return `${ipv6Prefix64(plain.toLowerCase())}::/64`;
  return plain;
}
