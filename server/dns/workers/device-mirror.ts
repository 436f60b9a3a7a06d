/**
 * Device identity inside a DNS worker thread. The DeviceRegistry (devices/registry.ts) lives on the main
 * thread: it owns tracksink.db, the neighbour table and the names. A worker keeps a map address → device
 * id it learnt from the main thread; deviceIdFor() is a Map lookup on the hot path, as on the main thread.
 *
 * An address the worker has not seen yet (a new device, or the first query of a known one on this worker)
 * is asked synchronously: the worker posts the address and waits on a shared word (Atomics.wait, allowed
 * in worker threads) for the main thread's registry to answer, at most ASK_TIMEOUT_MS; the first query of
 * each address is the only one that waits. Every SEEN_EVERY_MS the worker sends the addresses it answered
 * so the registry marks them seen (the dashboard's "last seen") and returns their ids again, which also
 * carries merges and re-identifications over to the worker within that period.
 */
import type { DeviceResolver } from '../../events/device-resolver.js';

/** Shared words of the request channel: the worker's request number, the main thread's reply number, the id. */
const REQUEST = 0;
const REPLY = 1;
const DEVICE_ID = 2;
export const DEVICE_CHANNEL_BYTES = 12;

/** Longest wait for the main thread on a new address; after it the query counts as device 0 (unknown). */
const ASK_TIMEOUT_MS = 200;
export const SEEN_EVERY_MS = 1000;

export type DeviceRequest = { type: 'device'; address: string; request: number };

export class DeviceMirror implements DeviceResolver {
  private readonly ids = new Map<string, number>();
  private seen = new Set<string>();
  private readonly channel: Int32Array;
  /** Queries that waited for the main thread, and those that gave up waiting. */
  asked = 0;
  timedOut = 0;

  constructor(
    channel: SharedArrayBuffer,
    private readonly post: (message: DeviceRequest) => void,
  ) {
    this.channel = new Int32Array(channel);
  }

  deviceIdFor(address: string): number {
    const id = this.ids.get(address);
    if (id !== undefined) {
      this.seen.add(address);
      return id;
    }
    return this.ask(address);
  }

  /** Ids the main thread sent (answers to seen(), or learnt by another worker). */
  learn(pairs: ReadonlyArray<readonly [string, number]>): void {
    for (const [address, id] of pairs) this.ids.set(address, id);
  }

  /** The addresses answered since the last call (for the main thread to mark seen). */
  takeSeen(): string[] {
    if (this.seen.size === 0) return [];
    const addresses = [...this.seen];
    this.seen = new Set();
    return addresses;
  }

  private ask(address: string): number {
    const channel = this.channel;
    const request = (channel[REQUEST]! + 1) | 0;
    channel[REQUEST] = request;
    this.asked++;
    this.post({ type: 'device', address, request });
    const deadline = performance.now() + ASK_TIMEOUT_MS;
    for (;;) {
      const reply = Atomics.load(channel, REPLY);
      if (reply === request) break;
      const left = deadline - performance.now();
      if (left <= 0) {
        this.timedOut++;
        return 0; // the late answer still arrives as a 'devices' message and is learnt then
      }
      Atomics.wait(channel, REPLY, reply, left);
    }
    const id = Atomics.load(channel, DEVICE_ID);
    this.ids.set(address, id);
    return id;
  }
}

/** Main side: answers a worker's request through its channel (id first, then the reply number, then wake). */
export function answerDeviceRequest(channel: Int32Array, request: number, id: number): void {
  Atomics.store(channel, DEVICE_ID, id);
  Atomics.store(channel, REPLY, request);
  Atomics.notify(channel, REPLY);
}
