/**
 * The backup file: the whole configuration as one JSON document (GET /api/export, POST /api/import,
 * `npm run backup`, and the configuration document replicas share). This TypeBox schema is its one
 * definition: the backup service checks a file against it, the API serves it, and the repository's
 * `BackupData` (what readBackup returns and replaceWithBackup takes) is its static type less the header.
 * The query log is not in it (CLI `--with-log`: a copy of querylog.db beside the file).
 */
import { Type, type Static, type TProperties, type TSchema } from 'typebox';
import { COMPANY_POLICIES } from '../../filter/profile-state.js';
import { SCHEDULE_ACTIONS } from '../../filter/schedule-types.js';
import { RULE_ACTIONS, RULE_MATCHES } from '../../filter/user-rules.js';

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

const Row = <T extends TProperties>(properties: T) =>
  Type.Object(properties, { additionalProperties: false });

export const BackupGroup = Row({
  id: Type.Integer({ minimum: 1 }),
  name: Type.String({ minLength: 1 }),
  description: Type.String(),
});
export const BackupDevice = Row({
  id: Type.Integer({ minimum: 1 }),
  mac: Nullable(Type.String()),
  macRandom: Type.Boolean(),
  name: Nullable(Type.String()),
  autoName: Nullable(Type.String()),
  vendor: Nullable(Type.String()),
  type: Type.String(),
  firstSeen: Type.Integer(),
  lastSeen: Type.Integer(),
  pausedUntil: Nullable(Type.Integer()),
  addresses: Type.Array(Row({ address: Type.String(), firstSeen: Type.Integer(), lastSeen: Type.Integer() })),
  groupIds: Type.Array(Type.Integer()),
  /** Columns other modules add to devices (e.g. per-device privacy), kept as they are. */
  extra: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
});
export const BackupList = Row({
  id: Type.Integer({ minimum: 1 }),
  name: Type.String(),
  source: Type.String({ minLength: 1 }),
  format: Type.String(),
  kind: Type.Enum(['block', 'allow'] as const),
  enabled: Type.Boolean(),
  builtin: Type.Boolean(),
  assignments: Type.Array(Row({ groupId: Nullable(Type.Integer()), deviceId: Nullable(Type.Integer()) })),
});
export const BackupRule = Row({
  id: Type.Integer({ minimum: 1 }),
  action: Type.Enum(RULE_ACTIONS),
  match: Type.Enum(RULE_MATCHES),
  pattern: Type.String({ minLength: 1 }),
  deviceId: Nullable(Type.Integer()),
  groupId: Nullable(Type.Integer()),
  expiresAt: Nullable(Type.Integer()),
  comment: Type.String(),
  createdAt: Type.Integer(),
});
export const BackupSchedule = Row({
  id: Type.Integer({ minimum: 1 }),
  name: Type.String({ minLength: 1, maxLength: 80 }),
  groupId: Nullable(Type.Integer()),
  deviceId: Nullable(Type.Integer()),
  days: Type.Array(Type.Integer({ minimum: 0, maximum: 6 }), { minItems: 1, maxItems: 7 }),
  start: Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' }),
  end: Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' }),
  action: Type.Enum(SCHEDULE_ACTIONS),
  companies: Type.Array(Type.String()),
  apps: Type.Array(Type.String()),
  categories: Type.Array(Type.String()),
  enabled: Type.Boolean(),
});

export const BackupProfilePolicy = Row({
  groupId: Type.Integer(),
  companyKey: Type.String({ minLength: 1 }),
  policy: Type.Enum(COMPANY_POLICIES),
});

export const BackupCompanyPolicy = Row({
  companyKey: Type.String({ minLength: 1 }),
  policy: Type.Enum(COMPANY_POLICIES),
  updatedAt: Type.Integer(),
});

export const BackupFile = Type.Object(
  {
    format: Type.Literal('tracksink-backup'),
    version: Type.Literal(1),
    exportedAt: Type.Integer(),
    settings: Type.Record(Type.String(), Type.Unknown(), {
      description: 'tracksink.db settings, key → JSON value',
    }),
    groups: Type.Array(BackupGroup),
    devices: Type.Array(BackupDevice),
    lists: Type.Array(BackupList),
    rules: Type.Array(BackupRule),
    companyPolicies: Type.Array(BackupCompanyPolicy),
    /** Profiles and schedules (absent from backups made before them). */
    schedules: Type.Optional(Type.Array(BackupSchedule)),
    profilePolicies: Type.Optional(Type.Array(BackupProfilePolicy)),
    timeZone: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 64 }))),
    /** Encrypted DNS: the device each ClientID names (absent from backups made before them). */
    clientIds: Type.Optional(
      Type.Array(
        Type.Object(
          {
            clientId: Type.String({ minLength: 1, maxLength: 63 }),
            deviceId: Type.Integer({ minimum: 1 }),
            createdAt: Type.Integer(),
          },
          { additionalProperties: false },
        ),
      ),
    ),
    /** People: each with their profile and devices (absent from backups made before them). */
    people: Type.Optional(
      Type.Array(
        Row({
          id: Type.Integer({ minimum: 1 }),
          name: Type.String({ minLength: 1, maxLength: 60 }),
          groupId: Nullable(Type.Integer({ minimum: 1 })),
          createdAt: Type.Integer(),
          deviceIds: Type.Array(Type.Integer({ minimum: 1 })),
        }),
      ),
    ),
    /** Merged device ids → the device each became (absent from backups made before them). */
    deviceAliases: Type.Optional(
      Type.Array(
        Row({
          oldId: Type.Integer({ minimum: 1 }),
          deviceId: Type.Integer({ minimum: 1 }),
          mergedAt: Type.Integer(),
        }),
      ),
    ),
  },
  { additionalProperties: false },
);
export type BackupFile = Static<typeof BackupFile>;

/** The configuration a backup file carries: the file less its header (format, version, exportedAt). */
export type BackupData = Omit<BackupFile, 'format' | 'version' | 'exportedAt'>;
