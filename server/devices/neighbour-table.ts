/**
 * The kernel neighbour table: which MAC answers for which IP on the segments we share with devices. IPv4
 * from /proc/net/arp, IPv4 and IPv6 from `ip neigh show` (iproute2), so the several addresses of one
 * phone map to its one MAC. Entries without a link-layer address (FAILED, INCOMPLETE) are skipped.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { normalizeMac } from './mac-address.js';

/** address → MAC */
export type NeighbourTable = Map<string, string>;

/** Parses /proc/net/arp (header line, then `IP HWtype Flags HWaddress Mask Device`). */
export function parseProcArp(text: string): NeighbourTable {
  const table: NeighbourTable = new Map();
  for (const line of text.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 4) continue;
    const [address, , flags, hw] = fields as [string, string, string, string];
    if (Number.parseInt(flags, 16) === 0) continue; // incomplete entry
    const mac = normalizeMac(hw);
    if (mac !== null) table.set(address, mac);
  }
  return table;
}

/** Parses `ip neigh show` lines: `ADDR dev IF lladdr MAC [router] STATE`. */
export function parseIpNeigh(text: string): NeighbourTable {
  const table: NeighbourTable = new Map();
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    const at = fields.indexOf('lladdr');
    if (at < 1 || at + 1 >= fields.length) continue;
    const state = fields[fields.length - 1];
    if (state === 'FAILED' || state === 'INCOMPLETE') continue;
    const mac = normalizeMac(fields[at + 1] as string);
    // Strip an IPv6 zone the kernel never prints here but a caller might (fe80::1%eth0).
    if (mac !== null) table.set((fields[0] as string).split('%')[0] as string, mac);
  }
  return table;
}

export interface NeighbourReadOptions {
  /** IPv6 neighbours too (default true). IPv4 alone needs no child process: see kernelNeighbours. */
  ipv6?: boolean;
}

export interface NeighbourSource {
  read(options?: NeighbourReadOptions): Promise<NeighbourTable>;
}

function run(command: string, args: string[]): Promise<string> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout: 5000, maxBuffer: 8 * 1024 * 1024 }, (error, stdout) => {
      resolve(error ? '' : stdout);
    });
  });
}

/** Reads this host's neighbour table (in the current network namespace). Missing sources give nothing. */
export const kernelNeighbours: NeighbourSource = {
  async read(options = {}) {
    const arp = await readFile('/proc/net/arp', 'utf8').catch(() => '');
    const table = parseProcArp(arp);
    // /proc/net/arp holds every IPv4 neighbour. `ip` is a child process, forked from the thread that
    // answers DNS: tens of ms of that thread on a loaded Pi (page tables of a ~150 MB process; measured
    // 47 ms median here at load 14), so it runs only when IPv6 neighbours are wanted or there is no /proc.
    if (options.ipv6 === false && arp !== '') return table;
    const neigh = await run('ip', ['neigh', 'show']);
    for (const [address, mac] of parseIpNeigh(neigh)) table.set(address, mac);
    return table;
  },
};
