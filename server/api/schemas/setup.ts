/**
 * "Does this device's DNS go through tracksink?"
 *
 * `GET /api/setup/check` answers from what the server already knows about the visiting address (did DNS
 * queries from it reach tracksink recently?) and hands out a one-time probe name
 * `<token>.check.tracksink.home.arpa`. The page then makes the browser resolve that name (e.g. an <img>
 * whose host is the probe name; the CSP allows img-src on *.check.tracksink.home.arpa for this). Only a
 * resolver that is tracksink sees the name, so `GET /api/setup/check/:token` reports whether tracksink
 * received that exact query and from which address. home.arpa (RFC 8375) is never mDNS, so it goes to DNS.
 */
import { Type, type Static } from 'typebox';
import { Nullable } from './common.js';

export const SetupCheck = Type.Object({
  clientAddress: Type.String({ description: 'The address this browser reached the dashboard from' }),
  device: Nullable(Type.Object({ id: Type.Integer(), name: Type.String() })),
  /** DNS queries from this address reached tracksink within the last 15 minutes. */
  recentQueries: Type.Boolean(),
  lastQueryAt: Nullable(Type.Integer()),
  token: Type.String(),
  probeName: Type.String(),
  /** The LAN addresses devices and the router should use as their DNS server (never 0.0.0.0 or loopback). */
  dnsAddresses: Type.Array(Type.String()),
  /** The port DNS answers on (routers and phones only send to 53). */
  dnsPort: Type.Integer(),
});
export type SetupCheck = Static<typeof SetupCheck>;

export const SetupProbeParams = Type.Object({ token: Type.String({ pattern: '^[a-z0-9]{16,40}$' }) });
export type SetupProbeParams = Static<typeof SetupProbeParams>;

export const SetupProbeResult = Type.Object({
  token: Type.String(),
  probeName: Type.String(),
  /** tracksink answered the probe name: this device's DNS goes through tracksink. */
  seen: Type.Boolean(),
  seenFrom: Nullable(Type.String({ description: 'Client address the probe query came from' })),
  sameAddress: Type.Boolean({ description: 'It came from the same address as this browser' }),
});
export type SetupProbeResult = Static<typeof SetupProbeResult>;

export const PROBE_SUFFIX = 'check.tracksink.home.arpa';
