/**
 * Device names by reverse DNS, asked of the router (which knows its DHCP clients' names). Off unless a
 * server is configured; bounded by a short timeout so a dead router costs nothing.
 */
import { Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';

export type ReverseLookup = (address: string) => Promise<string | null>;

export function reverseDnsLookup(server: string, timeoutMs = 1500): ReverseLookup {
  const resolver = new Resolver({ timeout: timeoutMs, tries: 1 });
  // "host", "host:port", "[v6]:port" or a bare IPv6 address.
  resolver.setServers([isIP(server) === 6 ? `[${server}]` : server]);
  return async (address) => {
    try {
      const names = await resolver.reverse(address);
      const name = names[0];
      if (name === undefined) return null;
      // The router's names often carry the local domain (phone.lan): keep the host label readable.
      return name.replace(/\.$/, '').slice(0, 253);
    } catch {
      return null;
    }
  };
}
