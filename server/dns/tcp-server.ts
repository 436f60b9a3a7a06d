/**
 * DNS over TCP (RFC 7766): two-byte length framing, pipelined queries answered as each completes, an idle
 * timeout, limits on connections in total and per client, and bounded memory per connection: a length of
 * zero or over MAX_QUERY_LENGTH closes the connection, and a client that does not read its answers stops
 * being read from (and is closed by the idle timeout if it never drains).
 *
 * "Idle" means no progress: no complete query read and no answer sent for tcpIdleTimeoutMs while nothing
 * waits upstream. Raw bytes do not count, so a client trickling one frame a byte at a time (slowloris)
 * is closed as surely as a silent one, and so is one that stopped reading (we stopped reading it too).
 */
import type { AddressInfo, ListenOptions } from 'node:net';
import { type Server, type Socket, createServer } from 'node:net';
import type { Config } from '../config/schema.js';
import { Protocol } from '../events/query-event.js';
import type { Logger } from '../logger.js';
import { describeBindError } from './bind-error.js';
import { unmapAddress } from './stages/address-ranges.js';
import { PENDING, type Pipeline, type Responder } from './pipeline.js';
import type { DnsStats } from './stats.js';
import { sharedTcpListenOptions } from './tcp-port-sharing.js';

/** The largest query we accept: a real query with EDNS options is a few hundred bytes. */
export const MAX_QUERY_LENGTH = 4096;
/** Stop reading a connection while this many of its queries are still waiting for upstream. */
const MAX_IN_FLIGHT = 64;
/** Stop reading while this many answer bytes wait for the client to read them. */
const MAX_UNREAD_ANSWER_BYTES = 256 * 1024;
/** Query bytes held back (read but not yet answered) per connection while it is congested. */
const MAX_HELD_BYTES = 256 * 1024;

interface Connection {
  socket: Socket;
  address: string;
  /** The ClientID the connection named (DoT server name), or null: the device is found by address. */
  clientId: string | null;
  /** DNS access control allows the address: only then may an unknown ClientID become a new device. */
  allowed: boolean;
  pending: Buffer | null;
  inFlight: number;
  closed: boolean;
  /** The client half-closed (sent FIN): finish its in-flight answers, then close. */
  ended: boolean;
  /** Closes the connection after tcpIdleTimeoutMs without progress; refreshed on each query and answer. */
  idle: NodeJS.Timeout | null;
}

export interface TcpServer {
  address: AddressInfo;
  connections(): number;
  close(): Promise<void>;
}

export type TcpLimits = Pick<
  Config['dns'],
  'tcpIdleTimeoutMs' | 'tcpMaxConnections' | 'tcpMaxConnectionsPerClient'
>;

/** Where a stream transport finds the device a ClientID names (devices/client-id-directory.ts). */
export interface ClientIdResolver {
  /** -1 when the ClientID is unknown and `mayCreate` is false (an address outside DNS access control). */
  deviceIdFor(clientId: string, mayCreate?: boolean): number;
}

/**
 * DNS over any accepted stream socket: the framing, flow control, idle timeout and connection limits
 * above. Plain TCP and DNS-over-TLS (dot-server.ts, which hands over sockets after the handshake) share it.
 */
export interface StreamHandler {
  /** Serves one connection; `clientId` (valid, lower case) names its device instead of its address. */
  accept(socket: Socket, clientId?: string | null): void;
  connections(): number;
  /** Destroys every open connection. */
  closeAll(): void;
}

export function createStreamHandler(opts: {
  pipeline: Pipeline;
  limits: TcpLimits;
  logger: Logger;
  stats: DnsStats;
  protocol: Protocol;
  clientIds?: ClientIdResolver;
}): StreamHandler {
  const { pipeline, limits, logger, stats, protocol, clientIds } = opts;
  const open = new Set<Connection>();
  const perClient = new Map<string, number>();

  function write(conn: Connection, answer: Buffer): void {
    if (conn.closed) return;
    const framed = Buffer.allocUnsafe(answer.length + 2);
    framed.writeUInt16BE(answer.length, 0);
    answer.copy(framed, 2);
    conn.socket.write(framed);
  }

  function congested(conn: Connection): boolean {
    return conn.inFlight >= MAX_IN_FLIGHT || conn.socket.writableLength > MAX_UNREAD_ANSWER_BYTES;
  }

  /** Reads only while the client keeps up: bounded in-flight queries and unread answer bytes. */
  function updateFlow(conn: Connection): void {
    if (conn.closed) return;
    const stop = congested(conn);
    if (stop && !conn.socket.isPaused()) conn.socket.pause();
    else if (!stop && conn.socket.isPaused()) conn.socket.resume();
  }

  const responder: Responder<Connection> = {
    respond(answer, conn) {
      conn.inFlight--;
      write(conn, answer);
      conn.idle?.refresh();
      // Frames held back while this connection was congested go on now.
      processFrames(conn);
    },
  };

  /**
   * Answers the complete frames in conn.pending, stopping (and pausing the socket) while the connection
   * is congested, so neither held queries nor unread answers grow without bound.
   */
  function processFrames(conn: Connection): void {
    if (conn.closed) return;
    let buf = conn.pending;
    conn.pending = null;
    let progressed = false;
    while (buf !== null && buf.length >= 2 && !congested(conn)) {
      const length = (buf[0]! << 8) | buf[1]!;
      if (length === 0 || length > MAX_QUERY_LENGTH) {
        logger.debug({ client: conn.address, length }, 'TCP DNS frame length out of range; closing');
        conn.socket.destroy();
        return;
      }
      if (buf.length < length + 2) break;
      // A copy: the pipeline may keep the query while it waits for upstream.
      const query = Buffer.from(buf.subarray(2, length + 2));
      buf = buf.subarray(length + 2);
      progressed = true;
      const deviceId =
        conn.clientId === null || clientIds === undefined
          ? -1
          : clientIds.deviceIdFor(conn.clientId, conn.allowed);
      const answer = pipeline.handle(query, conn.address, protocol, responder, conn, deviceId);
      if (answer === PENDING) conn.inFlight++;
      else if (answer !== null) write(conn, answer);
      if (conn.closed) return;
    }
    if (buf !== null && buf.length > 0) conn.pending = buf;
    if (progressed) conn.idle?.refresh();
    updateFlow(conn);
    // A client that half-closed gets its last answers, then our FIN.
    if (conn.ended && conn.inFlight === 0 && !hasCompleteFrame(conn.pending)) conn.socket.end();
  }

  function hasCompleteFrame(buf: Buffer | null): boolean {
    return buf !== null && buf.length >= 2 && buf.length >= ((buf[0]! << 8) | buf[1]!) + 2;
  }

  function onData(conn: Connection, chunk: Buffer): void {
    if (conn.pending !== null && conn.pending.length + chunk.length > MAX_QUERY_LENGTH + 2 + MAX_HELD_BYTES) {
      // Only reachable by a client that keeps sending into a paused connection's last chunk.
      conn.socket.destroy();
      return;
    }
    conn.pending = conn.pending === null ? chunk : Buffer.concat([conn.pending, chunk]);
    processFrames(conn);
  }

  function onConnection(socket: Socket, clientId: string | null = null): void {
    const address = unmapAddress(socket.remoteAddress ?? '');
    const fromClient = perClient.get(address) ?? 0;
    if (open.size >= limits.tcpMaxConnections || fromClient >= limits.tcpMaxConnectionsPerClient) {
      stats.tcpConnectionsRejected++;
      socket.destroy();
      return;
    }
    stats.tcpConnections++;
    perClient.set(address, fromClient + 1);
    const conn: Connection = {
      socket,
      address,
      clientId,
      allowed: clientId !== null && pipeline.allows(address),
      pending: null,
      inFlight: 0,
      closed: false,
      ended: false,
      idle: null,
    };
    open.add(conn);
    socket.setNoDelay(true);
    // Not socket.setTimeout: every byte read would reset it. A query waiting upstream (bounded by the
    // upstream timeout) keeps the connection; its answer counts as progress.
    conn.idle = setTimeout(() => {
      if (conn.inFlight > 0) conn.idle?.refresh();
      else socket.destroy();
    }, limits.tcpIdleTimeoutMs).unref();
    socket.on('data', (chunk: Buffer) => {
      try {
        onData(conn, chunk);
      } catch (error) {
        logger.error({ err: error }, 'DNS TCP handler failed; connection closed');
        socket.destroy();
      }
    });
    socket.on('drain', () => processFrames(conn));
    socket.on('end', () => {
      conn.ended = true;
      processFrames(conn);
    });
    socket.on('error', () => {
      // Resets and timeouts are normal for TCP clients; 'close' follows.
    });
    socket.on('close', () => {
      conn.closed = true;
      conn.pending = null;
      if (conn.idle !== null) clearTimeout(conn.idle);
      open.delete(conn);
      const n = (perClient.get(address) ?? 1) - 1;
      if (n <= 0) perClient.delete(address);
      else perClient.set(address, n);
    });
  }

  return {
    accept: onConnection,
    connections: () => open.size,
    closeAll: () => {
      for (const conn of open) conn.socket.destroy();
    },
  };
}

export async function startTcpServer(opts: {
  bind: string;
  port: number;
  pipeline: Pipeline;
  limits: TcpLimits;
  logger: Logger;
  stats: DnsStats;
  /**
   * Listen on a port other DNS threads listen on too (SO_REUSEPORT, tcp-port-sharing.ts says how); without it
   * the port is this server's alone.
   */
  sharePort?: 'node' | 'native';
}): Promise<TcpServer> {
  const { logger } = opts;
  const handler = createStreamHandler({ ...opts, protocol: Protocol.tcp });
  const server: Server = createServer({ allowHalfOpen: true }, (socket) => handler.accept(socket));
  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error): void => reject(describeBindError(error, 'TCP', opts.bind, opts.port));
    let listenOptions: ListenOptions | { fd: number };
    try {
      listenOptions =
        opts.sharePort === undefined
          ? { host: opts.bind, port: opts.port, exclusive: true }
          : sharedTcpListenOptions(opts.sharePort, opts.bind, opts.port);
    } catch (error) {
      onError(error as Error);
      return;
    }
    server.once('error', onError);
    server.listen(listenOptions, () => {
      server.off('error', onError);
      resolve();
    });
  });
  server.on('error', (error) => logger.error({ err: error }, 'DNS TCP server error'));

  return {
    address: server.address() as AddressInfo,
    connections: () => handler.connections(),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        handler.closeAll();
      }),
  };
}
