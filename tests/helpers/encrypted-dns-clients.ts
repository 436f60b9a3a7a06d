/** DNS-over-TLS and DNS-over-HTTPS (HTTP/2) clients from Node's own tls and http2, shared by the encrypted-DNS and people tests. */
import { connect as http2Connect } from 'node:http2';
import { connect as netConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

/** One query over DoT with the given SNI (and source address); resolves the answer message. */
export function dotQuery(
  port: number,
  servername: string,
  query: Buffer,
  localAddress = '127.0.0.1',
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // The TCP connection from a chosen loopback address: a device that came back with a new address.
    const tcp = netConnect({ host: '127.0.0.1', port, localAddress });
    const socket = tlsConnect({ socket: tcp, servername, rejectUnauthorized: false }, () => {
      const framed = Buffer.alloc(query.length + 2);
      framed.writeUInt16BE(query.length, 0);
      query.copy(framed, 2);
      socket.write(framed);
    });
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length >= 2 && buffered.length >= buffered.readUInt16BE(0) + 2) {
        socket.end();
        resolve(buffered.subarray(2, buffered.readUInt16BE(0) + 2));
      }
    });
    socket.on('error', reject);
    socket.setTimeout(5_000, () => reject(new Error('DoT query timed out')));
  });
}

/** One DoH POST over HTTP/2. */
export function dohQuery(
  port: number,
  path: string,
  query: Buffer,
): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const session = http2Connect(`https://127.0.0.1:${port}`, { rejectUnauthorized: false });
    session.on('error', reject);
    const stream = session.request({
      ':method': 'POST',
      ':path': path,
      'content-type': 'application/dns-message',
    });
    let status = 0;
    const chunks: Buffer[] = [];
    stream.on('response', (headers) => (status = Number(headers[':status'])));
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => {
      session.close();
      resolve({ status, body: Buffer.concat(chunks) });
    });
    stream.on('error', reject);
    stream.end(query);
  });
}
