/**
 * Encrypted DNS beside plain DNS: DNS-over-TLS (dns/dot-server.ts, ClientID in the SNI) and an HTTPS
 * listener that serves the same Fastify app as plain HTTP (DoH at /dns-query/<clientid>, and the
 * dashboard) over HTTP/2 with HTTP/1.1 fallback. Nothing here can stop plain DNS: a refused certificate
 * or a port that cannot be opened turns off what it concerns, is logged, and is named in `problems`
 * (shown at start-up and on the Setup page).
 */
import {
  type Http2SecureServer,
  type Http2ServerRequest,
  type Http2ServerResponse,
  createSecureServer,
} from 'node:http2';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { FastifyInstance } from 'fastify';
import {
  type CertificateInfo,
  type CheckedCertificate,
  loadTlsCertificate,
} from './certs/tls-certificates.js';
import type { Config } from './config/schema.js';
import { describeBindError } from './dns/bind-error.js';
import type { DnsServer } from './dns/dns-server.js';
import { type DotServer, startDotServer } from './dns/dot-server.js';
import type { ClientIdResolver } from './dns/tcp-server.js';
import type { Logger } from './logger.js';
import type { AcmeChallenges } from './certs/acme.js';
import { type AcmeRenewal, startAcmeRenewal } from './certs/acme-renewal.js';

export interface EncryptedDnsStatus {
  enabled: boolean;
  serverName: string;
  dotPort: number | null;
  httpsPort: number | null;
  certificate: CertificateInfo | null;
  /** The PEM certificate, when self-signed (Apple profiles carry it so the phone can trust it). */
  selfSignedPem: string | null;
  problems: string[];
}

export interface EncryptedDns {
  dotAddress: AddressInfo | null;
  httpsAddress: AddressInfo | null;
  status(): EncryptedDnsStatus;
  /** Serves a new certificate on both listeners (ACME renewal) without dropping connections. */
  setCertificate(certificate: CheckedCertificate): void;
  close(): Promise<void>;
}

async function listenHttps(server: Http2SecureServer, bind: string, port: number): Promise<AddressInfo> {
  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error): void =>
      reject(describeBindError(error, 'HTTPS', bind, port, 'TRACKSINK_HTTPS_PORT / tls.httpsPort'));
    server.once('error', onError);
    server.listen({ host: bind, port, exclusive: true }, () => {
      server.off('error', onError);
      resolve();
    });
  });
  return server.address() as AddressInfo;
}

export async function startEncryptedDns(opts: {
  config: Config;
  dns: Pick<DnsServer, 'streamHandler'>;
  clientIds: ClientIdResolver;
  app: FastifyInstance;
  logger: Logger;
  /** HTTP-01 answers (served by the HTTP listener) and every ClientID, for ACME (tls.acme.email). */
  acme?: { challenges: AcmeChallenges; clientIds: () => string[] };
}): Promise<EncryptedDns> {
  const { config, logger } = opts;
  const { tls } = config;
  const problems: string[] = [];
  let certificate: CheckedCertificate | null = null;
  let dot: DotServer | null = null;
  let https: Http2SecureServer | null = null;
  let httpsAddress: AddressInfo | null = null;
  const sockets = new Set<TLSSocket>();

  if (tls.enabled) {
    try {
      certificate = await loadTlsCertificate(config);
    } catch (error) {
      problems.push(`encrypted DNS is off: ${(error as Error).message}`);
    }
  }
  if (certificate !== null) {
    try {
      dot = await startDotServer({
        bind: config.dns.bind,
        port: tls.dotPort,
        dns: opts.dns,
        clientIds: opts.clientIds,
        serverName: tls.serverName,
        certificate,
        limits: config.dns,
        logger,
      });
    } catch (error) {
      problems.push((error as Error).message);
    }
    const server = createSecureServer(
      { cert: certificate.cert, key: certificate.key, allowHTTP1: true, minVersion: 'TLSv1.2' },
      opts.app.routing as unknown as (request: Http2ServerRequest, response: Http2ServerResponse) => void,
    );
    // HTTP/2 sessions and kept-alive HTTP/1.1 sockets would hold close() until they time out.
    server.on('secureConnection', (socket: TLSSocket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    });
    try {
      httpsAddress = await listenHttps(server, config.http.bind, tls.httpsPort);
      https = server;
      server.on('error', (error) => logger.error({ err: error }, 'HTTPS server error'));
    } catch (error) {
      problems.push((error as Error).message);
    }
  }
  let renewal: AcmeRenewal | null = null;
  if (certificate !== null && tls.acme.email !== '' && tls.certFile === '' && opts.acme !== undefined) {
    if (tls.serverName === '') {
      problems.push('ACME is off: tls.acme.email is set but tls.serverName (your domain) is empty');
    } else {
      renewal = startAcmeRenewal({
        config,
        challenges: opts.acme.challenges,
        clientIds: opts.acme.clientIds,
        current: () => certificate,
        onCertificate: (next) => encrypted.setCertificate(next),
        logger,
      });
    }
  }
  for (const problem of problems) logger.error(problem);

  const encrypted: EncryptedDns = {
    dotAddress: dot?.address ?? null,
    httpsAddress,
    status: () => ({
      enabled: tls.enabled,
      serverName: tls.serverName,
      dotPort: dot?.address.port ?? null,
      httpsPort: httpsAddress?.port ?? null,
      certificate: certificate?.info ?? null,
      selfSignedPem: certificate?.info.source === 'self-signed' ? certificate.cert : null,
      problems: [...problems, ...(renewal?.lastProblem() ? [renewal.lastProblem()!] : [])],
    }),
    setCertificate(next) {
      certificate = next;
      dot?.setCertificate(next);
      https?.setSecureContext({ cert: next.cert, key: next.key });
    },
    async close() {
      renewal?.stop();
      const closing: Array<Promise<void>> = [];
      if (dot !== null) closing.push(dot.close());
      const server = https;
      if (server !== null) {
        closing.push(new Promise<void>((resolve) => server.close(() => resolve())));
        for (const socket of sockets) socket.destroy();
      }
      await Promise.all(closing);
    },
  };
  return encrypted;
}
