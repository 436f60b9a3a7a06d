/**
 * DNS over UDP. Two transports behind one function: the native batch transport (udp-native.ts, the
 * native/udp-batch addon: recvmmsg/sendmmsg, one call into JavaScript per batch) when the addon is built
 * and loads, and Node's dgram otherwise, or when TRACKSINK_UDP=dgram asks for it (TRACKSINK_UDP=native
 * makes a missing addon an error instead of a fallback). Both answer the same way through the same
 * pipeline call; the main thread logs once which one it uses.
 *
 * dgram: the message handler answers synchronously whenever the pipeline can (blocked, local,
 * cached): one decode, one answer buffer, one send, no promise. Forwarded queries are answered later
 * through the responder, with the remote info Node already allocated as the context.
 */
import { type RemoteInfo, type Socket, createSocket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { isIPv6 } from 'node:net';
import { isMainThread } from 'node:worker_threads';
import { Protocol } from '../events/query-event.js';
import type { Logger } from '../logger.js';
import { describeBindError } from './bind-error.js';
import { unmapAddress } from './stages/address-ranges.js';
import { PENDING, type Pipeline, type Responder } from './pipeline.js';
import { loadUdpBatch, startNativeUdp } from './udp-native.js';

/** A large receive buffer absorbs bursts (a TV waking up, dnsperf) instead of dropping them in the kernel. */
const RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024;

/**
 * Every send goes to an address Node gave us in `rinfo`, already an IP literal. Node's default
 * dns.lookup would still validate it and defer the send by a tick (a third of the send path's JavaScript
 * in a profile); this answers at once.
 */
function literalAddressLookup(
  address: string,
  options: unknown,
  callback: (error: NodeJS.ErrnoException | null, address: string, family: number) => void,
): void {
  const family = typeof options === 'number' ? options : isIPv6(address) ? 6 : 4;
  callback(null, address, family);
}

export interface UdpServer {
  address: AddressInfo;
  /** Which transport answers: the native batch one or Node's dgram. */
  transport: UdpTransport;
  close(): Promise<void>;
}

export type UdpTransport = 'native' | 'dgram';

let transportLogged = false;

/**
 * Which transport startUdpServer will use and why (TRACKSINK_UDP: `dgram` forces Node's dgram, `native`
 * requires the addon, anything else picks), without opening anything: services.ts plans the DNS worker
 * threads on it (workers/worker-count.ts). Throws when TRACKSINK_UDP=native and the addon cannot load.
 */
export function plannedUdpTransport(): { transport: UdpTransport; why: string } {
  const wanted = process.env.TRACKSINK_UDP?.trim().toLowerCase() ?? '';
  if (wanted === 'dgram') return { transport: 'dgram', why: 'TRACKSINK_UDP=dgram' };
  const { binding, why } = loadUdpBatch();
  if (binding === null) {
    if (wanted === 'native') throw new Error(`TRACKSINK_UDP=native, but ${why}`);
    return { transport: 'dgram', why: `native batch transport not used: ${why}` };
  }
  return { transport: 'native', why: 'recvmmsg/sendmmsg' };
}

/** The planned transport, logged once by the main thread. */
function chooseTransport(logger: Logger): UdpTransport {
  const { transport, why } = plannedUdpTransport();
  if (isMainThread && !transportLogged)
    logger.info(`DNS over UDP: ${transport === 'native' ? 'native batch transport' : 'Node dgram'} (${why})`);
  transportLogged = true;
  return transport;
}

/** Errors that say the address or port cannot be had at all: dgram would fail the same way. */
const BIND_ERRORS = new Set(['EADDRINUSE', 'EACCES', 'EPERM', 'EADDRNOTAVAIL']);

export async function startUdpServer(opts: {
  bind: string;
  port: number;
  pipeline: Pipeline;
  logger: Logger;
  /**
   * SO_REUSEPORT: several sockets, one per DNS worker thread, bind the same port and the kernel spreads
   * the clients over them. The native transport sets it on any Node; dgram needs Node ≥ 22.12
   * (workers/worker-count.ts plans the threads on what the planned transport can do).
   */
  reusePort?: boolean;
}): Promise<UdpServer> {
  const { pipeline, logger } = opts;
  if (chooseTransport(logger) === 'native') {
    const binding = loadUdpBatch().binding!;
    const family = isIPv6(opts.bind) ? 6 : 4;
    try {
      const native = startNativeUdp(
        binding,
        {
          bind: opts.bind,
          family,
          port: opts.port,
          reusePort: opts.reusePort === true,
          receiveBufferBytes: RECEIVE_BUFFER_BYTES,
        },
        pipeline,
        logger,
      );
      return {
        address: { address: opts.bind, family: family === 6 ? 'IPv6' : 'IPv4', port: native.port },
        transport: 'native',
        close: native.close,
      };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? '';
      if (BIND_ERRORS.has(code)) throw describeBindError(error, 'UDP', opts.bind, opts.port);
      // An address the addon cannot parse (a scope id): dgram takes it.
      logger.warn({ err: error }, 'native UDP transport could not open; using Node dgram');
    }
  }
  return startDgramServer(opts);
}

async function startDgramServer(opts: {
  bind: string;
  port: number;
  pipeline: Pipeline;
  logger: Logger;
  reusePort?: boolean;
}): Promise<UdpServer> {
  const { pipeline, logger } = opts;
  const socket: Socket = createSocket({
    type: isIPv6(opts.bind) ? 'udp6' : 'udp4',
    reuseAddr: false,
    lookup: literalAddressLookup,
    // Not in @types/node 20's SocketOptions yet; Node 20 ignores it (and worker-count.ts never asks there).
    ...(opts.reusePort === true ? ({ reusePort: true } as object) : {}),
  });
  const responder: Responder<RemoteInfo> = {
    respond(answer, rinfo) {
      // An upstream answer may arrive after close() during shutdown: nothing to send it on.
      if (!closed) socket.send(answer, rinfo.port, rinfo.address);
    },
  };
  let closed = false;

  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error): void => reject(describeBindError(error, 'UDP', opts.bind, opts.port));
    socket.once('error', onError);
    socket.bind({ address: opts.bind, port: opts.port, exclusive: true }, () => {
      socket.off('error', onError);
      resolve();
    });
  });
  try {
    socket.setRecvBufferSize(RECEIVE_BUFFER_BYTES);
  } catch {
    // The kernel caps it at net.core.rmem_max; the default still works.
  }
  socket.on('error', (error) => {
    // Send errors (an unreachable client) must not bring the server down.
    if (!closed) logger.debug({ err: error }, 'UDP socket error');
  });
  socket.on('message', (msg, rinfo) => {
    try {
      const answer = pipeline.handle(msg, unmapAddress(rinfo.address), Protocol.udp, responder, rinfo);
      if (answer !== null && answer !== PENDING) socket.send(answer, rinfo.port, rinfo.address);
    } catch (error) {
      logger.error({ err: error }, 'DNS UDP handler failed; query dropped');
    }
  });

  return {
    address: socket.address(),
    transport: 'dgram',
    close: () =>
      new Promise<void>((resolve) => {
        if (closed) return resolve();
        closed = true;
        socket.close(() => resolve());
      }),
  };
}
