/**
 * The "source" a login attempt is counted against: one IPv4 address, or one IPv6 /64 (a single home or
 * host usually gets a whole /64 and can pick any address in it, so counting per address would give an
 * attacker 2^64 fresh tries). IPv4-mapped IPv6 (::ffff:a.b.c.d) counts as the IPv4 address.
 */
import { ipv6Prefix64, plainAddress } from '../../net/ip-prefix.js';

export function sourceOf(address: string): string {
  const plain = plainAddress(address);
  if (plain === null) return address.replace(/%.*$/, '');
  return plain.v4 ? plain.address : `${ipv6Prefix64(plain.address)}::/64`;
}
