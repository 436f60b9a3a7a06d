/**
 * The addresses other devices on the LAN reach this machine at. A server bound to 0.0.0.0 or :: listens
 * on every interface, but "0.0.0.0" and "127.0.0.1" are no use to a router's DNS setting: the banner and
 * the Setup help page name these instead.
 */
import { networkInterfaces } from 'node:os';
import { isIPv4 } from 'node:net';

type Interfaces = ReturnType<typeof networkInterfaces>;

function isUsable(address: string, family: string, internal: boolean): boolean {
  if (internal) return false;
  if (family === 'IPv4') return !address.startsWith('169.254.');
  // Link-local IPv6 (fe80::/10) needs a zone index, which a router's DNS field does not take.
  return !/^fe[89ab]/i.test(address);
}

/** RFC 1918 IPv4 first (what home routers hand out), then other IPv4, then IPv6. */
function rank(address: string): number {
  if (/^(10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.)/.test(address)) return 0;
  return isIPv4(address) ? 1 : 2;
}

export function lanAddresses(bind: string, interfaces: Interfaces = networkInterfaces()): string[] {
  const wildcard = bind === '0.0.0.0' || bind === '::' || bind === '';
  if (!wildcard) return [bind];
  const found = new Set<string>();
  for (const list of Object.values(interfaces)) {
    for (const entry of list ?? []) {
      if (bind === '0.0.0.0' && entry.family !== 'IPv4') continue;
      if (isUsable(entry.address, entry.family, entry.internal)) found.add(entry.address);
    }
  }
  return [...found].sort((a, b) => rank(a) - rank(b));
}

export function isLoopback(address: string): boolean {
  return address.startsWith('127.') || address === '::1' || address === 'localhost';
}

/** `http://host:port/` with IPv6 hosts in brackets. */
export function urlFor(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}/`;
}
