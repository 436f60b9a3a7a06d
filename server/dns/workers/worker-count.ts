/**
 * How many DNS workers to run: `dns.workers` ("auto" = one per core, or a number), and whether this Node
 * can run more than one. Several UDP sockets on one port need SO_REUSEPORT, which Node's dgram offers from
 * 22.12 (and 23.1 on the 23 line); without it a second bind fails with EADDRINUSE, so tracksink answers on
 * one thread and says why at start-up instead.
 */
import { availableParallelism } from 'node:os';
import { MAX_DNS_WORKERS } from '../../config/checks.js';

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
}

/** Turns the setting into a thread count this Node can run. */
export function planWorkers(
  value: string,
  cores: number = availableParallelism(),
  version: string = process.versions.node,
): WorkerPlan {
  const asked = value === 'auto' ? Math.min(cores, MAX_DNS_WORKERS) : Number(value);
  if (!Number.isInteger(asked) || asked <= 1) return { count: 1, warning: null };
  if (!udpReusePortSupported(version)) {
    return {
      count: 1,
      warning:
        `dns.workers is ${value} (${asked} DNS workers) but Node ${version} cannot share a UDP port between ` +
        `threads (dgram reusePort needs Node 22.12 or later): DNS answers on 1 thread. Upgrade Node to use more cores.`,
    };
  }
  return { count: asked, warning: null };
}
