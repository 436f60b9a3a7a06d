/**
 * DNS over HTTPS (RFC 8484): POST application/dns-message over one kept-alive HTTP/2 session per
 * upstream (node:http2), many queries as concurrent streams. The wire ID is 0 as the RFC recommends (it
 * makes identical questions cacheable by HTTP caches) and the caller's ID is restored on the answer.
 * A session that ends (GOAWAY, error, idle) is dropped and the next query opens a new one; a query
 * caught by the end of its session is sent once more on the new session.
 */
import http2 from 'node:http2';
import net from 'node:net';
import tls from 'node:tls';
import type { HostResolver } from './bootstrap.js';
import { secureContextWith } from './dot-client.js';
import type { MismatchListener, UpstreamTransport } from './transport.js';
import { TransportClosedError, UpstreamTimeoutError, withTimeout } from './transport.js';
import { MAX_MESSAGE_SIZE, answersQuestion, questionEnd, readId, withId } from './wire.js';

export interface DohClientOptions {
  host: string;
  port: number;
  /** Request path, e.g. "/dns-query". */
  path: string;
  label: string;
  resolver: HostResolver;
  /** Extra trusted CA certificates (PEM) added to Node's trust store. */
  ca?: string | string[];
  onMismatch?: MismatchListener;
  /** Close the session after this long without a request. */
  idleTimeoutMs?: number;
}

const DNS_MESSAGE = 'application/dns-message';

class DohRequestError extends Error {
  constructor(
    message: string,
    /** True when the request may be sent again on a fresh session (it never got a response). */
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

export class DohClient implements UpstreamTransport {
  private session: http2.ClientHttp2Session | null = null;
  private connecting: Promise<http2.ClientHttp2Session> | null = null;
  private readonly sessions = new Set<http2.ClientHttp2Session>();
  private closed = false;
  private sessionCount = 0;

  constructor(private readonly options: DohClientOptions) {}

  get sessionsOpened(): number {
    return this.sessionCount;
  }

  async exchange(query: Buffer, timeoutMs: number): Promise<Buffer> {
    if (this.closed) throw new TransportClosedError(this.options.label);
    const qEnd = questionEnd(query);
    if (qEnd < 0)
      throw new Error(`${this.options.label}: refusing to send a query without exactly one valid question`);
    const deadline = Date.now() + timeoutMs;
    const wire = withId(query, 0);
    let lastError: Error | null = null;
    for (let attempt = 0; attempt < 2; attempt++) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) break;
      try {
        const answer = await this.request(wire, qEnd, remaining, timeoutMs);
        answer.writeUInt16BE(readId(query), 0);
        return answer;
      } catch (error) {
        lastError = error as Error;
        if (!(error instanceof DohRequestError && error.retryable) || this.closed) throw error;
      }
    }
    throw lastError ?? new UpstreamTimeoutError(this.options.label, timeoutMs);
  }

  private async request(wire: Buffer, qEnd: number, remainingMs: number, timeoutMs: number): Promise<Buffer> {
    // Bounded: the bootstrap lookup and the TLS handshake count against this query's time too.
    const session = await withTimeout(this.getSession(remainingMs), remainingMs, this.options.label);
    return new Promise<Buffer>((resolve, reject) => {
      let settled = false;
      const finish = (error: Error | null, answer?: Buffer) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (error) reject(error);
        else resolve(answer!);
      };
      let stream: http2.ClientHttp2Stream;
      try {
        stream = session.request({
          ':method': 'POST',
          ':path': this.options.path,
          'content-type': DNS_MESSAGE,
          accept: DNS_MESSAGE,
          'content-length': wire.length,
        });
      } catch (error) {
        // The session went away between getSession and here (e.g. GOAWAY just arrived).
        this.drop(session);
        settled = true;
        reject(new DohRequestError(`${this.options.label}: ${(error as Error).message}`, true));
        return;
      }
      const timer = setTimeout(() => {
        stream.close(http2.constants.NGHTTP2_CANCEL);
        finish(new UpstreamTimeoutError(this.options.label, timeoutMs));
      }, remainingMs);
      let status = 0;
      let contentType = '';
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on('response', (headers) => {
        status = Number(headers[':status']);
        contentType = String(headers['content-type'] ?? '');
      });
      stream.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_MESSAGE_SIZE) {
          stream.close(http2.constants.NGHTTP2_CANCEL);
          finish(
            new DohRequestError(`${this.options.label}: answer larger than ${MAX_MESSAGE_SIZE} bytes`, false),
          );
          return;
        }
        chunks.push(chunk);
      });
      stream.on('end', () => {
        if (status !== 200) {
          finish(new DohRequestError(`${this.options.label}: HTTP status ${status || 'none'}`, status === 0));
          return;
        }
        if (!contentType.toLowerCase().startsWith(DNS_MESSAGE)) {
          finish(
            new DohRequestError(
              `${this.options.label}: content-type "${contentType}" is not ${DNS_MESSAGE}`,
              false,
            ),
          );
          return;
        }
        const answer = Buffer.concat(chunks);
        if (answer.length < 12 || readId(answer) !== 0 || !answersQuestion(wire, qEnd, answer)) {
          this.options.onMismatch?.();
          finish(new DohRequestError(`${this.options.label}: answer does not match the question`, false));
          return;
        }
        finish(null, answer);
      });
      stream.on('error', (error) => {
        // Stream errors before a response (refused stream after GOAWAY, session reset) are retryable.
        finish(new DohRequestError(`${this.options.label}: ${error.message}`, status === 0));
      });
      stream.on('close', () => {
        finish(new DohRequestError(`${this.options.label}: stream closed before the answer`, status === 0));
      });
      stream.end(wire);
    });
  }

  private getSession(timeoutMs: number): Promise<http2.ClientHttp2Session> {
    const current = this.session;
    if (current && !current.closed && !current.destroyed) return Promise.resolve(current);
    this.connecting ??= this.openSession(timeoutMs).finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  private async openSession(timeoutMs: number): Promise<http2.ClientHttp2Session> {
    const { host, port, label } = this.options;
    const address = await this.options.resolver.resolve(host);
    const authority = net.isIPv6(host) ? `[${host}]` : host;
    const session = http2.connect(`https://${authority}:${port}`, {
      createConnection: () =>
        tls.connect({
          host: address,
          port,
          // SNI and the certificate check use the configured name, not the bootstrap address.
          servername: net.isIP(host) ? undefined : host,
          checkServerIdentity: (_name, cert) => tls.checkServerIdentity(host, cert),
          secureContext: secureContextWith(this.options.ca),
          ALPNProtocols: ['h2'],
        }),
    });
    this.sessions.add(session);
    session.on('goaway', () => this.drop(session));
    session.on('close', () => {
      this.sessions.delete(session);
      this.drop(session);
    });
    session.setTimeout(this.options.idleTimeoutMs ?? 60_000, () => session.close());
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        session.destroy();
        reject(new Error(`${label}: could not connect within ${timeoutMs} ms`));
      }, timeoutMs);
      session.once('connect', () => {
        clearTimeout(timer);
        session.off('error', onError);
        session.on('error', () => this.drop(session));
        resolve();
      });
      const onError = (error: Error) => {
        clearTimeout(timer);
        session.destroy();
        reject(new Error(`${label}: ${error.message}`));
      };
      session.once('error', onError);
    });
    this.sessionCount++;
    if (this.closed) {
      session.destroy();
      throw new TransportClosedError(label);
    }
    this.session = session;
    return session;
  }

  private drop(session: http2.ClientHttp2Session): void {
    if (this.session === session) this.session = null;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.session = null;
    await this.connecting?.catch(() => undefined);
    const closing = [...this.sessions].map(
      (session) =>
        new Promise<void>((resolve) => {
          if (session.destroyed) return resolve();
          session.once('close', () => resolve());
          session.destroy();
        }),
    );
    await Promise.all(closing);
    this.sessions.clear();
  }
}
