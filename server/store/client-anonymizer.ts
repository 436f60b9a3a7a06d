/**
 * `log.anonymizeClients`: keep the network, drop the host. IPv4 keeps its /24, IPv6 its /64 (the
 * interface identifier is what names a device; the prefix only names the home).
 */
import { isIPv4, isIPv6 } from 'node:net';

export function anonymizeAddress(address: string): string {
  if (isIPv4(address)) {
    const lastDot = address.lastIndexOf('.');
    return `${address.slice(0, lastDot)}.0`;
  }
  if (isIPv6(address)) {
    const mapped = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    if (mapped) return `${mapped[1]}${anonymizeAddress(mapped[2] as string)}`;
    const groups = expandIPv6(address).slice(0, 4);
    return `${groups.map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::`;
  }
  return address;
}

function expandIPv6(address: string): string[] {
  const zoneless = address.split('%')[0] as string;
  const [head, tail] = zoneless.split('::') as [string, string | undefined];
  const left = head === '' ? [] : head.split(':');
  if (tail === undefined) return left;
  const right = tail === '' ? [] : tail.split(':');
  const missing = 8 - left.length - right.length;
  return [...left, ...Array<string>(Math.max(0, missing)).fill('0'), ...right];
}
