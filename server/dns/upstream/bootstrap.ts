/**
 * Resolves the host names of DoH/DoT upstreams through the configured plain-DNS bootstrap servers, never
 * through the system resolver (which may be tracksink itself: a chicken-and-egg loop at start-up).
 * Answers are cached for their TTL; when a refresh fails, the last known address is kept in use, so a
 * bootstrap server outage does not take the encrypted upstreams down with it.
 */
import { Resolver } from 'node:dns/promises';
import net from 'node:net';

export interface HostResolver {
  /** An IP address for `host` (returned unchanged when it already is one). */
  resolve(host: string): Promise<string>;
  /** Cancels lookups in flight (they reject); used when the pool closes. */
  cancel(): void;
}

export interface BootstrapOptions {
  /** Plain-DNS servers: "IP" or "IP:port" ("[IPv6]:port"). */
  servers: string[];
  timeoutMs?: number;
  /** Lower bound for the cache lifetime, so a TTL of 0 does not mean one lookup per connection. */
  minTtlSeconds?: number;
}

export class BootstrapConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BootstrapConfigError';
  }
}

interface CacheEntry {
  address: string;
  expiresAt: number;
}

export function createBootstrapResolver(options: BootstrapOptions): HostResolver {
  const servers = options.servers.map((server, index) => validateServer(server, index));
  let resolver: Resolver | null = null;
  const cache = new Map<string, CacheEntry>();
  const inFlight = new Map<string, Promise<string>>();
  const minTtlMs = (options.minTtlSeconds ?? 10) * 1000;

  function getResolver(): Resolver {
    if (!resolver) {
      resolver = new Resolver({ timeout: options.timeoutMs ?? 2000, tries: 2 });
      resolver.setServers(servers);
    }
    return resolver;
  }

  async function lookup(host: string): Promise<string> {
    if (servers.length === 0) {
      throw new BootstrapConfigError(
        `cannot resolve upstream host "${host}": dns.bootstrap lists no servers`,
      );
    }
    const r = getResolver();
    let records: { address: string; ttl: number }[] = [];
    try {
      records = await r.resolve4(host, { ttl: true });
    } catch (error) {
      if (!isNoData(error)) throw withHost(host, error);
    }
    if (records.length === 0) {
      try {
        records = await r.resolve6(host, { ttl: true });
      } catch (error) {
        throw withHost(host, error);
      }
    }
    const first = records[0];
    if (!first) throw new Error(`bootstrap: "${host}" has no A or AAAA record`);
    cache.set(host, { address: first.address, expiresAt: Date.now() + Math.max(minTtlMs, first.ttl * 1000) });
    return first.address;
  }

  return {
    cancel(): void {
      resolver?.cancel();
    },
    resolve(host: string): Promise<string> {
      const bare = host.replace(/^\[(.*)\]$/, '$1');
      if (net.isIP(bare)) return Promise.resolve(bare);
      const key = bare.toLowerCase();
      const cached = cache.get(key);
      if (cached && cached.expiresAt > Date.now()) return Promise.resolve(cached.address);
      let running = inFlight.get(key);
      if (!running) {
        running = lookup(key)
          .catch((error: unknown) => {
            // Keep using the expired address rather than failing: it most likely still works.
            if (cached) return cached.address;
            throw error;
          })
          .finally(() => inFlight.delete(key));
        inFlight.set(key, running);
      }
      return running;
    },
  };
}

function validateServer(server: string, index: number): string {
  const trimmed = server.trim();
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(trimmed);
  const v4WithPort = /^([^:]+)(?::(\d+))?$/.exec(trimmed);
  const [ip, port] = bracketed
    ? [bracketed[1]!, bracketed[2]]
    : net.isIPv6(trimmed)
      ? [trimmed, undefined]
      : v4WithPort
        ? [v4WithPort[1]!, v4WithPort[2]]
        : ['', undefined];
  if (!net.isIP(ip)) {
    throw new BootstrapConfigError(
      `dns.bootstrap[${index}] = "${server}": must be an IP address with an optional port (e.g. "1.1.1.1" or "[2606:4700::1111]:53"), not a host name`,
    );
  }
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) {
    throw new BootstrapConfigError(`dns.bootstrap[${index}] = "${server}": port must be 1-65535`);
  }
  return trimmed;
}

function isNoData(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return code === 'ENODATA' || code === 'ENOTFOUND';
}

function withHost(host: string, error: unknown): Error {
  const code = (error as { code?: string }).code ?? String(error);
  return new Error(`bootstrap: cannot resolve "${host}" (${code})`);
}
