/**
 * The settings the dashboard edits: the one list of which config keys they are (everything else belongs to
 * the config file and the environment, which the machine's owner controls). They mirror config keys (same
 * names, same rules as config/schema.ts); a saved value is kept in tracksink.db and wins over the config
 * file from then on. The API's request and response schemas (api/schemas/settings.ts) are built on it.
 */
import { Type, type Static } from 'typebox';

export const Settings = Type.Object({
  dns: Type.Object({
    upstreams: Type.Array(Type.String(), { minItems: 1, maxItems: 16 }),
    strategy: Type.Enum(['parallel', 'failover'] as const),
    upstreamTimeoutMs: Type.Integer({ minimum: 50, maximum: 30000 }),
    blocking: Type.Object({
      mode: Type.Enum(['null', 'nxdomain', 'nodata', 'refused', 'custom'] as const),
      ttl: Type.Integer({ minimum: 0, maximum: 86400 }),
      ipv4: Type.Array(Type.String(), { maxItems: 16 }),
      ipv6: Type.Array(Type.String(), { maxItems: 16 }),
    }),
    access: Type.Object({
      allow: Type.Array(Type.String(), { maxItems: 256 }),
      deny: Type.Array(Type.String(), { maxItems: 256 }),
    }),
    canaries: Type.Object({ firefoxDoh: Type.Boolean(), icloudPrivateRelay: Type.Boolean() }),
    blockPublicResolvers: Type.Boolean(),
    rebindingProtection: Type.Boolean(),
  }),
  log: Type.Object({
    queries: Type.Enum(['all', 'hide-names', 'none'] as const),
    anonymizeClients: Type.Boolean(),
    retentionDays: Type.Integer({ minimum: 1, maximum: 3650 }),
    rollupRetentionDays: Type.Integer({ minimum: 1, maximum: 3650 }),
  }),
  lists: Type.Object({ refreshHours: Type.Integer({ minimum: 1, maximum: 720 }) }),
});
export type Settings = Static<typeof Settings>;
