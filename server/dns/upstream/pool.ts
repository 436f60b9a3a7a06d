/**
 * The upstream pool: turns configured upstream URLs into transports and answers `resolve()` by the
 * configured strategy.
 *
 * - `parallel`: ask every available upstream at once; the first useful answer wins. SERVFAIL/REFUSED
 *   is not a win while another upstream may still answer; it is returned only when nothing better came.
 * - `failover`: ask in configured order; on error, timeout or SERVFAIL/REFUSED go on to the next.
 *
 * Identical questions in flight (name, type, class, DO bit) share one exchange; every caller gets its
 * own copy with its own ID. Upstreams that keep failing are skipped for a growing while (health.ts)
 * and come back when they answer again. One overall deadline bounds every resolve().
 */
import net from 'node:net';
import type { UpstreamStrategy } from '../../config/schema.js';
import type { Logger } from '../../logger.js';
import { createBootstrapResolver } from './bootstrap.js';
import { DohClient } from './doh-client.js';
import { createDotClient } from './dot-client.js';
import type { HealthOptions } from './health.js';
import { UpstreamHealth } from './health.js';
import { createTcpClient } from './tcp-client.js';
import type { UpstreamTransport } from './transport.js';
import { TransportClosedError, UpstreamTimeoutError } from './transport.js';
import type { UpstreamAnswer, UpstreamPool } from './types.js';
import { UpstreamError } from './types.js';
import { UdpClient } from './udp-client.js';
import type { UpstreamStats } from './upstream-stats.js';
import { newUpstreamStats, recordLatency } from './upstream-stats.js';
import type { UpstreamEndpoint } from './upstream-url.js';
import { UpstreamUrlError, parseUpstreamUrl } from './upstream-url.js';
import { RCODE_REFUSED, RCODE_SERVFAIL, questionEnd, rcodeOf, readId, withId } from './wire.js';

export interface UpstreamPoolOptions {
  urls: string[];
  strategy: UpstreamStrategy;
  /** How long one upstream may take (config dns.upstreamTimeoutMs). */
  timeoutMs: number;
  /** Plain-DNS servers for the host names of DoH/DoT upstreams (config dns.bootstrap). */
  bootstrap: string[];
  logger: Logger;
  /** Extra trusted CA certificates (PEM) for DoH/DoT, added to Node's store (tests, private resolvers). */
  ca?: string | string[];
  /** Bound on one resolve(); default timeoutMs (parallel) or 2 × timeoutMs (failover, 2+ upstreams). */
  overallTimeoutMs?: number;
  health?: HealthOptions;
  /** UDP sockets (random source ports) per upstream. */
  udpSockets?: number;
  /** Queries per UDP socket before it is replaced by one on a new random port. */
  udpQueriesPerSocket?: number;
}

export interface UpstreamPoolStats {
  /** resolve() calls answered by joining an identical question already in flight. */
  coalesced: number;
  /** Distinct questions waiting upstream right now. */
  inFlight: number;
  /** resolve() calls that rejected (every upstream failed or the deadline passed). */
  failures: number;
}

export interface ManagedUpstreamPool extends UpstreamPool {
  stats(): UpstreamStats[];
  poolStats(): UpstreamPoolStats;
}

interface Upstream {
  id: number;
  endpoint: UpstreamEndpoint;
  transport: UpstreamTransport;
  stats: UpstreamStats;
  health: UpstreamHealth;
}

interface SharedAnswer {
  packet: Buffer;
  upstreamId: number;
}

const PROTOCOL_NAMES = { udp: 'UDP', tcp: 'TCP', tls: 'DoT', https: 'DoH' } as const;

export function createUpstreamPool(options: UpstreamPoolOptions): ManagedUpstreamPool {
  if (options.urls.length === 0)
    throw new UpstreamUrlError('', 'dns.upstreams is empty: configure at least one upstream');
  if (options.strategy !== 'parallel' && options.strategy !== 'failover') {
    throw new Error(`dns.strategy "${String(options.strategy)}": must be "parallel" or "failover"`);
  }
  const endpoints = options.urls.map(parseUpstreamUrl);
  const resolver = createBootstrapResolver({ servers: options.bootstrap, timeoutMs: options.timeoutMs });
  const { logger } = options;

  const upstreams: Upstream[] = endpoints.map((endpoint, index) => {
    const stats = newUpstreamStats(index + 1, endpoint.url, endpoint.protocol);
    const onMismatch = () => {
      stats.mismatched++;
    };
    const label = endpoint.url;
    const common = { host: endpoint.host, port: endpoint.port, label, resolver, onMismatch };
    let transport: UpstreamTransport;
    switch (endpoint.protocol) {
      case 'udp':
        if (!net.isIP(endpoint.host)) {
          throw new UpstreamUrlError(
            endpoint.url,
            'a udp:// upstream needs an IP address (host names need tls:// or https://)',
          );
        }
        transport = new UdpClient({
          ...common,
          sockets: options.udpSockets,
          queriesPerSocket: options.udpQueriesPerSocket,
          tcpFallback: () => createTcpClient(common),
        });
        break;
      case 'tcp':
        transport = createTcpClient(common);
        break;
      case 'tls':
        transport = createDotClient({ ...common, ca: options.ca });
        break;
      case 'https':
        transport = new DohClient({ ...common, path: endpoint.path, ca: options.ca });
        break;
    }
    return { id: index + 1, endpoint, transport, stats, health: new UpstreamHealth(options.health) };
  });

  const overallTimeoutMs =
    options.overallTimeoutMs ??
    (options.strategy === 'failover' ? options.timeoutMs * Math.min(2, upstreams.length) : options.timeoutMs);
  const inFlight = new Map<string, Promise<SharedAnswer>>();
  const poolStats: UpstreamPoolStats = { coalesced: 0, inFlight: 0, failures: 0 };
  let closed = false;

  /** One exchange with one upstream, with stats and health kept. */
  async function ask(upstream: Upstream, query: Buffer, timeoutMs: number): Promise<Buffer> {
    const { stats, health } = upstream;
    stats.queries++;
    const started = performance.now();
    try {
      const answer = await upstream.transport.exchange(query, timeoutMs);
      stats.answers++;
      recordLatency(stats, performance.now() - started);
      const rcode = rcodeOf(answer);
      if (rcode === RCODE_SERVFAIL || rcode === RCODE_REFUSED) stats.failureRcodes++;
      if (!health.healthy) logger.info({ upstream: upstream.endpoint.url }, 'upstream answers again');
      health.recordSuccess();
      stats.healthy = true;
      stats.consecutiveFailures = 0;
      return answer;
    } catch (error) {
      if (!(error instanceof TransportClosedError)) {
        if (error instanceof UpstreamTimeoutError) stats.timeouts++;
        else stats.errors++;
        stats.lastError = (error as Error).message;
        const wasHealthy = health.healthy;
        health.recordFailure(Date.now());
        stats.healthy = health.healthy;
        stats.consecutiveFailures = health.consecutiveFailures;
        if (wasHealthy && !health.healthy) {
          logger.warn(
            { upstream: upstream.endpoint.url, error: stats.lastError },
            'upstream failing; backing off',
          );
        }
      }
      throw error;
    }
  }

  /** Healthy upstreams first (configured order), those in back-off after them. */
  function ordered(): { available: Upstream[]; resting: Upstream[] } {
    const now = Date.now();
    const available: Upstream[] = [];
    const resting: Upstream[] = [];
    for (const u of upstreams) (u.health.isAvailable(now) ? available : resting).push(u);
    return { available, resting };
  }

  function parallel(query: Buffer): Promise<SharedAnswer> {
    const { available, resting } = ordered();
    const deadline = Date.now() + overallTimeoutMs;
    return new Promise<SharedAnswer>((resolve, reject) => {
      let settled = false;
      let outstanding = 0;
      let restingAsked = false;
      const waiting = new Set<Upstream>();
      let fallback: SharedAnswer | null = null;
      const causes: Error[] = [];
      const timer = setTimeout(() => {
        for (const upstream of waiting)
          causes.push(new UpstreamTimeoutError(upstream.endpoint.url, overallTimeoutMs));
        settle(null, new UpstreamError(`no upstream answered within ${overallTimeoutMs} ms`, causes));
      }, overallTimeoutMs);
      function settle(answer: SharedAnswer | null, error?: Error): void {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (answer) resolve(answer);
        else reject(error);
      }
      function done(): void {
        if (--outstanding > 0 || settled) return;
        // No useful answer from the healthy upstreams: the ones in back-off may be back, so try them too.
        if (!restingAsked && resting.length > 0 && deadline - Date.now() > 0) return launch(resting);
        if (fallback) settle(fallback);
        else settle(null, new UpstreamError('every upstream failed', causes));
      }
      function launch(group: Upstream[]): void {
        if (group === resting) restingAsked = true;
        const perUpstream = Math.max(1, Math.min(options.timeoutMs, deadline - Date.now()));
        outstanding += group.length;
        for (const upstream of group) {
          waiting.add(upstream);
          ask(upstream, query, perUpstream).then(
            (packet) => {
              waiting.delete(upstream);
              const rcode = rcodeOf(packet);
              if (rcode === RCODE_SERVFAIL || rcode === RCODE_REFUSED)
                fallback ??= { packet, upstreamId: upstream.id };
              else settle({ packet, upstreamId: upstream.id });
              done();
            },
            (error: Error) => {
              waiting.delete(upstream);
              if (!settled) causes.push(error);
              done();
            },
          );
        }
      }
      // Everything in back-off: ask them all at once rather than fail without trying.
      launch(available.length > 0 ? available : resting);
    });
  }

  async function failover(query: Buffer): Promise<SharedAnswer> {
    const deadline = Date.now() + overallTimeoutMs;
    const { available, resting } = ordered();
    const causes: Error[] = [];
    let fallback: SharedAnswer | null = null;
    for (const upstream of [...available, ...resting]) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) break;
      try {
        const packet = await ask(upstream, query, Math.min(options.timeoutMs, remaining));
        const rcode = rcodeOf(packet);
        if (rcode !== RCODE_SERVFAIL && rcode !== RCODE_REFUSED) return { packet, upstreamId: upstream.id };
        fallback ??= { packet, upstreamId: upstream.id };
      } catch (error) {
        causes.push(error as Error);
        if (closed) break;
      }
    }
    if (fallback) return fallback;
    throw new UpstreamError(
      Date.now() >= deadline ? `no upstream answered within ${overallTimeoutMs} ms` : 'every upstream failed',
      causes,
    );
  }

  return {
    resolve(query: Buffer, name: string, qtype: number, dnssecOk: boolean): Promise<UpstreamAnswer> {
      if (closed) return Promise.reject(new UpstreamError('upstream pool is closed'));
      const qEnd = questionEnd(query);
      if (qEnd < 0)
        return Promise.reject(new UpstreamError('query has no single valid question; not forwarded'));
      const qclass = query.readUInt16BE(qEnd - 2);
      const key = `${name.toLowerCase()}|${qtype}|${qclass}|${dnssecOk ? 1 : 0}`;
      const callerId = readId(query);
      let shared = inFlight.get(key);
      if (shared) {
        poolStats.coalesced++;
      } else {
        shared = (options.strategy === 'parallel' ? parallel(query) : failover(query)).finally(() => {
          inFlight.delete(key);
          poolStats.inFlight = inFlight.size;
        });
        inFlight.set(key, shared);
        poolStats.inFlight = inFlight.size;
        shared.catch(() => {
          poolStats.failures++;
        });
      }
      // Each caller gets its own copy: the pipeline may rewrite IDs or TTLs in place.
      return shared.then((answer) => ({
        packet: withId(answer.packet, callerId),
        upstreamId: answer.upstreamId,
      }));
    },

    describe(): string[] {
      return upstreams.map((u) => {
        const via = net.isIP(u.endpoint.host)
          ? ''
          : `, resolved via bootstrap ${options.bootstrap.join(', ') || '(none)'}`;
        return `${u.endpoint.url} (${PROTOCOL_NAMES[u.endpoint.protocol]}, ${options.strategy}${via})`;
      });
    },

    stats(): UpstreamStats[] {
      return upstreams.map((u) => u.stats);
    },

    poolStats(): UpstreamPoolStats {
      return poolStats;
    },

    async close(): Promise<void> {
      closed = true;
      resolver.cancel();
      await Promise.all(upstreams.map((u) => u.transport.close()));
    },
  };
}
