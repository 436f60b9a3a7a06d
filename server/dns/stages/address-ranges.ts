/**
 * Address classification shared by the access, rate-limit and rebinding stages: which client addresses
 * are "local" (loopback, RFC 1918 private, link-local, ULA) and CIDR parsing with clear errors.
 */
import { BlockList, isIP } from 'node:net';

export type Family = 'ipv4' | 'ipv6';

/** Loopback, private (RFC 1918), link-local and ULA: the networks a home sinkhole serves by default. */
export const LOCAL_RANGES: readonly string[] = [
  '127.0.0.0/8',
  '10.0.0.0/8',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '169.254.0.0/16',
  '::1/128',
  'fc00::/7',
  'fe80::/10',
];

/**
 * The address to log and to identify a device by: an IPv4 client of a dual-stack (::) socket shows up
 * as ::ffff:a.b.c.d; this returns a.b.c.d. Cheap enough for the hot path (no allocation unless mapped).
 */
export function unmapAddress(address: string): string {
  return address.charCodeAt(0) === 58 && address.startsWith('::ffff:') && address.includes('.')
    ? address.slice(7)
    : address;
}

/** A client address as the socket reports it, with IPv4-mapped IPv6 (::ffff:a.b.c.d) unwrapped. */
export function normalizeAddress(address: string): { address: string; family: Family } | null {
  let text = address;
  const percent = text.indexOf('%');
  if (percent >= 0) text = text.slice(0, percent);
  if (text.toLowerCase().startsWith('::ffff:') && text.includes('.')) text = text.slice(7);
  const version = isIP(text);
  if (version === 0) return null;
  return { address: text, family: version === 4 ? 'ipv4' : 'ipv6' };
}

/**
 * Adds "a.b.c.d/n", "x::/n" or a bare address to the list. Throws an error that names `where` and the bad
 * entry, so a config mistake points at its key.
 */
export function addCidr(list: BlockList, cidr: string, where: string): void {
  const [addr, prefixText, extra] = cidr.trim().split('/');
  const parsed = addr === undefined ? null : normalizeAddress(addr);
  if (parsed === null || extra !== undefined) {
    throw new Error(`${where}: "${cidr}" is not an IP address or CIDR (e.g. 192.168.1.0/24 or fd00::/8)`);
  }
  const max = parsed.family === 'ipv4' ? 32 : 128;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max || prefixText === '') {
    throw new Error(`${where}: "${cidr}" has an invalid prefix length (0 to ${max})`);
  }
  list.addSubnet(parsed.address, prefix, parsed.family);
}

export function blockListOf(cidrs: readonly string[], where: string): BlockList {
  const list = new BlockList();
  for (const cidr of cidrs) addCidr(list, cidr, where);
  return list;
}

const localRanges = blockListOf(LOCAL_RANGES, 'built-in local ranges');

/** True for loopback, private, link-local and ULA addresses (IPv4-mapped included). */
export function isLocalAddress(address: string): boolean {
  const parsed = normalizeAddress(address);
  return parsed !== null && localRanges.check(parsed.address, parsed.family);
}

/** Checks `address` against a BlockList, unwrapping IPv4-mapped IPv6 first. */
export function inList(list: BlockList, address: string): boolean {
  const parsed = normalizeAddress(address);
  return parsed !== null && list.check(parsed.address, parsed.family);
}
