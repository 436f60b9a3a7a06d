/**
 * Parses one configured upstream: `udp://host[:port]`, `tcp://host[:port]`, `tls://host[:port]`,
 * `https://host[:port]/path`, or a bare `IP[:port]` (plain UDP, as other resolvers accept).
 */
import net from 'node:net';

export type UpstreamProtocol = 'udp' | 'tcp' | 'tls' | 'https';

export interface UpstreamEndpoint {
  protocol: UpstreamProtocol;
  /** Host name or IP (IPv6 without brackets). */
  host: string;
  port: number;
  /** HTTP path for https, else "". */
  path: string;
  /** The URL as configured, for messages and stats. */
  url: string;
}

const DEFAULT_PORTS: Record<UpstreamProtocol, number> = { udp: 53, tcp: 53, tls: 853, https: 443 };

export class UpstreamUrlError extends Error {
  constructor(url: string, problem: string) {
    super(`upstream "${url}": ${problem}`);
    this.name = 'UpstreamUrlError';
  }
}

export function parseUpstreamUrl(input: string): UpstreamEndpoint {
  const url = input.trim();
  if (url === '') throw new UpstreamUrlError(input, 'is empty');
  const bare = bareAddress(url);
  if (bare) return { protocol: 'udp', host: bare.host, port: bare.port ?? 53, path: '', url };
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UpstreamUrlError(
      url,
      'is not a URL (use udp://IP:53, tcp://IP:53, tls://host:853 or https://host/dns-query)',
    );
  }
  const protocol = parsed.protocol.replace(/:$/, '');
  if (!isProtocol(protocol)) {
    throw new UpstreamUrlError(
      url,
      `unsupported scheme "${protocol}:" (use udp://, tcp://, tls:// or https://)`,
    );
  }
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') throw new UpstreamUrlError(url, 'has no host');
  if (parsed.username || parsed.password) throw new UpstreamUrlError(url, 'must not contain credentials');
  const port = parsed.port === '' ? DEFAULT_PORTS[protocol] : Number(parsed.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new UpstreamUrlError(url, `bad port "${parsed.port}"`);
  if (protocol !== 'https' && parsed.pathname !== '' && parsed.pathname !== '/') {
    throw new UpstreamUrlError(url, `a ${protocol}:// upstream takes no path ("${parsed.pathname}")`);
  }
  const path =
    protocol === 'https' ? (parsed.pathname === '/' ? '/dns-query' : parsed.pathname) + parsed.search : '';
  return { protocol, host, port, path, url };
}

function isProtocol(value: string): value is UpstreamProtocol {
  return value === 'udp' || value === 'tcp' || value === 'tls' || value === 'https';
}

/** "192.0.2.1", "192.0.2.1:5353", "::1", "[::1]:5353". */
function bareAddress(url: string): { host: string; port?: number } | null {
  if (net.isIP(url)) return { host: url };
  const bracketed = /^\[([^\]]+)\]:(\d{1,5})$/.exec(url);
  if (bracketed && net.isIPv6(bracketed[1]!))
    return { host: bracketed[1]!, port: checkedPort(url, bracketed[2]!) };
  const v4 = /^([\d.]+):(\d{1,5})$/.exec(url);
  if (v4 && net.isIPv4(v4[1]!)) return { host: v4[1]!, port: checkedPort(url, v4[2]!) };
  return null;
}

function checkedPort(url: string, text: string): number {
  const port = Number(text);
  if (port < 1 || port > 65535) throw new UpstreamUrlError(url, `bad port "${text}"`);
  return port;
}

/**
 * For the config schema's `check` on dns.upstreams: the first problem found, or null. Lets a wrong URL
 * stop start-up with the key named, before any socket is opened.
 */
export function upstreamUrlsProblem(value: unknown): string | null {
  if (!Array.isArray(value)) return 'must be a list of upstream URLs';
  if (value.length === 0) return 'needs at least one upstream';
  for (const url of value) {
    try {
      const endpoint = parseUpstreamUrl(String(url));
      if (endpoint.protocol === 'udp' && !net.isIP(endpoint.host)) {
        return `upstream "${endpoint.url}": a udp:// upstream needs an IP address (host names need tls:// or https://)`;
      }
    } catch (error) {
      return (error as Error).message;
    }
  }
  return null;
}
