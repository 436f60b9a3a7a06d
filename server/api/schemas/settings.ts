/**
 * The settings the dashboard edits. They mirror config keys (same names, same rules as config/schema.ts);
 * a saved value is kept in tracksink.db and wins over the config file from then on.
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

/** Any subset of Settings (nested objects partial too). */
export const SettingsPatch = Type.Object(
  {
    dns: Type.Optional(
      Type.Object(
        {
          upstreams: Type.Optional(Settings.properties.dns.properties.upstreams),
          strategy: Type.Optional(Settings.properties.dns.properties.strategy),
          upstreamTimeoutMs: Type.Optional(Settings.properties.dns.properties.upstreamTimeoutMs),
          blocking: Type.Optional(
            Type.Partial(Settings.properties.dns.properties.blocking, { additionalProperties: false }),
          ),
          access: Type.Optional(
            Type.Partial(Settings.properties.dns.properties.access, { additionalProperties: false }),
          ),
          canaries: Type.Optional(
            Type.Partial(Settings.properties.dns.properties.canaries, { additionalProperties: false }),
          ),
          blockPublicResolvers: Type.Optional(Type.Boolean()),
          rebindingProtection: Type.Optional(Type.Boolean()),
        },
        { additionalProperties: false },
      ),
    ),
    log: Type.Optional(Type.Partial(Settings.properties.log, { additionalProperties: false })),
    lists: Type.Optional(Type.Partial(Settings.properties.lists, { additionalProperties: false })),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type SettingsPatch = Static<typeof SettingsPatch>;

export const SettingsResponse = Type.Object({
  settings: Settings,
  /** Dotted keys changed since tracksink started (saved or imported) that take effect after a restart. */
  restartNeeded: Type.Array(Type.String()),
  /** Dotted keys this server applies only when it starts; every other setting applies at once. */
  restartOnly: Type.Array(Type.String()),
  /** Dotted keys a TRACKSINK_* environment variable sets (it wins over the dashboard), with its name. */
  fromEnvironment: Type.Record(Type.String(), Type.String()),
});
export type SettingsResponse = Static<typeof SettingsResponse>;
