/**
 * The main thread's side of the DNS worker threads (dns-worker.ts): starts `count - 1` of them on the
 * port the main thread already bound with SO_REUSEPORT, keeps their policy equal to the main thread's
 * (PolicyFeed), answers their device look-ups from the DeviceRegistry, gives each its own ring into the
 * one log writer, passes on settings changes and cache clears, and adds their counters into DnsStats.
 */
import { Worker } from 'node:worker_threads';
import type { Config } from '../../config/schema.js';
import type { DeviceResolver } from '../../events/device-resolver.js';
import type { Logger } from '../../logger.js';
import type { QueueMemory } from '../../store/query-queue.js';
import { workerEntry } from '../../worker-entry.js';
import { LONG_LIVED_WORKER_LIMITS } from '../../worker-limits.js';
import type { DnsStats } from '../stats.js';
import { DEVICE_CHANNEL_BYTES, answerDeviceRequest } from './device-mirror.js';
import type { DnsWorkerInit, FromDnsWorker, ToDnsWorker } from './dns-worker.js';
import type { PolicyFeed } from './policy-feed.js';

export interface DnsWorkersOptions {
  /** DNS threads in all, the main thread included (worker-count.ts planWorkers). */
  count: number;
  policyFeed: PolicyFeed;
  /** A new ring into the query log writer for one worker (QueryLog.addRing). */
  addLogRing: () => QueueMemory;
}

interface Thread {
  worker: Worker;
  channel: Int32Array;
  stats: DnsStats | null;
  closed: Promise<void>;
}

/** How long a worker may take to build its policy and bind before start-up gives up on it. */
const START_TIMEOUT_MS = 30_000;

export class DnsWorkers {
  private readonly threads: Thread[] = [];
  private unsubscribe: (() => void) | null = null;

  private constructor(
    private readonly devices: DeviceResolver,
    private readonly logger: Logger,
  ) {}

  static async start(
    options: DnsWorkersOptions & {
      config: Config['dns'];
      port: number;
      devices: DeviceResolver;
      logger: Logger;
    },
  ): Promise<DnsWorkers> {
    const pool = new DnsWorkers(options.devices, options.logger);
    // Subscribed before the snapshot is taken, so no change falls between the two.
    pool.unsubscribe = options.policyFeed.subscribe((call) => pool.broadcast({ type: 'policy', call }));
    const started: Promise<void>[] = [];
    for (let index = 1; index < options.count; index++) {
      const init: DnsWorkerInit = {
        index,
        config: options.config,
        port: options.port,
        ring: options.addLogRing(),
        deviceChannel: new SharedArrayBuffer(DEVICE_CHANNEL_BYTES),
        policy: options.policyFeed.snapshot(),
        logLevel: options.logger.level as DnsWorkerInit['logLevel'],
      };
      started.push(pool.spawn(init));
    }
    try {
      await Promise.all(started);
    } catch (error) {
      await pool.close();
      throw error;
    }
    return pool;
  }

  /** DNS threads answering, the main thread included. */
  get count(): number {
    return this.threads.length + 1;
  }

  /** Queries each worker thread answered, as last reported (about once a second). */
  queriesPerWorker(): number[] {
    return this.threads.map((thread) => thread.stats?.queries ?? 0);
  }

  /** Adds the workers' last reported counters to `into` (the main thread's own, copied). */
  addStats(into: DnsStats): void {
    for (const { stats } of this.threads) if (stats !== null) addInto(into, stats);
  }

  reconfigure(config: Config['dns']): void {
    this.broadcast({ type: 'reconfigure', config });
  }

  clearCache(): void {
    this.broadcast({ type: 'clear-cache' });
  }

  async close(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.broadcast({ type: 'close' });
    await Promise.all(this.threads.map((thread) => thread.closed));
  }

  private broadcast(message: ToDnsWorker): void {
    for (const { worker } of this.threads) worker.postMessage(message);
  }

  private spawn(init: DnsWorkerInit): Promise<void> {
    const worker = new Worker(workerEntry(import.meta.url, 'dns-worker'), {
      workerData: init,
      resourceLimits: LONG_LIVED_WORKER_LIMITS,
    });
    const thread: Thread = {
      worker,
      channel: new Int32Array(init.deviceChannel),
      stats: null,
      closed: new Promise((resolve) => worker.once('exit', () => resolve())),
    };
    this.threads.push(thread);
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`DNS worker ${init.index} did not start within ${START_TIMEOUT_MS / 1000} s`));
      }, START_TIMEOUT_MS);
      const settle = (error: Error | null): void => {
        clearTimeout(timer);
        if (error === null) resolve();
        else reject(error);
      };
      worker.on('error', (error) => {
        this.logger.error({ err: error, dnsWorker: init.index }, 'DNS worker thread failed');
        settle(error);
      });
      worker.on('exit', () => settle(new Error(`DNS worker ${init.index} exited during start-up`)));
      worker.on('message', (message: FromDnsWorker) => {
        switch (message.type) {
          case 'ready':
            settle(null);
            break;
          case 'failed':
            settle(new Error(`DNS worker ${init.index}: ${message.message}`));
            break;
          case 'stats':
            thread.stats = message.stats;
            break;
          case 'device': {
            const id = this.deviceIdFor(message.address);
            answerDeviceRequest(thread.channel, message.request, id);
            // The other workers learn it too: their first query from this address need not wait.
            for (const other of this.threads)
              if (other !== thread)
                other.worker.postMessage({ type: 'devices', pairs: [[message.address, id]] });
            break;
          }
          case 'seen':
            // Marks them seen in the registry and sends their ids again (merges, re-identification).
            worker.postMessage({
              type: 'devices',
              pairs: message.addresses.map((address) => [address, this.deviceIdFor(address)]),
            } satisfies ToDnsWorker);
            break;
          case 'closed':
            break;
        }
      });
    });
  }

  private deviceIdFor(address: string): number {
    try {
      return this.devices.deviceIdFor(address);
    } catch (error) {
      this.logger.warn({ err: error, address }, 'device look-up for a DNS worker failed');
      return 0;
    }
  }
}

/** Sums every counter of `from` into `into` (DnsStats fields are numbers and Float64Arrays). */
function addInto(into: DnsStats, from: DnsStats): void {
  const target = into as unknown as Record<string, number | Float64Array>;
  for (const [key, value] of Object.entries(from) as Array<[string, number | Float64Array]>) {
    const mine = target[key];
    if (typeof value === 'number' && typeof mine === 'number') target[key] = mine + value;
    else if (value instanceof Float64Array && mine instanceof Float64Array)
      for (let i = 0; i < value.length && i < mine.length; i++) mine[i]! += value[i]!;
  }
}
