/**
 * The name a device announces over multicast DNS ("Janes-iPhone.local"), asked of the device itself: a
 * reverse (PTR) query sent straight to its port 5353, which mDNS responders answer (RFC 6762 §5.5, §6.7;
 * Apple's mDNSResponder and Avahi do). Bounded by a short timeout, and remembered for a while so a page
 * of suggestions does not ask every device again.
 */
import { isIP } from 'node:net';
import { reverseDnsLookup, type ReverseLookup } from './reverse-dns.js';

const REMEMBER_MS = 10 * 60_000;
const MAX_REMEMBERED = 1024;

export function mdnsNameLookup(options: { port?: number; timeoutMs?: number } = {}): ReverseLookup {
  const port = options.port ?? 5353;
  const timeoutMs = options.timeoutMs ?? 800;
  const remembered = new Map<string, { name: string | null; at: number }>();
  return async (address) => {
    const family = isIP(address);
    // Link-local IPv6 needs its interface; loopback is this machine.
    if (family === 0 || address.startsWith('127.') || address === '::1' || address.startsWith('fe80:'))
      return null;
    const known = remembered.get(address);
    if (known !== undefined && Date.now() - known.at < REMEMBER_MS) return known.name;
    const server = family === 6 ? `[${address}]:${port}` : `${address}:${port}`;
    const answer = await reverseDnsLookup(server, timeoutMs)(address);
    const name = answer === null ? null : answer.replace(/\.local$/i, '') || null;
    if (remembered.size >= MAX_REMEMBERED) remembered.clear();
    remembered.set(address, { name, at: Date.now() });
    return name;
  };
}
