/**
 * A small open-loop UDP load generator for the resilience tests (soak, kill -9 under load, storage
 * faults): several loopback source addresses (distinct clients to tracksink), queries sent at a set rate,
 * every answer matched to its query by socket and ID, and the queries left unanswered after a timeout
 * kept by name. Node rather than dnsperf so the test knows exactly which query went unanswered.
 */
import dgram from 'node:dgram';
import { buildQuery } from '../../helpers/upstream/dns-message.js';

export interface QueryPick {
  name: string;
  qtype: number;
}

export interface SentQuery {
  name: string;
  sentAt: number;
}

export interface LoadStats {
  sent: number;
  answered: number;
  /** Queries with no answer within the timeout (UDP loopback does not lose packets at these rates). */
  unanswered: SentQuery[];
  /** Answers whose content `check` rejected. */
  wrong: Array<SentQuery & { why: string }>;
  maxLatencyMs: number;
}

export interface LoadClientOptions {
  port: number;
  /** Source addresses, e.g. 127.0.0.10 … (each is one device to tracksink). */
  sources: string[];
  /** An answer not back after this long counts as unanswered (default 3 s). */
  timeoutMs?: number;
  /** Checks an answer; returns why it is wrong, or null. */
  check?: (name: string, answer: Buffer) => string | null;
  /** Called for each answer (e.g. to note when a numbered query was answered). */
  onAnswer?: (name: string, answeredAt: number) => void;
}

interface Pending extends SentQuery {
  id: number;
}

export class UdpLoadClient {
  readonly stats: LoadStats = { sent: 0, answered: 0, unanswered: [], wrong: [], maxLatencyMs: 0 };
  private readonly sockets: dgram.Socket[] = [];
  private readonly pending: Array<Map<number, Pending>> = [];
  private readonly nextId: number[] = [];
  private next = 0;
  private sweeper: NodeJS.Timeout | null = null;

  private constructor(private readonly options: LoadClientOptions) {}

  static async open(options: LoadClientOptions): Promise<UdpLoadClient> {
    const client = new UdpLoadClient(options);
    for (const source of options.sources) await client.bind(source);
    client.sweeper = setInterval(() => client.sweep(Date.now()), 250);
    return client;
  }

  private async bind(source: string): Promise<void> {
    const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 << 20, sendBufferSize: 1 << 20 });
    const index = this.sockets.length;
    const pending = new Map<number, Pending>();
    socket.on('message', (message) => this.onMessage(pending, message));
    socket.on('error', () => {
      // A send error (e.g. the server is gone) shows up as an unanswered query.
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, source, () => resolve());
    });
    this.sockets.push(socket);
    this.pending.push(pending);
    this.nextId.push((index * 7919) & 0xffff);
  }

  /** Sends one query from the next source address (round robin). */
  send(name: string, qtype = 1): void {
    const index = this.next++ % this.sockets.length;
    const pending = this.pending[index]!;
    let id = this.nextId[index]!;
    // Skip IDs still waiting (only possible with > 65,000 queries in flight on one socket).
    while (pending.has(id)) id = (id + 1) & 0xffff;
    this.nextId[index] = (id + 1) & 0xffff;
    const sentAt = Date.now();
    pending.set(id, { id, name, sentAt });
    this.stats.sent++;
    this.sockets[index]!.send(buildQuery(name, qtype, { id }), this.options.port, '127.0.0.1');
  }

  /**
   * Sends `perSecond` queries a second for `durationMs`, names from `pick(i)`, in 10 ms steps that
   * catch up on timer lateness so the average rate holds on a busy machine.
   */
  async run(perSecond: number, durationMs: number, pick: (i: number) => QueryPick): Promise<void> {
    const started = Date.now();
    let sent = 0;
    for (;;) {
      const elapsed = Math.min(Date.now() - started, durationMs);
      const due = Math.floor((perSecond * elapsed) / 1000);
      while (sent < due) {
        const { name, qtype } = pick(sent++);
        this.send(name, qtype);
      }
      if (elapsed >= durationMs) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /**
   * Sends `total` queries as fast as they are answered, never more than `inFlight` waiting: a burst that
   * adapts to a busy machine instead of overflowing socket buffers (open-loop rates would).
   */
  async runClosed(total: number, inFlight: number, pick: (i: number) => QueryPick): Promise<void> {
    let sent = 0;
    while (sent < total) {
      const waiting = this.stats.sent - this.stats.answered - this.stats.unanswered.length;
      for (let room = inFlight - waiting; room > 0 && sent < total; room--) {
        const { name, qtype } = pick(sent++);
        this.send(name, qtype);
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** Waits until every query is answered or timed out. */
  async settle(): Promise<void> {
    const limit = Date.now() + (this.options.timeoutMs ?? 3000) + 1000;
    while (this.pending.some((p) => p.size > 0) && Date.now() < limit) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    this.sweep(Number.POSITIVE_INFINITY);
  }

  close(): void {
    if (this.sweeper !== null) clearInterval(this.sweeper);
    for (const socket of this.sockets) socket.close();
  }

  private onMessage(pending: Map<number, Pending>, message: Buffer): void {
    if (message.length < 12) return;
    const query = pending.get(message.readUInt16BE(0));
    if (query === undefined) return;
    pending.delete(query.id);
    const now = Date.now();
    this.stats.answered++;
    this.stats.maxLatencyMs = Math.max(this.stats.maxLatencyMs, now - query.sentAt);
    const why = this.options.check?.(query.name, message) ?? null;
    if (why !== null) this.stats.wrong.push({ name: query.name, sentAt: query.sentAt, why });
    this.options.onAnswer?.(query.name, now);
  }

  private sweep(now: number): void {
    const cutoff = now - (this.options.timeoutMs ?? 3000);
    for (const pending of this.pending) {
      for (const [id, query] of pending) {
        if (query.sentAt > cutoff) continue;
        pending.delete(id);
        this.stats.unanswered.push({ name: query.name, sentAt: query.sentAt });
      }
    }
  }
}

/** Loopback source addresses 127.0.0.<first> … (each a distinct client to tracksink). */
export function loopbackSources(first: number, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `127.0.0.${first + i}`);
}
