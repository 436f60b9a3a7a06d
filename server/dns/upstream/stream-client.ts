/**
 * DNS over a byte stream (TCP, RFC 7766, and TLS, RFC 7858): one kept-alive connection per upstream,
 * queries pipelined on it with two-byte length framing and matched to answers by ID and question (the
 * upstream may answer out of order). A connection that closes under waiting queries is replaced and
 * those queries are sent again once (servers close idle connections at any time). Idle connections are
 * closed after a while so a quiet home network holds no sockets open for nothing.
 */
import type { Socket } from 'node:net';
import type { MismatchListener, UpstreamTransport } from './transport.js';
import { TransportClosedError, UpstreamTimeoutError } from './transport.js';
import { answersQuestion, frameMessage, questionEnd, randomId, readId, withId } from './wire.js';

export interface StreamClientOptions {
  label: string;
  /**
   * Opens a connection to the upstream and resolves once it can carry queries (TCP connected, TLS
   * handshake done and certificate checked). Must destroy the socket itself if it gives up.
   */
  connect(timeoutMs: number): Promise<Socket>;
  onMismatch?: MismatchListener;
  /** Close the connection after this long without a query in flight. */
  idleTimeoutMs?: number;
}

interface Pending {
  callerId: number;
  query: Buffer;
  questionEnd: number;
  deadline: number;
  /** Times this query was sent; a query is sent again at most once after a connection loss. */
  sends: number;
  connection: StreamConnection | null;
  wireId: number;
  timer: NodeJS.Timeout;
  resolve(answer: Buffer): void;
  reject(error: Error): void;
}

class StreamConnection {
  readonly pending = new Map<number, Pending>();
  private buffered: Buffer = Buffer.alloc(0);
  closed = false;

  constructor(
    readonly socket: Socket,
    private readonly onAnswer: (connection: StreamConnection, message: Buffer) => void,
    onClose: (connection: StreamConnection) => void,
    idleTimeoutMs: number,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => undefined); // 'close' follows and handles the waiting queries.
    socket.on('close', () => {
      this.closed = true;
      onClose(this);
    });
    socket.setTimeout(idleTimeoutMs, () => {
      if (this.pending.size === 0) socket.destroy();
    });
  }

  send(pending: Pending): void {
    let id = randomId();
    while (this.pending.has(id)) id = randomId();
    pending.wireId = id;
    pending.connection = this;
    pending.sends++;
    this.pending.set(id, pending);
    this.socket.write(frameMessage(withId(pending.query, id)));
  }

  private onData(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    while (this.buffered.length >= 2) {
      const length = this.buffered.readUInt16BE(0);
      if (this.buffered.length < 2 + length) break;
      const message = Buffer.from(this.buffered.subarray(2, 2 + length));
      this.buffered = this.buffered.subarray(2 + length);
      this.onAnswer(this, message);
    }
  }

  destroy(): void {
    this.socket.destroy();
  }
}

export class StreamClient implements UpstreamTransport {
  private connection: StreamConnection | null = null;
  private connecting: Promise<StreamConnection> | null = null;
  private closed = false;
  private connectionCount = 0;

  constructor(private readonly options: StreamClientOptions) {}

  /** Connections opened so far (tests check reuse). */
  get connectionsOpened(): number {
    return this.connectionCount;
  }

  exchange(query: Buffer, timeoutMs: number): Promise<Buffer> {
    if (this.closed) return Promise.reject(new TransportClosedError(this.options.label));
    const qEnd = questionEnd(query);
    if (qEnd < 0) {
      return Promise.reject(
        new Error(`${this.options.label}: refusing to send a query without exactly one valid question`),
      );
    }
    return new Promise<Buffer>((resolve, reject) => {
      const pending: Pending = {
        callerId: readId(query),
        query,
        questionEnd: qEnd,
        deadline: Date.now() + timeoutMs,
        sends: 0,
        connection: null,
        wireId: -1,
        timer: setTimeout(() => {
          this.forget(pending);
          reject(new UpstreamTimeoutError(this.options.label, timeoutMs));
        }, timeoutMs),
        resolve,
        reject,
      };
      this.dispatch(pending);
    });
  }

  private dispatch(pending: Pending): void {
    this.getConnection(Math.max(1, pending.deadline - Date.now())).then(
      (connection) => {
        if (pending.deadline <= Date.now()) return; // timed out while connecting
        if (connection.closed) {
          pending.sends++; // counts as an attempt, so a server that hangs up at once cannot make us loop
          return this.retryOrFail(pending, new Error(`${this.options.label}: connection closed`));
        }
        connection.send(pending);
      },
      (error: Error) => {
        clearTimeout(pending.timer);
        pending.reject(error);
      },
    );
  }

  private getConnection(timeoutMs: number): Promise<StreamConnection> {
    if (this.connection && !this.connection.closed) return Promise.resolve(this.connection);
    this.connecting ??= this.options
      .connect(timeoutMs)
      .then((socket) => {
        this.connectionCount++;
        const connection = new StreamConnection(
          socket,
          (c, message) => this.onAnswer(c, message),
          (c) => this.onConnectionClose(c),
          this.options.idleTimeoutMs ?? 30_000,
        );
        if (this.closed) connection.destroy();
        this.connection = connection;
        return connection;
      })
      .finally(() => {
        this.connecting = null;
      });
    return this.connecting;
  }

  private onAnswer(connection: StreamConnection, message: Buffer): void {
    if (message.length < 12) return this.options.onMismatch?.();
    const pending = connection.pending.get(readId(message));
    if (!pending || !answersQuestion(pending.query, pending.questionEnd, message))
      return this.options.onMismatch?.();
    connection.pending.delete(pending.wireId);
    clearTimeout(pending.timer);
    message.writeUInt16BE(pending.callerId, 0);
    pending.resolve(message);
  }

  private onConnectionClose(connection: StreamConnection): void {
    if (this.connection === connection) this.connection = null;
    const waiting = [...connection.pending.values()];
    connection.pending.clear();
    for (const pending of waiting) {
      pending.connection = null;
      this.retryOrFail(pending, new Error(`${this.options.label}: connection closed before the answer`));
    }
  }

  private retryOrFail(pending: Pending, error: Error): void {
    if (!this.closed && pending.sends < 2 && pending.deadline > Date.now()) {
      this.dispatch(pending);
      return;
    }
    clearTimeout(pending.timer);
    pending.reject(this.closed ? new TransportClosedError(this.options.label) : error);
  }

  private forget(pending: Pending): void {
    if (pending.connection?.pending.get(pending.wireId) === pending)
      pending.connection.pending.delete(pending.wireId);
  }

  async close(): Promise<void> {
    this.closed = true;
    const connection = this.connection;
    this.connection = null;
    if (connection) {
      const closed = new Promise<void>((resolve) => connection.socket.once('close', () => resolve()));
      connection.destroy();
      if (!connection.closed) await closed;
    }
    if (this.connecting) {
      await this.connecting.then(
        (c) => c.destroy(),
        () => undefined,
      );
    }
  }
}
