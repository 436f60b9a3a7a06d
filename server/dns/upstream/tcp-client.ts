/**
 * Plain DNS over TCP (RFC 7766) to one upstream: a kept-alive, pipelined stream connection.
 */
import net from 'node:net';
import type { HostResolver } from './bootstrap.js';
import { StreamClient } from './stream-client.js';
import type { MismatchListener } from './transport.js';

export interface TcpClientOptions {
  host: string;
  port: number;
  label: string;
  /** Turns a host name into an address (bootstrap); IP literals pass through. */
  resolver: HostResolver;
  onMismatch?: MismatchListener;
  idleTimeoutMs?: number;
}

export function createTcpClient(options: TcpClientOptions): StreamClient {
  return new StreamClient({
    label: options.label,
    onMismatch: options.onMismatch,
    idleTimeoutMs: options.idleTimeoutMs,
    connect: async (timeoutMs) => {
      const address = await options.resolver.resolve(options.host);
      return connectSocket(options.label, timeoutMs, 'connect', () =>
        net.connect({ host: address, port: options.port }),
      );
    },
  });
}

/**
 * Opens a socket and resolves on `readyEvent` ("connect", or "secureConnect" for TLS); destroys it and
 * rejects on error or after `timeoutMs`.
 */
export function connectSocket<S extends net.Socket>(
  label: string,
  timeoutMs: number,
  readyEvent: string,
  open: () => S,
): Promise<S> {
  return new Promise<S>((resolve, reject) => {
    const socket = open();
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`${label}: could not connect within ${timeoutMs} ms`));
    }, timeoutMs);
    const onError = (error: Error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(new Error(`${label}: ${error.message}`));
    };
    socket.once('error', onError);
    socket.once(readyEvent, () => {
      clearTimeout(timer);
      socket.off('error', onError);
      resolve(socket);
    });
  });
}
