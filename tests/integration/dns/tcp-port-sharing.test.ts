/**
 * One TCP port for several listening sockets (tcp-port-sharing.ts): the addon's SO_REUSEPORT socket that
 * Node listens on by descriptor (Node 20), and Node's own `reusePort` (22.12+). Real sockets on 127.0.0.1:
 * two listeners share a port and the kernel hands connections to both; a port another program holds
 * alone is refused with EADDRINUSE, not shared.
 */
import { type AddressInfo, type Server, connect, createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { loadNativeAddon } from '../../../server/native-addon.js';
import { sharedTcpListenOptions, tcpPortSharing } from '../../../server/dns/tcp-port-sharing.js';
import { udpReusePortSupported } from '../../../server/dns/workers/worker-count.js';

const addonHasTcp = typeof loadNativeAddon().binding?.openSharedTcp === 'function';
const servers: Server[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((done) => server.close(done))));
});

/** A server that answers each connection with its own tag, listening as `options` says. */
function listen(tag: string, options: object): Promise<Server> {
  const server = createServer((socket) => socket.end(tag));
  servers.push(server);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options, () => resolve(server));
  });
}

function whoAnswers(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let text = '';
    socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
}

describe('how this process shares a TCP port', () => {
  it("takes Node's reusePort from 22.12, and the addon on older Node when it is built", () => {
    expect(tcpPortSharing('24.11.1')).toBe('node');
    expect(tcpPortSharing('22.12.0')).toBe('node');
    expect(tcpPortSharing('20.20.2')).toBe(addonHasTcp ? 'native' : null);
    expect(tcpPortSharing('22.11.0')).toBe(addonHasTcp ? 'native' : null);
  });
});

const ways = [
  { sharing: 'native' as const, skip: !addonHasTcp },
  { sharing: 'node' as const, skip: !udpReusePortSupported() },
];

for (const { sharing, skip } of ways) {
  describe.skipIf(skip)(`two listeners on one TCP port (${sharing})`, () => {
    it('both take connections on the same port', async () => {
      const first = await listen('first', sharedTcpListenOptions(sharing, '127.0.0.1', 0));
      const port = (first.address() as AddressInfo).port;
      const second = await listen('second', sharedTcpListenOptions(sharing, '127.0.0.1', port));
      expect((second.address() as AddressInfo).port).toBe(port);

      const answers = await Promise.all(Array.from({ length: 64 }, () => whoAnswers(port)));
      // 64 source ports hashed over two sockets: both get some (all on one has odds of 2^-63).
      expect(new Set(answers)).toEqual(new Set(['first', 'second']));
    });

    it('refuses a port another listener holds alone, with EADDRINUSE', async () => {
      const alone = await listen('alone', { host: '127.0.0.1', port: 0, exclusive: true });
      const port = (alone.address() as AddressInfo).port;
      const shared = (async () => listen('shared', sharedTcpListenOptions(sharing, '127.0.0.1', port)))();
      await expect(shared).rejects.toMatchObject({ code: 'EADDRINUSE' });
      expect(await whoAnswers(port)).toBe('alone');
    });
  });
}
