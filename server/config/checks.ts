/**
 * Checks of config values that need more than their type: addresses, networks, upstream URLs, domain
 * names. Each returns null when the value is fine, or one sentence for people: what is wrong, then what to
 * write instead with an example. load.ts puts the key and where it came from (file line or environment
 * variable) in front.
 */
import { isIP } from 'node:net';

/** `value` as the message quotes it. */
export function quoted(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/** An IP address of one family (4 or 6) or either (0). */
export function ipAddress(family: 0 | 4 | 6, example: string): (item: string) => string | null {
  const what = family === 0 ? 'an IP address' : `an IPv${family} address`;
  return (item) => {
    const found = isIP(item);
    if (found !== 0 && (family === 0 || found === family)) return null;
    if (found !== 0)
      return `${quoted(item)} is an IPv${found} address, not ${what}. Write one like ${example}`;
    return `${quoted(item)} is not ${what}. Write one like ${example}`;
  };
}

/** An address or a network in CIDR notation (192.168.1.0/24, fd00::/8). */
export function network(item: string): string | null {
  const [address = '', bits, extra] = item.split('/');
  const family = isIP(address);
  const max = family === 6 ? 128 : 32;
  const prefixOk = bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= max);
  if (family !== 0 && prefixOk && extra === undefined) return null;
  const why =
    family !== 0 && !prefixOk ? ` (the number after / must be 0 to ${max} for an IPv${family} network)` : '';
  return `${quoted(item)} is not a network${why}. Write an address like 192.168.1.10 or a network like 192.168.1.0/24`;
}

/** A DNS server address with an optional port (1.1.1.1, 1.1.1.1:53 or 2606:4700::1111). */
export function serverAddress(item: string): string | null {
  if (isIP(item) !== 0 || isIP(item.replace(/:\d+$/, '')) !== 0) return null;
  return `${quoted(item)} is not an IP address. Write a DNS server's address like 1.1.1.1 or 9.9.9.9 (a name cannot be looked up before DNS works)`;
}

const UPSTREAM_EXAMPLES = 'https://dns.quad9.net/dns-query, tls://1.1.1.1:853 or udp://192.168.1.1:53';

/** One upstream resolver URL: udp://, tcp://, tls:// or https://…/dns-query. */
export function upstreamUrl(item: string): string | null {
  const text = item;
  if (/^(udp|tcp|tls|https):\/\/./.test(text)) return null;
  // A bare address is the commonest slip: say exactly what to write for it.
  const bare = isIP(text) === 4 ? `udp://${text}:53` : isIP(text) === 6 ? `udp://[${text}]:53` : null;
  if (bare !== null)
    return `${quoted(item)} needs to say how to reach it. Write ${bare} (or tls:// or https:// for encrypted DNS)`;
  return `${quoted(item)} must start with udp://, tcp://, tls:// or https://. Write one like ${UPSTREAM_EXAMPLES}`;
}

/** The upstream list must not be empty: DNS could answer nothing but blocks. */
export function someUpstream(value: unknown): string | null {
  return Array.isArray(value) && value.length === 0
    ? `no upstream resolver is set, so no name could be looked up. Write at least one, like ${UPSTREAM_EXAMPLES}`
    : null;
}

const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;

/** A domain name of at least two labels, or empty (off). */
export function domainNameOrEmpty(value: unknown): string | null {
  const text = String(value);
  return text === '' || DOMAIN.test(text)
    ? null
    : `${quoted(value)} is not a domain name (letters, digits and hyphens, at least two labels). Write one like dns.example.org, or leave it empty`;
}

/** An IP address or empty (off). */
export function ipAddressOrEmpty(example: string): (value: unknown) => string | null {
  const check = ipAddress(0, example);
  return (value) => {
    if (value === '') return null;
    const problem = check(String(value));
    return problem === null ? null : `${problem}, or leave it empty`;
  };
}

/** Upper bound on `dns.workers`: more DNS threads than this only add context switches and memory. */
export const MAX_DNS_WORKERS = 64;

/** `dns.workers`: "auto" or a whole number from 1 to MAX_DNS_WORKERS. */
export function dnsWorkers(value: unknown): string | null {
  if (value === 'auto') return null;
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : NaN;
  if (Number.isInteger(n) && n >= 1 && n <= MAX_DNS_WORKERS) return null;
  return `expected "auto" (one per core) or a whole number from 1 to ${MAX_DNS_WORKERS}. Write workers: auto or workers: 2`;
}
