/**
 * DNS over UDP through the native batch transport (native/udp-batch): the addon reads up to 64 datagrams
 * with one recvmmsg into a receive area shared with this module, calls `onBatch` once for all of them, and
 * sends the answers written into the shared send area with one sendmmsg. Node's dgram costs a Buffer, an
 * rinfo object, a JS↔C++ crossing and two syscalls per datagram (bench/GAP.md, "latency pass"); here the
 * per-datagram cost is the pipeline's own.
 *
 * Allocation-light on purpose: the query handed to the pipeline is a view of the receive area, reused
 * (the pipeline copies what it keeps past handle(): QueryContext.detach copies the query for a forwarded
 * one), and the client address string comes from a small cache keyed by the address bytes.
 */
import { Protocol } from '../events/query-event.js';
import type { Logger } from '../logger.js';
import { loadNativeAddon } from '../native-addon.js';
import { PENDING, type Pipeline, type Responder } from './pipeline.js';

/** The addon's functions (native/udp-batch/udp_batch.c says what each does). */
export interface UdpBatchBinding {
  readonly BATCH: number;
  readonly SLOT: number;
  open(
    family: 4 | 6,
    address: string,
    port: number,
    reusePort: boolean,
    receiveBufferBytes: number,
  ): {
    handle: object;
    port: number;
  };
  start(
    handle: object,
    recvArea: Buffer,
    recvTable: Buffer,
    sendArea: Buffer,
    sendTable: Buffer,
    onBatch: (count: number) => number,
  ): void;
  sendTo(handle: object, answer: Buffer, address: string, port: number): void;
  formatAddress(handle: object, index: number): string;
  close(handle: object): void;
  /** [send errors, sends dropped (socket buffer full), receive errors] */
  stats(handle: object): [number, number, number];
}

/** The addon, or null with the reason it is not used (missing, failed to load, not Linux). Loaded once per thread. */
export function loadUdpBatch(): { binding: UdpBatchBinding | null; why: string } {
  const { binding, why } = loadNativeAddon();
  return { binding: binding as UdpBatchBinding | null, why };
}

/** Where a later answer goes: refilled per datagram, replaced when the pipeline keeps it (PENDING). */
interface NativeClient {
  address: string;
  port: number;
}

/** IPv4-mapped IPv6 (::ffff:a.b.c.d): bytes 8..11 of the address are 00 00 ff ff, a little-endian word. */
const MAPPED_WORD = 0xffff0000;
const ADDRESS_CACHE_MAX = 8192;

/** Per thread, for tests and diagnostics: how many batches formed and how large the largest was. */
export const nativeUdpCounters = { batches: 0, datagrams: 0, largestBatch: 0 };

export interface NativeUdpSocket {
  port: number;
  close(): Promise<void>;
}

export function startNativeUdp(
  binding: UdpBatchBinding,
  opts: { bind: string; family: 4 | 6; port: number; reusePort: boolean; receiveBufferBytes: number },
  pipeline: Pipeline,
  logger: Logger,
): NativeUdpSocket {
  const { BATCH, SLOT } = binding;
  const opened = binding.open(opts.family, opts.bind, opts.port, opts.reusePort, opts.receiveBufferBytes);
  const handle = opened.handle;
  // Buffer.alloc is never pooled: each area is its own aligned allocation the addon can hold on to.
  const recvArea = Buffer.alloc(BATCH * SLOT);
  const recvTable = Buffer.alloc(BATCH * 32);
  const recvWords = new Uint32Array(recvTable.buffer, recvTable.byteOffset, BATCH * 8);
  const sendArea = Buffer.alloc(BATCH * SLOT);
  const sendTable = Buffer.alloc(BATCH * 16);
  const sendWords = new Uint32Array(sendTable.buffer, sendTable.byteOffset, BATCH * 4);
  let closed = false;

  // One view per (slot, length) seen, so a steady stream of queries allocates none.
  const views: Buffer[][] = Array.from({ length: BATCH }, () => []);
  const viewOf = (slot: number, length: number): Buffer => {
    const row = views[slot]!;
    let view = row[length];
    if (view === undefined) row[length] = view = recvArea.subarray(slot * SLOT, slot * SLOT + length);
    return view;
  };

  // Address text by address bytes: IPv4 by its word; IPv6 by a hash of its four words, checked on hit.
  const v4Text = new Map<number, string>();
  const v6Text = new Map<number, { w0: number; w1: number; w2: number; w3: number; text: string }>();
  const ipv4 = (word: number, at: number): string => {
    let text = v4Text.get(word);
    if (text === undefined) {
      if (v4Text.size >= ADDRESS_CACHE_MAX) v4Text.clear();
      text = `${recvTable[at]}.${recvTable[at + 1]}.${recvTable[at + 2]}.${recvTable[at + 3]}`;
      v4Text.set(word, text);
    }
    return text;
  };
  const mappedText = new Map<number, string>();
  const ipv6 = (index: number, base: number): string => {
    const w0 = recvWords[base + 4]!;
    const w1 = recvWords[base + 5]!;
    const w2 = recvWords[base + 6]!;
    const w3 = recvWords[base + 7]!;
    const key = (Math.imul(w0 ^ w2, 0x9e3779b1) ^ Math.imul(w1 ^ w3, 0x85ebca77) ^ w3) >>> 0;
    const hit = v6Text.get(key);
    if (hit !== undefined && hit.w0 === w0 && hit.w1 === w1 && hit.w2 === w2 && hit.w3 === w3)
      return hit.text;
    if (v6Text.size >= ADDRESS_CACHE_MAX) v6Text.clear();
    const text = binding.formatAddress(handle, index); // inet_ntop: the same text as dgram's rinfo.address
    v6Text.set(key, { w0, w1, w2, w3, text });
    return text;
  };

  const clients: NativeClient[] = Array.from({ length: BATCH }, () => ({ address: '', port: 0 }));
  const responder: Responder<NativeClient> = {
    respond(answer, client) {
      // An upstream answer may arrive after close() during shutdown: nothing to send it on.
      if (!closed) binding.sendTo(handle, answer, client.address, client.port);
    },
  };

  const onBatch = (count: number): number => {
    nativeUdpCounters.batches++;
    nativeUdpCounters.datagrams += count;
    if (count > nativeUdpCounters.largestBatch) nativeUdpCounters.largestBatch = count;
    let answers = 0;
    let sendOffset = 0;
    for (let i = 0; i < count; i++) {
      const base = i * 8;
      const length = recvWords[base]!;
      // Larger than a slot (4 KiB): not a DNS query a client sends over UDP; dropped like other garbage.
      if (recvWords[base + 3] !== 0) continue;
      let clientAddress: string;
      let sendAddress: string;
      if (recvWords[base + 2] === 4) {
        clientAddress = sendAddress = ipv4(recvWords[base + 4]!, base * 4 + 16);
      } else if (
        recvWords[base + 4] === 0 &&
        recvWords[base + 5] === 0 &&
        recvWords[base + 6] === MAPPED_WORD
      ) {
        // A dual-stack socket's IPv4 client: the pipeline sees a.b.c.d (as unmapAddress gives with dgram).
        clientAddress = ipv4(recvWords[base + 7]!, base * 4 + 28);
        sendAddress = mappedText.get(recvWords[base + 7]!) ?? '';
        if (sendAddress === '') {
          if (mappedText.size >= ADDRESS_CACHE_MAX) mappedText.clear();
          sendAddress = `::ffff:${clientAddress}`;
          mappedText.set(recvWords[base + 7]!, sendAddress);
        }
      } else {
        clientAddress = sendAddress = ipv6(i, base);
      }
      const client = clients[i]!;
      client.address = sendAddress;
      client.port = recvWords[base + 1]!;
      try {
        const answer = pipeline.handle(viewOf(i, length), clientAddress, Protocol.udp, responder, client);
        if (answer === PENDING) {
          clients[i] = { address: '', port: 0 }; // the pipeline keeps this one until the upstream answers
        } else if (answer !== null) {
          if (sendOffset + answer.length <= sendArea.length) {
            sendArea.set(answer, sendOffset);
            const at = answers * 4;
            sendWords[at] = sendOffset;
            sendWords[at + 1] = answer.length;
            sendWords[at + 2] = i;
            sendOffset += answer.length;
            answers++;
          } else {
            binding.sendTo(handle, answer, sendAddress, client.port);
          }
        }
      } catch (error) {
        logger.error({ err: error }, 'DNS UDP handler failed; query dropped');
      }
    }
    return answers;
  };

  binding.start(handle, recvArea, recvTable, sendArea, sendTable, onBatch);
  return {
    port: opened.port,
    close: () =>
      new Promise<void>((resolve) => {
        if (closed) return resolve();
        closed = true;
        const [sendErrors, sendDropped, receiveErrors] = binding.stats(handle);
        if (sendErrors + sendDropped + receiveErrors > 0) {
          logger.debug({ sendErrors, sendDropped, receiveErrors }, 'native UDP transport closed');
        }
        binding.close(handle);
        // libuv closes the fd in its close phase; a timer runs after it, so the port is free on resolve.
        setTimeout(resolve, 0);
      }),
  };
}
