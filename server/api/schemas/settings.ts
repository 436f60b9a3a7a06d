/**
 * The settings the dashboard edits (their shape is settings/settings-schema.ts), a change to any subset of
 * them, and what GET and PATCH /api/settings answer.
 */
import { Type, type Static } from 'typebox';
import { Settings } from '../../settings/settings-schema.js';

export { Settings };

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
