/** Free loopback ports for the servers the harness starts (checked free on both UDP and TCP). */
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';

function tcpFree(port: number): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const server = createServer();
    server.once('error', () => resolvePromise(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolvePromise(true)));
  });
}

function udpPort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const socket = createSocket('udp4');
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => {
      const { port } = socket.address();
      socket.close(() => resolvePromise(port));
    });
  });
}

/** A port free on 127.0.0.1 for both UDP and TCP at the time of asking. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await udpPort();
    if (await tcpFree(port)) return port;
  }
  throw new Error('no free loopback port found for both UDP and TCP after 20 tries');
}
