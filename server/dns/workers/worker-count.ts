/**
 * How many DNS workers to run: `dns.workers` ("auto" = one per core, or a number), and whether this
 * process can run more than one. Several UDP sockets on one port need SO_REUSEPORT. The native batch
 * transport (native/udp-batch) sets it itself, on any Node; Node's dgram offers it from 22.12 (and 23.1 on
 * the 23 line). Without either, a second bind fails with EADDRINUSE, so tracksink answers on one thread and
 * says why at start-up instead.
 */
import { availableParallelism } from 'node:os';
import { MAX_DNS_WORKERS } from '../../config/checks.js';
import type { UdpTransport } from '../udp-server.js';

/** Whether this Node's dgram sockets take `reusePort` (22.12+ on the 22 line, 23.1+ after). */
export function udpReusePortSupported(version: string = process.versions.node): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major > 23 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12);
}

export interface WorkerPlan {
  /** DNS threads that answer UDP: the main thread plus `count - 1` worker threads. */
  count: number;
  /** Why fewer than asked (null when the plan is what the setting asked for). */
  warning: string | null;
  /** With more than one thread: what shares the port between them, in words for the start-up log. */
  sharing: string | null;
}

/**
 * Turns the setting into a thread count the chosen UDP transport can run (udp-server.ts
 * `plannedUdpTransport`): native → any Node; dgram → Node ≥ 22.12 (23.1).
 */
export function planWorkers(
  value: string,
  cores: number = availableParallelism(),
  version: string = process.versions.node,
  transport: UdpTransport = 'dgram',
): WorkerPlan {
  const asked = value === 'auto' ? Math.min(cores, MAX_DNS_WORKERS) : Number(value);
  if (!Number.isInteger(asked) || asked <= 1) return { count: 1, warning: null, sharing: null };
  if (transport === 'native') {
    return {
      count: asked,
      warning: null,
      sharing: 'the native UDP transport shares the port between them (SO_REUSEPORT, any Node)',
    };
  }
  if (!udpReusePortSupported(version)) {
    return {
      count: 1,
      warning:
        `dns.workers is ${value} (${asked} DNS workers) but Node ${version} cannot share a UDP port between ` +
        `threads with Node's dgram (dgram reusePort needs Node 22.12 or later) and the native UDP transport ` +
        `is not in use: DNS answers on 1 thread. Build the native transport (npm run build:native) or ` +
        `upgrade Node to use more cores.`,
      sharing: null,
    };
  }
  return {
    count: asked,
    warning: null,
    sharing: `Node's dgram shares the port between them (reusePort, Node ${version})`,
  };
}
