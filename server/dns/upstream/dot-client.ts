/**
 * DNS over TLS (RFC 7858): the stream client over tls.connect, port 853 by default. The certificate is
 * checked against the configured host name (sent as SNI), or against the IP for a literal-IP upstream;
 * the address to connect to comes from the bootstrap resolver, never from the system resolver.
 */
import tls from 'node:tls';
import net from 'node:net';
import type { HostResolver } from './bootstrap.js';
import { StreamClient } from './stream-client.js';
import { connectSocket } from './tcp-client.js';
import type { MismatchListener } from './transport.js';

export interface DotClientOptions {
  host: string;
  port: number;
  label: string;
  resolver: HostResolver;
  /** Extra trusted CA certificates (PEM), added to Node's trust store; for tests and private resolvers. */
  ca?: string | string[];
  onMismatch?: MismatchListener;
  idleTimeoutMs?: number;
}

export function createDotClient(options: DotClientOptions): StreamClient {
  const servername = net.isIP(options.host) ? undefined : options.host;
  return new StreamClient({
    label: options.label,
    onMismatch: options.onMismatch,
    idleTimeoutMs: options.idleTimeoutMs,
    connect: async (timeoutMs) => {
      const address = await options.resolver.resolve(options.host);
      return connectSocket(options.label, timeoutMs, 'secureConnect', () =>
        tls.connect({
          host: address,
          port: options.port,
          // SNI and the certificate check use the configured name, not the bootstrap address.
          servername,
          checkServerIdentity: (_host, cert) => tls.checkServerIdentity(options.host, cert),
          secureContext: secureContextWith(options.ca),
          ALPNProtocols: ['dot'],
        }),
      );
    },
  });
}

const secureContexts = new Map<string, tls.SecureContext>();

/**
 * A TLS context trusting Node's store plus `ca` (passing `ca` alone would replace the store). Built once
 * per CA set: loading every root certificate again for each connection costs ~100 ms of CPU.
 */
export function secureContextWith(ca: string | string[] | undefined): tls.SecureContext | undefined {
  if (ca === undefined) return undefined;
  const extra = Array.isArray(ca) ? ca : [ca];
  const key = extra.join('\n');
  let context = secureContexts.get(key);
  if (!context) {
    context = tls.createSecureContext({ ca: [...tls.rootCertificates, ...extra] });
    secureContexts.set(key, context);
  }
  return context;
}
