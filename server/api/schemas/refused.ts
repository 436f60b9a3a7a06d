/** Networks whose DNS queries are refused (not in dns.access.allow): the overview offers to allow them. */
import { Type, type Static } from 'typebox';

export const RefusedNetwork = Type.Object({
  /** What to add to dns.access.allow: `198.19.77.0/24` or `2001:db8:0:1::/64`. */
  network: Type.String(),
  queries: Type.Integer({ description: 'Refused queries from it since tracksink started' }),
  example: Type.String({ description: 'One address of it that asked' }),
  firstSeen: Type.Integer(),
  lastSeen: Type.Integer(),
});
export type RefusedNetwork = Static<typeof RefusedNetwork>;

export const RefusedNetworkList = Type.Object({ items: Type.Array(RefusedNetwork) });
export type RefusedNetworkList = Static<typeof RefusedNetworkList>;
