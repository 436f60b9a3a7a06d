/**
 * Plain DNS over UDP to one upstream address.
 *
 * Defences against off-path spoofing (RFC 5452): every query gets a random ID and goes out from one of a
 * few sockets bound to random ports; each socket is replaced by a fresh one (new random port) after a
 * number of queries, so no source port stays in use for long. Sockets are connected to the upstream, so
 * the kernel drops datagrams from any other address/port; the handler checks the source again and then
 * the ID and the question. Anything that does not match is counted and ignored while the query keeps
 * waiting for the real answer. A truncated answer (TC=1) is retried over TCP.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import type { MismatchListener, UpstreamTransport } from './transport.js';
import { TransportClosedError, UpstreamTimeoutError } from './transport.js';
import { HEADER_SIZE, answersQuestion, isTruncated, questionEnd, randomId, readId, withId } from './wire.js';

export interface UdpClientOptions {
  /** IP literal of the upstream. */
  host: string;
  port: number;
  /** Name used in errors and logs, e.g. "udp://192.0.2.53:53". */
  label: string;
  onMismatch?: MismatchListener;
  /** Sockets open at once, each on its own random port. */
  sockets?: number;
  /** Queries one socket sends before it is replaced by a socket on a new random port. */
  queriesPerSocket?: number;
  /** Transport for the TCP retry of truncated answers (made on first use). */
  tcpFallback?: () => UpstreamTransport;
}

interface Pending {
  callerId: number;
  query: Buffer;
  questionEnd: number;
  deadline: number;
  timer: NodeJS.Timeout;
  resolve(answer: Buffer): void;
  reject(error: Error): void;
}

class PortSocket {
  readonly socket: dgram.Socket;
  readonly ready: Promise<void>;
  readonly pending = new Map<number, Pending>();
  sent = 0;
  /** Queries that picked this socket and have not finished (some may still wait for it to bind). */
  inUse = 0;
  retired = false;
  closed = false;

  constructor(
    private readonly client: UdpClient,
    host: string,
    port: number,
  ) {
    this.socket = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
    this.socket.on('message', (msg, rinfo) => client.onMessage(this, msg, rinfo));
    // ICMP port unreachable on a connected socket arrives here (ECONNREFUSED): the upstream is not
    // listening, so fail what waits on this socket now instead of at its timeout.
    this.socket.on('error', (error) => this.failAll(error));
    this.ready = new Promise<void>((resolve, reject) => {
      this.socket.once('error', reject);
      // Port 0: the kernel picks a random ephemeral port.
      this.socket.bind(0, () => this.socket.connect(port, host, () => resolve()));
    });
    // A socket that could not bind/connect (e.g. out of file descriptors) is closed, so the next
    // query replaces it instead of waiting on it forever.
    this.ready.catch(() => this.close());
  }

  failAll(error: Error): void {
    for (const [id, pending] of this.pending) {
      clearTimeout(pending.timer);
      this.pending.delete(id);
      pending.reject(error);
    }
    this.client.maybeClose(this);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.socket.close();
    } catch {
      // Already closed by an error: nothing to release.
    }
  }
}

export class UdpClient implements UpstreamTransport {
  private readonly slots: PortSocket[] = [];
  private readonly retiring = new Set<PortSocket>();
  private readonly socketCount: number;
  private readonly queriesPerSocket: number;
  private tcp: UpstreamTransport | null = null;
  private closed = false;

  constructor(private readonly options: UdpClientOptions) {
    if (!net.isIP(options.host))
      throw new Error(`${options.label}: UDP needs an IP address, got "${options.host}"`);
    this.socketCount = options.sockets ?? 4;
    this.queriesPerSocket = options.queriesPerSocket ?? 128;
  }

  async exchange(query: Buffer, timeoutMs: number): Promise<Buffer> {
    if (this.closed) throw new TransportClosedError(this.options.label);
    const qEnd = questionEnd(query);
    if (qEnd < 0)
      throw new Error(`${this.options.label}: refusing to send a query without exactly one valid question`);
    const deadline = Date.now() + timeoutMs;
    const slot = this.pickSocket();
    let answer: Buffer;
    try {
      answer = await this.sendOn(slot, query, qEnd, deadline, timeoutMs);
    } finally {
      slot.inUse--;
      this.maybeClose(slot);
    }
    if (!isTruncated(answer)) return answer;
    // RFC 7766: a truncated answer is asked again over TCP, within what is left of the time.
    this.tcp ??= this.options.tcpFallback?.() ?? null;
    if (!this.tcp) return answer;
    return this.tcp.exchange(query, Math.max(1, deadline - Date.now()));
  }

  private async sendOn(
    slot: PortSocket,
    query: Buffer,
    qEnd: number,
    deadline: number,
    timeoutMs: number,
  ): Promise<Buffer> {
    await slot.ready;
    if (this.closed || slot.closed) throw new TransportClosedError(this.options.label);
    let id = randomId();
    while (slot.pending.has(id)) id = randomId();
    return new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(
        () => {
          slot.pending.delete(id);
          reject(new UpstreamTimeoutError(this.options.label, timeoutMs));
        },
        Math.max(1, deadline - Date.now()),
      );
      slot.pending.set(id, {
        callerId: readId(query),
        query,
        questionEnd: qEnd,
        deadline,
        timer,
        resolve,
        reject,
      });
      slot.socket.send(withId(query, id), (error) => {
        if (!error) return;
        const pending = slot.pending.get(id);
        if (!pending) return;
        clearTimeout(pending.timer);
        slot.pending.delete(id);
        reject(error);
      });
    });
  }

  /** Called by a socket for every datagram it receives. */
  onMessage(slot: PortSocket, msg: Buffer, rinfo: dgram.RemoteInfo): void {
    // The socket is connected, so the kernel already filtered the source; check again anyway.
    if (
      rinfo.port !== this.options.port ||
      !sameAddress(rinfo.address, this.options.host) ||
      msg.length < HEADER_SIZE
    ) {
      this.options.onMismatch?.();
      return;
    }
    const id = readId(msg);
    const pending = slot.pending.get(id);
    if (!pending || !answersQuestion(pending.query, pending.questionEnd, msg)) {
      this.options.onMismatch?.();
      return;
    }
    clearTimeout(pending.timer);
    slot.pending.delete(id);
    // dgram hands us a fresh buffer per datagram: setting the caller's ID in place is safe.
    msg.writeUInt16BE(pending.callerId, 0);
    pending.resolve(msg);
    this.maybeClose(slot);
  }

  /** Closes a retired socket once nothing waits on it any more. */
  maybeClose(slot: PortSocket): void {
    if (slot.retired && slot.inUse === 0 && slot.pending.size === 0) {
      this.retiring.delete(slot);
      slot.close();
    }
  }

  private pickSocket(): PortSocket {
    const index = Math.floor(Math.random() * this.socketCount);
    let slot = this.slots[index];
    if (!slot || slot.sent >= this.queriesPerSocket || slot.closed) {
      if (slot) {
        // Retire it (new random port for what follows); it closes when its last answer is in.
        slot.retired = true;
        this.retiring.add(slot);
        this.maybeClose(slot);
      }
      slot = new PortSocket(this, this.options.host, this.options.port);
      this.slots[index] = slot;
    }
    slot.sent++;
    slot.inUse++;
    return slot;
  }

  /** Source ports currently in use (tests check that they are random and rotate). */
  localPorts(): number[] {
    const ports: number[] = [];
    for (const slot of this.allSockets()) {
      try {
        ports.push(slot.socket.address().port);
      } catch {
        // Not bound yet.
      }
    }
    return ports;
  }

  private allSockets(): PortSocket[] {
    // `slots` is filled lazily by index, so it may have holes.
    return [...this.slots.filter((slot) => slot !== undefined), ...this.retiring];
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const slot of this.allSockets()) {
      slot.failAll(new TransportClosedError(this.options.label));
      slot.close();
    }
    this.slots.length = 0;
    this.retiring.clear();
    await this.tcp?.close();
  }
}

function sameAddress(a: string, b: string): boolean {
  if (a === b) return true;
  // Normalise IPv6 spellings (e.g. "::1" vs "0:0:0:0:0:0:0:1") through the URL parser.
  if (net.isIPv6(a) && net.isIPv6(b))
    return new URL(`http://[${a}]`).hostname === new URL(`http://[${b}]`).hostname;
  return false;
}
