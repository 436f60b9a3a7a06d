/**
 * A throw-away certificate authority and server certificate made with the `openssl` CLI in a temp dir,
 * plus local DNS-over-HTTPS (RFC 8484, HTTP/2) and DNS-over-TLS (RFC 7858) servers that answer through a
 * stub DNS server's behaviour. Nothing here trusts anything outside the temp dir.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import http2 from 'node:http2';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';
import type { StubDnsServer } from './stub-dns-server.js';
import { frame } from './stub-dns-server.js';

const run = promisify(execFile);

export interface TestCa {
  dir: string;
  /** PEM of the CA certificate (what a client trusts). */
  caCert: string;
  caFile: string;
  serverKey: string;
  serverCert: string;
  hosts: string[];
  cleanup(): Promise<void>;
}

/** Makes a CA and a server certificate valid for `hosts` (DNS names) and 127.0.0.1 / ::1. */
export async function createTestCa(hosts: string[] = ['doh.test']): Promise<TestCa> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tracksink-ca-'));
  const file = (name: string) => path.join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await run('openssl', [
    'req',
    '-x509',
    ...ec,
    '-keyout',
    file('ca.key'),
    '-out',
    file('ca.crt'),
    '-days',
    '2',
    '-subj',
    '/CN=tracksink test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  await run('openssl', [
    'req',
    ...ec,
    '-keyout',
    file('server.key'),
    '-out',
    file('server.csr'),
    '-subj',
    `/CN=${hosts[0] ?? 'localhost'}`,
  ]);
  const san = [...hosts.map((h) => `DNS:${h}`), 'IP:127.0.0.1', 'IP:::1'].join(',');
  await fs.writeFile(
    file('ext.cnf'),
    `subjectAltName=${san}\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n`,
  );
  await run('openssl', [
    'x509',
    '-req',
    '-in',
    file('server.csr'),
    '-CA',
    file('ca.crt'),
    '-CAkey',
    file('ca.key'),
    '-CAcreateserial',
    '-out',
    file('server.crt'),
    '-days',
    '2',
    '-extfile',
    file('ext.cnf'),
  ]);
  const [caCert, serverKey, serverCert] = await Promise.all(
    ['ca.crt', 'server.key', 'server.crt'].map((name) => fs.readFile(file(name), 'utf8')),
  );
  return {
    dir,
    caCert: caCert!,
    caFile: file('ca.crt'),
    serverKey: serverKey!,
    serverCert: serverCert!,
    hosts,
    cleanup: () => fs.rm(dir, { recursive: true, force: true }),
  };
}

export interface LocalDohServer {
  port: number;
  /** `https://<host>:<port>/dns-query`; host defaults to 127.0.0.1. */
  url(host?: string): string;
  readonly requests: number;
  readonly sessions: number;
  /** IDs seen on the wire (RFC 8484 recommends 0). */
  readonly wireIds: number[];
  /** Sends GOAWAY on every open session (as a server restart or idle policy would). */
  goawayAll(): void;
  /** Misbehave at the HTTP level: answer every request with this status and/or content type. */
  setHttpFault(fault: { status?: number; contentType?: string } | null): void;
  close(): Promise<void>;
}

export async function startDohServer(
  stub: StubDnsServer,
  ca: TestCa,
  dnsPath = '/dns-query',
): Promise<LocalDohServer> {
  const server = http2.createSecureServer({ key: ca.serverKey, cert: ca.serverCert, allowHTTP1: false });
  const sessions = new Set<http2.ServerHttp2Session>();
  let sessionCount = 0;
  let requests = 0;
  const wireIds: number[] = [];
  let httpFault: { status?: number; contentType?: string } | null = null;
  server.on('session', (session) => {
    sessionCount++;
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
    session.on('error', () => undefined);
  });
  server.on('stream', (stream, headers) => {
    stream.on('error', () => undefined);
    const reqPath = String(headers[':path'] ?? '');
    if (headers[':method'] !== 'POST' || reqPath !== dnsPath) {
      stream.respond({ ':status': 404 });
      stream.end();
      return;
    }
    if (headers['content-type'] !== 'application/dns-message') {
      stream.respond({ ':status': 415 });
      stream.end();
      return;
    }
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      requests++;
      const query = Buffer.concat(chunks);
      if (query.length >= 2) wireIds.push(query.readUInt16BE(0));
      void stub.respond(query, 'direct').then((replies) => {
        // HTTP has one body per request: the last reply is what this "server" says.
        const reply = replies.filter((r) => !r.fromOtherPort).at(-1);
        if (stream.destroyed || stream.closed) return;
        if (!reply) {
          // Silent: hold the stream open until the client gives up.
          return;
        }
        stream.respond({
          ':status': httpFault?.status ?? 200,
          'content-type': httpFault?.contentType ?? 'application/dns-message',
          'content-length': reply.packet.length,
        });
        stream.end(reply.packet);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    url: (host = '127.0.0.1') => `https://${host}:${port}${dnsPath}`,
    get requests() {
      return requests;
    },
    get sessions() {
      return sessionCount;
    },
    wireIds,
    goawayAll() {
      for (const s of sessions) s.goaway();
    },
    setHttpFault(fault) {
      httpFault = fault;
    },
    async close() {
      for (const s of sessions) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface LocalDotServer {
  port: number;
  /** `tls://<host>:<port>`. */
  url(host?: string): string;
  readonly connections: number;
  /** The SNI names clients sent. */
  readonly serverNames: (string | false)[];
  close(): Promise<void>;
}

export async function startDotServer(stub: StubDnsServer, ca: TestCa): Promise<LocalDotServer> {
  const sockets = new Set<tls.TLSSocket>();
  const serverNames: (string | false)[] = [];
  let connections = 0;
  const server = tls.createServer({ key: ca.serverKey, cert: ca.serverCert }, (socket) => {
    connections++;
    serverNames.push(socket.servername ?? false);
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2) {
        const len = buffered.readUInt16BE(0);
        if (buffered.length < 2 + len) break;
        const query = Buffer.from(buffered.subarray(2, 2 + len));
        buffered = buffered.subarray(2 + len);
        void stub.respond(query, 'direct').then((replies) => {
          for (const reply of replies)
            if (!reply.fromOtherPort && !socket.destroyed) socket.write(frame(reply.packet));
        });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    url: (host = '127.0.0.1') => `tls://${host}:${port}`,
    get connections() {
      return connections;
    },
    serverNames,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
