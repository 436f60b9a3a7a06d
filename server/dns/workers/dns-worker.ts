/**
 * One DNS worker thread (started by dns-workers.ts when `dns.workers` > 1): its own UDP socket on the
 * shared port (SO_REUSEPORT: the kernel spreads clients over the sockets by address and port) and, where
 * this Node or the addon can share a TCP port (tcp-port-sharing.ts), its own TCP listener there too; its own
 * Pipeline, cache, upstream pool and counters, its own ring into the one log writer thread, and a
 * PolicyEngine kept equal to the main thread's (policy-feed.ts). Nothing here touches a database: devices
 * come from the main thread (device-mirror.ts), the log goes through the ring.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Config } from '../../config/schema.js';
import { PolicyEngine } from '../../filter/policy-engine.js';
import type { LogLevel } from '../../config/schema.js';
import { createLogger } from '../../logger.js';
import { type QueueMemory, QueryQueue } from '../../store/query-queue.js';
import { DnsCache } from '../cache.js';
import { Pipeline } from '../pipeline.js';
import { DnsStats } from '../stats.js';
import type { TcpPortSharing } from '../tcp-port-sharing.js';
import { type TcpServer, startTcpServer } from '../tcp-server.js';
import { startUdpServer } from '../udp-server.js';
import { LiveUpstreamPool } from '../upstream/live-pool.js';
import { createUpstreamPool } from '../upstream/pool.js';
import { DeviceMirror, type DeviceRequest, SEEN_EVERY_MS } from './device-mirror.js';
import { type PolicyCall, applyPolicyCall } from './policy-feed.js';

export interface DnsWorkerInit {
  /** 1-based: the main thread is DNS thread 0. */
  index: number;
  config: Config['dns'];
  /** The port the main thread bound (config.dns.port may be 0). */
  port: number;
  /** How this thread shares the port for TCP too (the main thread's listener does the same), or null: UDP only. */
  tcpSharing: TcpPortSharing;
  ring: QueueMemory;
  deviceChannel: SharedArrayBuffer;
  policy: PolicyCall[];
  logLevel: LogLevel;
}

export type ToDnsWorker =
  | { type: 'policy'; call: PolicyCall }
  | { type: 'reconfigure'; config: Config['dns'] }
  | { type: 'clear-cache' }
  | { type: 'devices'; pairs: Array<[string, number]> }
  | { type: 'close' }
  /** Tests only (DnsWorkers.crashForTests): an uncaught error, as a bug would throw; a loop that never yields. */
  | { type: 'crash-for-tests' }
  | { type: 'hang-for-tests' };

/** Counters the main thread adds into DnsServer.stats (a DnsStats, cloned). */
export type FromDnsWorker =
  | { type: 'ready' }
  | { type: 'failed'; message: string }
  | { type: 'stats'; stats: DnsStats }
  | { type: 'seen'; addresses: string[] }
  | DeviceRequest
  | { type: 'closed' };

const UPSTREAM_KEYS = ['upstreams', 'strategy', 'upstreamTimeoutMs', 'bootstrap'] as const;

async function run(port: NonNullable<typeof parentPort>, init: DnsWorkerInit): Promise<void> {
  const post = (message: FromDnsWorker): void => port.postMessage(message);
  const logger = createLogger(init.logLevel).child({ dnsWorker: init.index });
  const policy = new PolicyEngine();
  for (const call of init.policy) applyPolicyCall(policy, call);
  const devices = new DeviceMirror(init.deviceChannel, post);
  let config = init.config;
  const makeUpstreams = (dns: Config['dns']) =>
    createUpstreamPool({
      urls: dns.upstreams,
      strategy: dns.strategy,
      timeoutMs: dns.upstreamTimeoutMs,
      bootstrap: dns.bootstrap,
      logger,
    });
  const upstreams = new LiveUpstreamPool(makeUpstreams(config));
  const stats = new DnsStats();
  const cache = new DnsCache(config.cache);
  const log = new QueryQueue(init.ring);
  const pipeline = new Pipeline({ config, policy, devices, log, upstreams, logger, stats, cache });

  const reconfigure = (before: Config['dns'], next: Config['dns']): Config['dns'] => {
    pipeline.reconfigure(next);
    if (UPSTREAM_KEYS.some((key) => JSON.stringify(before[key]) !== JSON.stringify(next[key]))) {
      upstreams.replace(makeUpstreams(next), next.upstreamTimeoutMs * 2 + 1000);
      cache.clear();
    }
    return next;
  };

  // Messages first: policy changes made while the socket binds must not be lost.
  let closing = false;
  let close: (() => Promise<void>) | null = null;
  port.on('message', (message: ToDnsWorker) => {
    switch (message.type) {
      case 'policy':
        applyPolicyCall(policy, message.call);
        break;
      case 'reconfigure':
        try {
          config = reconfigure(config, message.config);
        } catch (error) {
          // The main thread refused it too (its reconfigure runs first): keep the last good settings.
          logger.warn({ err: error }, 'DNS worker kept its settings');
        }
        break;
      case 'clear-cache':
        cache.clear();
        break;
      case 'devices':
        devices.learn(message.pairs);
        break;
      case 'close':
        closing = true;
        void close?.();
        break;
      case 'crash-for-tests':
        setImmediate(() => {
          throw new Error('crash asked by a test');
        });
        break;
      case 'hang-for-tests':
        // Stuck on purpose, until the main thread's watchdog terminates it.
        for (;;);
    }
  });

  const udp = await startUdpServer({ bind: config.bind, port: init.port, pipeline, logger, reusePort: true });
  let tcp: TcpServer | null = null;
  if (init.tcpSharing !== null) {
    try {
      // The TCP limits a thread starts with stay until a restart, as the main thread's do.
      tcp = await startTcpServer({
        bind: config.bind,
        port: init.port,
        pipeline,
        limits: config,
        logger,
        stats,
        sharePort: init.tcpSharing,
      });
    } catch (error) {
      await udp.close();
      throw error;
    }
  }
  const report = (): void => {
    stats.cacheSize = cache.size;
    stats.cacheHits = cache.hits;
    stats.cacheMisses = cache.misses;
    stats.cacheEvictions = cache.evictions;
    post({ type: 'stats', stats });
    const addresses = devices.takeSeen();
    if (addresses.length > 0) post({ type: 'seen', addresses });
  };
  const timer = setInterval(report, SEEN_EVERY_MS);
  close = async (): Promise<void> => {
    close = null; // once
    clearInterval(timer);
    await Promise.all([udp.close(), tcp?.close()]);
    report();
    await upstreams.close();
    post({ type: 'closed' });
    port.close();
  };
  post({ type: 'ready' });
  if (closing) await close();
}

if (parentPort !== null) {
  const port = parentPort;
  run(port, workerData as DnsWorkerInit).catch((error: unknown) => {
    port.postMessage({ type: 'failed', message: (error as Error).message } satisfies FromDnsWorker);
  });
}
