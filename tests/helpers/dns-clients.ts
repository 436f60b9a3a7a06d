/**
 * Independent DNS clients for the DNS engine's tests: dig and kdig run as child processes (never the
 * sync variants: the server under test lives in this process and must keep answering), and raw UDP/TCP
 * exchanges for hand-made packets.
 */
import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import net from 'node:net';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface DigResult {
  status: string;
  flags: string[];
  answers: Array<{ name: string; ttl: number; type: string; data: string }>;
  authority: Array<{ name: string; ttl: number; type: string; data: string }>;
  ede: string | null;
  raw: string;
}

function section(
  text: string,
  title: string,
): Array<{ name: string; ttl: number; type: string; data: string }> {
  const start = text.indexOf(`;; ${title} SECTION:`);
  if (start < 0) return [];
  const lines = text.slice(start).split('\n').slice(1);
  const out = [];
  for (const line of lines) {
    if (line.trim() === '' || line.startsWith(';;')) break;
    const [name, ttl, , type, ...data] = line.split(/\s+/);
    out.push({ name: name!, ttl: Number(ttl), type: type!, data: data.join(' ') });
  }
  return out;
}

export function parseDig(raw: string): DigResult {
  const status = /status: ([A-Z]+)/.exec(raw)?.[1] ?? 'NONE';
  const flags = (/;; flags: ([a-z ]+);/.exec(raw)?.[1] ?? '').trim().split(/\s+/);
  const ede = /; EDE: (.*)/.exec(raw)?.[1] ?? null;
  return { status, flags, answers: section(raw, 'ANSWER'), authority: section(raw, 'AUTHORITY'), ede, raw };
}

/** dig @server -p port name type [+options]; bounded to a few seconds. */
export async function dig(
  port: number,
  name: string,
  type = 'A',
  options: string[] = [],
  server = '127.0.0.1',
): Promise<DigResult> {
  const args = [`@${server}`, '-p', String(port), name, type, '+time=2', '+tries=1', ...options];
  const { stdout } = await run('dig', args, { timeout: 15_000 }).catch((error: { stdout?: string }) => ({
    stdout: error.stdout ?? '',
  }));
  return parseDig(stdout);
}

/** The same through kdig (Knot's client), a second independent implementation. */
export async function kdig(
  port: number,
  name: string,
  type = 'A',
  options: string[] = [],
): Promise<DigResult> {
  const args = [`@127.0.0.1`, '-p', String(port), name, type, '+time=2', '+retry=0', ...options];
  const { stdout } = await run('kdig', args, { timeout: 15_000 }).catch((error: { stdout?: string }) => ({
    stdout: error.stdout ?? '',
  }));
  const result = parseDig(stdout);
  const status = /status: ([A-Z]+)/.exec(stdout)?.[1];
  const flags = /Flags: ([a-z ]+);/.exec(stdout)?.[1];
  return {
    ...result,
    status: status ?? result.status,
    flags: flags ? flags.trim().split(/\s+/) : result.flags,
  };
}

/** Sends one UDP packet and waits up to `waitMs` for one answer (null when none comes). */
export function udpExchange(
  port: number,
  packet: Buffer,
  waitMs = 1000,
  host = '127.0.0.1',
): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
    const timer = setTimeout(() => done(null), waitMs);
    function done(answer: Buffer | null): void {
      clearTimeout(timer);
      socket.close();
      resolve(answer);
    }
    socket.on('message', (msg) => done(msg));
    socket.on('error', () => done(null));
    socket.send(packet, port, host);
  });
}

/** A TCP connection that sends frames and collects framed answers. */
export class TcpDnsClient {
  readonly answers: Buffer[] = [];
  closed = false;
  private buffer = Buffer.alloc(0);
  private waiters: Array<() => void> = [];

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      while (this.buffer.length >= 2 && this.buffer.length >= this.buffer.readUInt16BE(0) + 2) {
        const len = this.buffer.readUInt16BE(0);
        this.answers.push(this.buffer.subarray(2, len + 2));
        this.buffer = this.buffer.subarray(len + 2);
      }
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => {});
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** `localAddress` picks the source (127.0.0.2, 127.0.0.3 … are distinct clients to the server). */
  static connect(port: number, host = '127.0.0.1', localAddress?: string): Promise<TcpDnsClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host, ...(localAddress ? { localAddress } : {}) }, () =>
        resolve(new TcpDnsClient(socket)),
      );
      socket.once('error', reject);
    });
  }

  send(packet: Buffer): void {
    const framed = Buffer.alloc(packet.length + 2);
    framed.writeUInt16BE(packet.length, 0);
    packet.copy(framed, 2);
    this.socket.write(framed);
  }

  /** Waits until `n` answers arrived or the connection closed, at most `timeoutMs`. */
  async waitFor(n: number, timeoutMs = 3000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.answers.length < n && !this.closed && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Waits for the server to close the connection, at most `timeoutMs`. */
  async waitClosed(timeoutMs = 3000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.closed;
  }

  close(): void {
    this.socket.destroy();
  }
}
