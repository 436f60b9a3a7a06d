/**
 * DNS over TCP on every DNS thread (issue 18, "every core"): each thread listens on the same port with
 * SO_REUSEPORT and the kernel spreads new connections over the listening sockets, as it spreads UDP clients.
 * Node's net takes `reusePort` from 22.12 (23.1 on the 23 line), the same releases as dgram; on older Node the
 * project's addon (native/udp-batch, `openSharedTcp`) opens and binds such a socket and Node listens on its
 * file descriptor. With neither, TCP stays on the main thread alone, as before.
 *
 * Every socket on the port must set SO_REUSEPORT, the main thread's too: dns-server.ts asks here once and
 * tells the worker threads whether to listen.
 */
import { isIPv6 } from 'node:net';
import type { ListenOptions } from 'node:net';
import { loadNativeAddon } from '../native-addon.js';
import { udpReusePortSupported } from './workers/worker-count.js';

/** How this process shares a TCP port between threads: Node's own option, the addon, or not at all. */
export type TcpPortSharing = 'node' | 'native' | null;

interface SharedTcpBinding {
  /** A bound, not yet listening TCP socket with SO_REUSEPORT (udp_batch.c says more); throws with `code`. */
  openSharedTcp(family: 4 | 6, address: string, port: number): number;
}

function sharedTcpBinding(): SharedTcpBinding | null {
  const binding = loadNativeAddon().binding;
  return typeof binding?.openSharedTcp === 'function' ? (binding as unknown as SharedTcpBinding) : null;
}

export function tcpPortSharing(version: string = process.versions.node): TcpPortSharing {
  // net's reusePort arrived with dgram's, in the same releases.
  if (udpReusePortSupported(version)) return 'node';
  return sharedTcpBinding() !== null ? 'native' : null;
}

/**
 * What to pass to net.Server.listen() for one thread's share of `bind`:`port`. With the addon the socket is
 * bound here (a taken port throws EADDRINUSE now, like listen() would) and the server owns its descriptor.
 */
export function sharedTcpListenOptions(
  sharing: 'node' | 'native',
  bind: string,
  port: number,
): ListenOptions | { fd: number } {
  if (sharing === 'node') {
    // Not in @types/node 20's ListenOptions yet.
    return { host: bind, port, reusePort: true } as ListenOptions;
  }
  const binding = sharedTcpBinding();
  if (binding === null) throw new Error('the native addon with openSharedTcp is not loaded in this thread');
  return { fd: binding.openSharedTcp(isIPv6(bind) ? 6 : 4, bind, port) };
}
