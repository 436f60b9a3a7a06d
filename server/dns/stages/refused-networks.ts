/**
 * Clients that access control refuses, by network (IPv4 /24, IPv6 /64): how many queries each network
 * sent and when, so the dashboard can say "42 queries refused from 198.19.77.0/24 — allow this network?"
 * and the log says it once per network instead of never (or once per query).
 *
 * Off the hot path of allowed clients: only a refused query gets here. Bounded: at most MAX_NETWORKS are
 * kept, so a flood from many networks cannot grow it; the oldest is forgotten first.
 */
import type { Logger } from '../../logger.js';
import { homeNetworkOf } from '../../net/ip-prefix.js';

const MAX_NETWORKS = 256;

export interface RefusedNetwork {
  /** `198.19.77.0/24` or `2001:db8:0:1::/64`: what to add to dns.access.allow to let it in. */
  network: string;
  queries: number;
  /** One address of it that asked (the latest). */
  example: string;
  firstSeen: number;
  lastSeen: number;
}

export class RefusedNetworks {
  private readonly networks = new Map<string, RefusedNetwork>();

  constructor(private readonly logger?: Logger) {}

  /** Counts one refused query from `address` at `nowMs`; logs the first one of each network. */
  note(address: string, nowMs: number): void {
    const network = homeNetworkOf(address);
    const known = this.networks.get(network);
    if (known) {
      known.queries++;
      known.lastSeen = nowMs;
      known.example = address;
      return;
    }
    if (this.networks.size >= MAX_NETWORKS) {
      const oldest = this.networks.keys().next().value;
      if (oldest !== undefined) this.networks.delete(oldest);
    }
    this.networks.set(network, { network, queries: 1, example: address, firstSeen: nowMs, lastSeen: nowMs });
    this.logger?.warn(
      `DNS queries from ${address} are refused: its network ${network} is not allowed to use tracksink. ` +
        `If it is yours, allow it on the dashboard's overview or add it to dns.access.allow (TRACKSINK_ALLOW_CLIENTS).`,
    );
  }

  /** The networks refused so far, most queries first. */
  list(): RefusedNetwork[] {
    return [...this.networks.values()].map((n) => ({ ...n })).sort((a, b) => b.queries - a.queries);
  }

  /** Forgets a network (it was allowed, or the household dismissed it). */
  forget(network: string): void {
    this.networks.delete(network);
  }
}
