/**
 * A tiny UpstreamPool for the DNS engine's tests: forwards over UDP to one server (random ID per query,
 * answer accepted only when ID and source match), retries over TCP when the answer has TC=1, and fails
 * with UpstreamError after `timeoutMs`. Counts what it did. Not for production (see dns/upstream/).
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { randomInt } from 'node:crypto';
import { UpstreamError, type UpstreamAnswer, type UpstreamPool } from '../../server/dns/upstream/types.js';

export interface SimpleUpstreamPool extends UpstreamPool {
  /** Questions sent (UDP), and TCP retries. */
  sent: number;
  tcpRetries: number;
  /** Point it somewhere else (e.g. a dead port) mid-test. */
  setTarget(host: string, port: number): void;
}

export function createSimpleUpstreamPool(host: string, port: number, timeoutMs = 1000): SimpleUpstreamPool {
  let target = { host, port };
  const sockets = new Set<dgram.Socket | net.Socket>();

  function viaUdp(query: Buffer): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const socket = dgram.createSocket('udp4');
      sockets.add(socket);
      const id = randomInt(0, 65536);
      const out = Buffer.from(query);
      out.writeUInt16BE(id, 0);
      const { host: h, port: p } = target;
      const timer = setTimeout(
        () => finish(new UpstreamError(`udp ${h}:${p} timed out after ${timeoutMs} ms`)),
        timeoutMs,
      );
      function finish(result: Buffer | Error): void {
        clearTimeout(timer);
        sockets.delete(socket);
        socket.close();
        if (result instanceof Error) reject(result);
        else resolve(result);
      }
      socket.on('message', (msg, rinfo) => {
        if (rinfo.port !== p || msg.length < 12 || msg.readUInt16BE(0) !== id) return;
        finish(msg);
      });
      socket.on('error', (error) => finish(new UpstreamError(`udp ${h}:${p}: ${error.message}`)));
      socket.send(out, p, h);
    });
  }

  function viaTcp(query: Buffer): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const { host: h, port: p } = target;
      const socket = net.connect(p, h);
      sockets.add(socket);
      let data = Buffer.alloc(0);
      const timer = setTimeout(() => finish(new UpstreamError(`tcp ${h}:${p} timed out`)), timeoutMs);
      function finish(result: Buffer | Error): void {
        clearTimeout(timer);
        sockets.delete(socket);
        socket.destroy();
        if (result instanceof Error) reject(result);
        else resolve(result);
      }
      socket.on('connect', () => {
        const framed = Buffer.alloc(query.length + 2);
        framed.writeUInt16BE(query.length, 0);
        query.copy(framed, 2);
        socket.write(framed);
      });
      socket.on('data', (chunk) => {
        data = Buffer.concat([data, chunk]);
        if (data.length >= 2 && data.length >= data.readUInt16BE(0) + 2)
          finish(data.subarray(2, data.readUInt16BE(0) + 2));
      });
      socket.on('error', (error) => finish(new UpstreamError(`tcp ${h}:${p}: ${error.message}`)));
    });
  }

  const pool: SimpleUpstreamPool = {
    sent: 0,
    tcpRetries: 0,
    setTarget(h, p) {
      target = { host: h, port: p };
    },
    async resolve(query: Buffer): Promise<UpstreamAnswer> {
      pool.sent++;
      let packet = await viaUdp(query);
      if ((packet[2]! & 0x02) !== 0) {
        pool.tcpRetries++;
        packet = await viaTcp(query);
      }
      const answer = Buffer.from(packet);
      answer.writeUInt16BE(query.readUInt16BE(0), 0);
      return { packet: answer, upstreamId: 1 };
    },
    describe: () => [`udp://${target.host}:${target.port}`],
    async close() {
      for (const s of sockets) {
        if (s instanceof net.Socket) s.destroy();
        else s.close();
      }
      sockets.clear();
    },
  };
  return pool;
}
