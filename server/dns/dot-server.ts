/**
 * DNS-over-TLS (RFC 7858): a TLS listener whose connections, once the handshake is done, are served by
 * the same stream code as plain TCP (tcp-server.ts: framing, pipelining, idle timeout, connection limits).
 * The TLS server name (SNI) `<clientid>.<domain>` names the device (AdGuard Home's and NextDNS's
 * convention, and what Android's "Private DNS" host name sends); without one the device is found by its
 * address, as over plain DNS. The certificate can be swapped while running (ACME renewal).
 */
import type { AddressInfo } from 'node:net';
import { type TLSSocket, type Server as TlsServer, createServer } from 'node:tls';
import { clientIdFromServerName } from '../devices/client-ids.js';
import { Protocol } from '../events/query-event.js';
import type { Logger } from '../logger.js';
import { describeBindError } from './bind-error.js';
import type { DnsServer } from './dns-server.js';
import type { ClientIdResolver, TcpLimits } from './tcp-server.js';

export interface DotServer {
  address: AddressInfo;
  connections(): number;
  setCertificate(cert: { cert: string; key: string }): void;
  close(): Promise<void>;
}

export async function startDotServer(opts: {
  bind: string;
  port: number;
  dns: Pick<DnsServer, 'streamHandler'>;
  clientIds: ClientIdResolver;
  /** The configured domain (tls.serverName); '' = the first label of any three-label name. */
  serverName: string;
  certificate: { cert: string; key: string };
  limits: TcpLimits;
  logger: Logger;
}): Promise<DotServer> {
  const { logger, limits } = opts;
  const handler = opts.dns.streamHandler(Protocol.dot, opts.clientIds);
  const server: TlsServer = createServer({
    cert: opts.certificate.cert,
    key: opts.certificate.key,
    minVersion: 'TLSv1.2',
    ALPNProtocols: ['dot'],
    // A client that never finishes the handshake holds a socket no longer than an idle one.
    handshakeTimeout: limits.tcpIdleTimeoutMs,
    allowHalfOpen: true,
  });
  // Sockets still in the handshake count too (the stream handler counts only established ones).
  server.maxConnections = limits.tcpMaxConnections;
  server.on('secureConnection', (socket: TLSSocket) => {
    handler.accept(socket, clientIdFromServerName(socket.servername, opts.serverName));
  });
  server.on('tlsClientError', (error) => logger.debug({ err: error }, 'DoT handshake failed'));

  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error): void =>
      reject(
        describeBindError(error, 'DNS-over-TLS', opts.bind, opts.port, 'TRACKSINK_DOT_PORT / tls.dotPort'),
      );
    server.once('error', onError);
    server.listen({ host: opts.bind, port: opts.port, exclusive: true }, () => {
      server.off('error', onError);
      resolve();
    });
  });
  server.on('error', (error) => logger.error({ err: error }, 'DNS-over-TLS server error'));

  return {
    address: server.address() as AddressInfo,
    connections: () => handler.connections(),
    setCertificate: (certificate) =>
      server.setSecureContext({ cert: certificate.cert, key: certificate.key }),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        handler.closeAll();
      }),
  };
}
