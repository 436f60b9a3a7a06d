/**
 * The main thread's side of the DNS worker threads (dns-worker.ts): starts `count - 1` of them on the
 * port the main thread already bound with SO_REUSEPORT, keeps their policy equal to the main thread's
 * (PolicyFeed), answers their device look-ups from the DeviceRegistry, gives each its own ring into the
 * one log writer, passes on settings changes and cache clears, and adds their counters into DnsStats.
 *
 * A thread that stops after start-up (an uncaught error, out of memory, terminated) is restarted on the
 * same ring with the latest policy and settings, after a back-off (restart-backoff.ts: 1 s, doubling, capped
 * at a minute). Its socket left the port's SO_REUSEPORT group as the thread ended (the addon's cleanup hook,
 * or libuv's for dgram), so the kernel hashes its clients onto the other sockets meanwhile: only the
 * datagrams queued on the dead socket are lost, and clients retry. Why it stopped is logged; /api/health
 * says so while it is down and /metrics counts the restarts.
 */
import { Worker } from 'node:worker_threads';
import type { Config } from '../../config/schema.js';
import type { DeviceResolver } from '../../events/device-resolver.js';
import type { Logger } from '../../logger.js';
import type { QueueMemory } from '../../store/query-queue.js';
import { workerEntry } from '../../worker-entry.js';
import { LONG_LIVED_WORKER_LIMITS } from '../../worker-limits.js';
import { DnsStats } from '../stats.js';
import type { TcpPortSharing } from '../tcp-port-sharing.js';
import { DEVICE_CHANNEL_BYTES, answerDeviceRequest } from './device-mirror.js';
import type { DnsWorkerInit, FromDnsWorker, ToDnsWorker } from './dns-worker.js';
import type { PolicyFeed } from './policy-feed.js';
import { RestartBackoff } from './restart-backoff.js';

export interface DnsWorkersOptions {
  /** DNS threads in all, the main thread included (worker-count.ts planWorkers). */
  count: number;
  policyFeed: PolicyFeed;
  /** A new ring into the query log writer for one worker (QueryLog.addRing). */
  addLogRing: () => QueueMemory;
}

/** What dns-server.ts adds when it starts the threads: the port it bound and how they share it. */
type DnsWorkersStart = DnsWorkersOptions & {
  config: Config['dns'];
  port: number;
  /** Whether each thread listens for TCP on the port too (tcp-port-sharing.ts), or TCP stays on the main thread. */
  tcpSharing: TcpPortSharing;
  devices: DeviceResolver;
  logger: Logger;
};

/** What /api/health and /metrics say of the threads (DnsServer.workerHealth). */
export interface DnsWorkersHealth {
  /** DNS threads planned, the main thread included. */
  planned: number;
  /** DNS threads answering now, the main thread included. */
  running: number;
  /** Restarts of stopped worker threads since start. */
  restarts: number;
  /** Worker threads down now: why each stopped, since when (ms), and when it is started again (ms). */
  down: Array<{ thread: number; reason: string; since: number; restartAt: number }>;
}

/** One running (or starting) worker thread. */
interface Thread {
  worker: Worker;
  channel: Int32Array;
  stats: DnsStats | null;
  startedAt: number;
  /** When it last reported (its counters come once a second): a thread silent for HANG_MS is stuck. */
  lastHeard: number;
  ready: boolean;
  /** Why it stopped, from its 'error' event or its 'failed' message (else its exit code says). */
  failure: string | null;
  closed: Promise<void>;
}

/** One worker's place: its index and ring outlive the threads that fill it. */
interface Slot {
  index: number;
  ring: QueueMemory;
  thread: Thread | null;
  /** Counters of the threads that stopped in this slot, so totals never go back. */
  retired: DnsStats;
  backoff: RestartBackoff;
  down: { reason: string; since: number; restartAt: number } | null;
  timer: NodeJS.Timeout | null;
}

/** How long a worker may take to build its policy and bind before it counts as failed. */
const START_TIMEOUT_MS = 30_000;
/**
 * A running thread that has not reported for this long is stuck (a loop that never yields): its socket is
 * still in the port's group, so the kernel keeps handing it clients nobody answers. It is terminated, which
 * frees the socket, and restarted like a crashed one.
 */
const HANG_MS = 10_000;
const WATCHDOG_EVERY_MS = 1000;

export class DnsWorkers {
  private readonly slots: Slot[] = [];
  private unsubscribe: (() => void) | null = null;
  private closing = false;
  private restarts = 0;
  private config: Config['dns'];
  private readonly watchdog: NodeJS.Timeout;
  private lastCheck = Date.now();

  private constructor(private readonly options: DnsWorkersStart) {
    this.config = options.config;
    this.watchdog = setInterval(() => this.terminateStuck(), WATCHDOG_EVERY_MS);
    this.watchdog.unref();
  }

  static async start(options: DnsWorkersStart): Promise<DnsWorkers> {
    const pool = new DnsWorkers(options);
    // Subscribed before any snapshot is taken, so no change falls between the two.
    pool.unsubscribe = options.policyFeed.subscribe((call) => pool.broadcast({ type: 'policy', call }));
    const started: Promise<void>[] = [];
    for (let index = 1; index < options.count; index++) {
      const slot: Slot = {
        index,
        ring: options.addLogRing(),
        thread: null,
        retired: new DnsStats(),
        backoff: new RestartBackoff(),
        down: null,
        timer: null,
      };
      pool.slots.push(slot);
      started.push(pool.spawn(slot));
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
    return 1 + this.slots.filter((slot) => slot.thread?.ready === true).length;
  }

  health(): DnsWorkersHealth {
    const down: DnsWorkersHealth['down'] = [];
    for (const slot of this.slots) if (slot.down !== null) down.push({ thread: slot.index, ...slot.down });
    return { planned: this.slots.length + 1, running: this.count, restarts: this.restarts, down };
  }

  /** Queries each worker thread answered, as last reported (about once a second). */
  queriesPerWorker(): number[] {
    return this.slots.map((slot) => slot.retired.queries + (slot.thread?.stats?.queries ?? 0));
  }

  /** Adds the workers' last reported counters to `into` (the main thread's own, copied). */
  addStats(into: DnsStats): void {
    for (const slot of this.slots) {
      addInto(into, slot.retired);
      if (slot.thread?.stats) addInto(into, slot.thread.stats);
    }
  }

  reconfigure(config: Config['dns']): void {
    this.config = config; // a restarted thread starts with it
    this.broadcast({ type: 'reconfigure', config });
  }

  clearCache(): void {
    this.broadcast({ type: 'clear-cache' });
  }

  /**
   * Tests only (tests/integration/dns/worker-restart.test.ts, through dns-server.ts `workerThreadsForTests`):
   * stops worker thread `index` as a crash would, by terminating it or by an uncaught error inside it.
   */
  async crashForTests(index: number, how: 'terminate' | 'throw' | 'hang'): Promise<void> {
    const thread = this.slots.find((slot) => slot.index === index)?.thread;
    if (!thread) throw new Error(`DNS worker ${index} is not running`);
    if (how === 'terminate') await thread.worker.terminate();
    else
      thread.worker.postMessage({
        type: how === 'throw' ? 'crash-for-tests' : 'hang-for-tests',
      } satisfies ToDnsWorker);
    await thread.closed;
  }

  private terminateStuck(): void {
    const now = Date.now();
    const stalled = now - this.lastCheck > 2 * WATCHDOG_EVERY_MS;
    this.lastCheck = now;
    if (stalled) {
      // This thread was the one not running (its reports wait unread in the queue): no verdict on the others.
      for (const { thread } of this.slots) if (thread !== null) thread.lastHeard = now;
      return;
    }
    for (const { thread } of this.slots) {
      if (thread === null || !thread.ready || thread.failure !== null || now - thread.lastHeard < HANG_MS)
        continue;
      thread.failure = `stuck: no report for ${Math.round((now - thread.lastHeard) / 1000)} s`;
      void thread.worker.terminate();
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.watchdog);
    this.unsubscribe?.();
    this.unsubscribe = null;
    for (const slot of this.slots) if (slot.timer !== null) clearTimeout(slot.timer);
    this.broadcast({ type: 'close' });
    await Promise.all(this.slots.flatMap((slot) => (slot.thread === null ? [] : [slot.thread.closed])));
  }

  private broadcast(message: ToDnsWorker): void {
    for (const { thread } of this.slots) thread?.worker.postMessage(message);
  }

  /** Starts a thread in `slot`; resolves once it answers, rejects if it stops or fails before. */
  private spawn(slot: Slot): Promise<void> {
    const init: DnsWorkerInit = {
      index: slot.index,
      config: this.config,
      port: this.options.port,
      tcpSharing: this.options.tcpSharing,
      ring: slot.ring,
      deviceChannel: new SharedArrayBuffer(DEVICE_CHANNEL_BYTES),
      // Taken in the same tick the thread joins the broadcasts: no policy change falls between.
      policy: this.options.policyFeed.snapshot(),
      logLevel: this.options.logger.level as DnsWorkerInit['logLevel'],
    };
    const worker = new Worker(workerEntry(import.meta.url, 'dns-worker'), {
      workerData: init,
      resourceLimits: LONG_LIVED_WORKER_LIMITS,
    });
    let exited!: () => void;
    const thread: Thread = {
      worker,
      channel: new Int32Array(init.deviceChannel),
      stats: null,
      startedAt: Date.now(),
      lastHeard: Date.now(),
      ready: false,
      failure: null,
      closed: new Promise((resolve) => (exited = resolve)),
    };
    slot.thread = thread;
    const { logger } = this.options;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        thread.failure = `did not start within ${START_TIMEOUT_MS / 1000} s`;
        void worker.terminate();
      }, START_TIMEOUT_MS);
      worker.on('error', (error) => {
        // An uncaught error inside the thread (or out of memory): it exits next.
        thread.failure ??= error.message;
        logger.error({ err: error, dnsWorker: slot.index }, 'DNS worker thread failed');
      });
      worker.on('exit', (code) => {
        clearTimeout(timer);
        const reason = thread.failure ?? `exited with code ${code}`;
        if (!thread.ready) reject(new Error(`DNS worker ${slot.index} stopped during start-up: ${reason}`));
        if (slot.thread === thread) {
          slot.thread = null;
          if (thread.stats !== null) retire(slot.retired, thread.stats);
          // Restarted only once the pool is up (a failed start-up closes the pool instead).
          if (!this.closing && (thread.ready || slot.down !== null)) this.stopped(slot, thread, reason);
        }
        exited();
      });
      worker.on('message', (message: FromDnsWorker) => {
        thread.lastHeard = Date.now();
        switch (message.type) {
          case 'ready':
            clearTimeout(timer);
            thread.ready = true;
            if (slot.down !== null) {
              logger.info(
                { dnsWorker: slot.index, restarts: this.restarts },
                `DNS worker thread ${slot.index} restarted; it answers its share of the port again`,
              );
              slot.down = null;
            }
            resolve();
            break;
          case 'failed':
            thread.failure = message.message;
            void worker.terminate();
            break;
          case 'stats':
            thread.stats = message.stats;
            break;
          case 'device': {
            const id = this.deviceIdFor(message.address);
            answerDeviceRequest(thread.channel, message.request, id);
            // The other workers learn it too: their first query from this address need not wait.
            for (const other of this.slots)
              if (other.thread !== null && other.thread !== thread)
                other.thread.worker.postMessage({ type: 'devices', pairs: [[message.address, id]] });
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

  /** A thread stopped while the server runs: say why, and start another after the back-off. */
  private stopped(slot: Slot, thread: Thread, reason: string): void {
    const now = Date.now();
    const delay = slot.backoff.next(thread.ready ? now - thread.startedAt : 0);
    slot.down = { reason, since: slot.down?.since ?? now, restartAt: now + delay };
    this.options.logger.error(
      { dnsWorker: slot.index, reason, restartInMs: delay },
      `DNS worker thread ${slot.index} stopped (${reason}); the other DNS threads answer its clients; ` +
        `restarting it in ${delay / 1000} s`,
    );
    slot.timer = setTimeout(() => {
      slot.timer = null;
      if (this.closing) return;
      this.restarts++;
      // A thread that fails to start stops again through 'exit', which schedules the next try.
      this.spawn(slot).catch(() => {});
    }, delay);
  }

  private deviceIdFor(address: string): number {
    try {
      return this.options.devices.deviceIdFor(address);
    } catch (error) {
      this.options.logger.warn({ err: error, address }, 'device look-up for a DNS worker failed');
      return 0;
    }
  }
}

/** Keeps a stopped thread's counters; its cache went with it, so the cache size does not. */
function retire(into: DnsStats, from: DnsStats): void {
  addInto(into, from);
  into.cacheSize = 0;
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
