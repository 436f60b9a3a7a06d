/**
 * The DNS engine's entry point: builds the pipeline (cache, stages) and listens on UDP and TCP on the
 * same port. `answer()` runs the same pipeline for DNS-over-HTTPS (the API's DoH route calls it).
 * `reconfigure()` applies changed settings (blocking answers, access control, canaries, rate limits)
 * without a restart: the sockets, the cache and the counters stay.
 *
 * With `workers` (dns.workers > 1 on a Node with UDP reusePort) more threads answer UDP on the same port,
 * each with its own pipeline (workers/dns-workers.ts), and TCP too where a TCP port can be shared
 * (tcp-port-sharing.ts: Node ≥ 22.12, or the native addon); this thread stays DNS thread 0 and keeps DoT and
 * DoH. Their counters are added into `stats`; reconfigure() and clearCache() reach them too.
 */
import type { AddressInfo } from 'node:net';
import type { Config } from '../config/schema.js';
import type { DeviceResolver } from '../events/device-resolver.js';
import type { Protocol, QueryLogSink } from '../events/query-event.js';
import type { Policy } from '../filter/verdict.js';
import type { Logger } from '../logger.js';
import { DnsCache } from './cache.js';
import { PENDING, Pipeline, type Responder } from './pipeline.js';
import type { RefusedNetworks } from './stages/refused-networks.js';
import { DnsStats } from './stats.js';
import {
  type ClientIdResolver,
  type StreamHandler,
  type TcpServer,
  createStreamHandler,
  startTcpServer,
} from './tcp-server.js';
import { tcpPortSharing } from './tcp-port-sharing.js';
import { type UdpServer, startUdpServer } from './udp-server.js';
import type { UpstreamPool } from './upstream/types.js';
import { DnsWorkers, type DnsWorkersHealth, type DnsWorkersOptions } from './workers/dns-workers.js';

export interface DnsServerOptions {
  config: Config['dns'];
  policy: Policy;
  devices: DeviceResolver;
  log: QueryLogSink;
  upstreams: UpstreamPool;
  logger: Logger;
  /** More DNS threads on the same UDP port (count > 1; see workers/worker-count.ts). */
  workers?: DnsWorkersOptions;
}

export interface DnsServer {
  udpAddress: AddressInfo;
  tcpAddress: AddressInfo;
  /**
   * Answers one wire query as if it came from `clientAddress` (DoH); null = no answer (dropped).
   * `deviceId` ≥ 0: the device is known already (a ClientID in the DoH path), not looked up by address.
   */
  answer(query: Buffer, clientAddress: string, protocol: Protocol, deviceId?: number): Promise<Buffer | null>;
  /** Whether DNS access control lets this address ask (DoH: may an unknown ClientID become a device). */
  allows(clientAddress: string): boolean;
  /** DNS over stream sockets accepted elsewhere (DNS-over-TLS: dot-server.ts), with TCP's framing and limits. */
  streamHandler(protocol: Protocol, clientIds: ClientIdResolver): StreamHandler;
  /** Threads answering UDP (1 + DNS worker threads running now). */
  readonly threads: number;
  /** With DNS worker threads: how many run, restarts so far, and those down now (/api/health, /metrics). */
  workerHealth(): DnsWorkersHealth | null;
  /** UDP and TCP queries per thread, this one first (workers' as last reported, about once a second). */
  queriesPerThread(): number[];
  /** Plain counters of every DNS thread, cache figures refreshed on each read. */
  readonly stats: DnsStats;
  /** Networks whose queries access control refused (the dashboard offers to allow them). */
  readonly refusedNetworks: RefusedNetworks;
  clearCache(): void;
  /**
   * Rebuilds the stages that precompute from config.dns (sinkhole answers, access lists, canary names,
   * rate limits) in place: see Pipeline.reconfigure().
   */
  reconfigure(config: Config['dns']): void;
  /**
   * DNS settings changed live (any dns.* key; this thread's pool and stages are the caller's to update):
   * DNS worker threads take them all again, rebuilding their upstream pool when the upstream keys changed.
   */
  followSettings(config: Config['dns']): void;
  close(): Promise<void>;
}

/** With port 0 UDP picks a free port and TCP must get the same one; retry if TCP finds it taken. */
const RANDOM_PORT_ATTEMPTS = 10;

type Settle = (answer: Buffer | null) => void;
const promiseResponder: Responder<Settle> = {
  respond(answer, settle) {
    settle(answer);
  },
};

export async function startDnsServer(opts: DnsServerOptions): Promise<DnsServer> {
  const { config, logger } = opts;
  const stats = new DnsStats();
  const cache = new DnsCache(config.cache);
  const pipeline = new Pipeline({ ...opts, stats, cache });

  const reusePort = (opts.workers?.count ?? 1) > 1;
  // Every TCP listener on the port must share it, this thread's first: decided once, before binding.
  const tcpSharing = reusePort ? tcpPortSharing() : null;
  let udpServer: UdpServer;
  let tcpServer: TcpServer;
  for (let attempt = 0; ; attempt++) {
    const udp = await startUdpServer({ bind: config.bind, port: config.port, pipeline, logger, reusePort });
    try {
      tcpServer = await startTcpServer({
        bind: config.bind,
        port: udp.address.port,
        pipeline,
        limits: config,
        logger,
        stats,
        ...(tcpSharing === null ? {} : { sharePort: tcpSharing }),
      });
      udpServer = udp;
      break;
    } catch (error) {
      await udp.close();
      const inUse = ((error as Error).cause as NodeJS.ErrnoException | undefined)?.code === 'EADDRINUSE';
      if (config.port !== 0 || !inUse || attempt + 1 >= RANDOM_PORT_ATTEMPTS) throw error;
    }
  }

  let workers: DnsWorkers | null = null;
  if (opts.workers !== undefined && reusePort) {
    try {
      workers = await DnsWorkers.start({
        ...opts.workers,
        config,
        port: udpServer.address.port,
        tcpSharing,
        devices: opts.devices,
        logger,
      });
      const what = tcpSharing === null ? 'UDP (TCP on 1)' : 'UDP and TCP';
      logger.info({ threads: workers.count }, `DNS answers ${what} on ${workers.count} threads`);
    } catch (error) {
      // One thread still answers everything: start-up goes on, saying why the others are missing.
      logger.error({ err: error }, 'DNS worker threads did not start: DNS answers on 1 thread');
    }
  }
  const server: DnsServer = {
    udpAddress: udpServer.address,
    get threads() {
      return workers?.count ?? 1;
    },
    workerHealth: () => workers?.health() ?? null,
    queriesPerThread: () => [stats.queries, ...(workers?.queriesPerWorker() ?? [])],
    tcpAddress: tcpServer.address,
    answer(query, clientAddress, protocol, deviceId = -1) {
      return new Promise<Buffer | null>((resolve) => {
        const result = pipeline.handle(query, clientAddress, protocol, promiseResponder, resolve, deviceId);
        if (result !== PENDING) resolve(result);
      });
    },
    allows: (clientAddress) => pipeline.allows(clientAddress),
    streamHandler: (protocol, clientIds) =>
      createStreamHandler({ pipeline, limits: config, logger, stats, protocol, clientIds }),
    get stats() {
      stats.cacheSize = cache.size;
      stats.cacheHits = cache.hits;
      stats.cacheMisses = cache.misses;
      stats.cacheEvictions = cache.evictions;
      if (workers === null) return stats;
      const all = Object.assign(new DnsStats(), structuredClone(stats));
      workers.addStats(all);
      return all;
    },
    refusedNetworks: pipeline.refused,
    clearCache: () => {
      cache.clear();
      workers?.clearCache();
    },
    reconfigure: (dns) => {
      pipeline.reconfigure(dns); // throws on a bad value before any worker hears of it
      workers?.reconfigure(dns);
    },
    followSettings: (dns) => workers?.reconfigure(dns),
    async close() {
      await Promise.all([udpServer.close(), tcpServer.close(), workers?.close()]);
    },
  };
  if (workers !== null) workersOf.set(server, workers);
  return server;
}

const workersOf = new WeakMap<DnsServer, DnsWorkers>();

/** Tests only: the worker threads behind a DnsServer, to stop one as a crash would (DnsWorkers.crashForTests). */
export function workerThreadsForTests(server: DnsServer): DnsWorkers | null {
  return workersOf.get(server) ?? null;
}
