/**
 * DHCP lease files, for device names: dnsmasq (`expiry mac ip hostname client-id`, plus DHCPv6 lines
 * after a `duid` line), ISC dhcpd (`lease IP { hardware ethernet MAC; client-hostname "NAME"; }`, the
 * last block for an address wins) and OpenWrt's odhcpd (`# iface duid|mac iaid|ipv4 hostname valid
 * hexid prefixlen addr/len…`). The format is detected from the text.
 */
import { isIP } from 'node:net';
import { normalizeMac } from './mac-address.js';

export interface Lease {
  address: string;
  mac: string | null;
  hostname: string | null;
}

export type LeaseFormat = 'dnsmasq' | 'isc' | 'odhcpd';

export function detectLeaseFormat(text: string): LeaseFormat {
  if (/^\s*lease\s+\S+\s*\{/m.test(text)) return 'isc';
  if (/^#\s+\S+\s+\S+\s+\S+\s+\S+\s+-?\d+\s+\S+\s+\d+/m.test(text)) return 'odhcpd';
  return 'dnsmasq';
}

export function parseLeases(text: string, format: LeaseFormat = detectLeaseFormat(text)): Lease[] {
  switch (format) {
    case 'isc':
      return parseIsc(text);
    case 'odhcpd':
      return parseOdhcpd(text);
    default:
      return parseDnsmasq(text);
  }
}

function cleanHostname(name: string | undefined): string | null {
  if (name === undefined || name === '*' || name === '-' || name === '') return null;
  // Names come from the devices themselves: keep printable characters only, bounded.
  const clean = name.replace(/[^\x21-\x7e]/g, '').slice(0, 63);
  return clean === '' ? null : clean;
}

function parseDnsmasq(text: string): Lease[] {
  const leases: Lease[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 4 || fields[0] === 'duid') continue;
    const [, second, address, hostname] = fields as [string, string, string, string];
    if (isIP(address) === 0) continue;
    // IPv4 lines carry the MAC; DHCPv6 lines carry the IAID there instead.
    const mac = isIP(address) === 4 ? normalizeMac(second) : null;
    leases.push({ address, mac, hostname: cleanHostname(hostname) });
  }
  return leases;
}

function parseIsc(text: string): Lease[] {
  const byAddress = new Map<string, Lease>();
  const blocks = text.matchAll(/lease\s+([0-9a-fA-F.:]+)\s*\{([^}]*)\}/g);
  for (const [, address, body] of blocks) {
    if (address === undefined || body === undefined || isIP(address) === 0) continue;
    const state = /binding\s+state\s+(\w+)\s*;/.exec(body)?.[1];
    const hardware = /hardware\s+ethernet\s+([0-9a-fA-F:]+)\s*;/.exec(body)?.[1];
    const hostname = /client-hostname\s+"([^"]*)"\s*;/.exec(body)?.[1];
    if (state !== undefined && state !== 'active') {
      byAddress.delete(address);
      continue;
    }
    byAddress.set(address, {
      address,
      mac: hardware === undefined ? null : normalizeMac(hardware),
      hostname: cleanHostname(hostname),
    });
  }
  return [...byAddress.values()];
}

function parseOdhcpd(text: string): Lease[] {
  const leases: Lease[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields[0] !== '#' || fields.length < 9) continue;
    const [, , id, iaid, hostname] = fields as [string, string, string, string, string];
    const mac = iaid === 'ipv4' ? normalizeMac(id) : null;
    for (const entry of fields.slice(8)) {
      const address = entry.split('/')[0] as string;
      if (isIP(address) === 0) continue;
      leases.push({ address, mac, hostname: cleanHostname(hostname) });
    }
  }
  return leases;
}
