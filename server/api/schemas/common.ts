/**
 * Shapes shared by many routes. Every schema in this folder is the one source of the API's request and
 * response types: the server validates with them, OpenAPI is generated from them, and the dashboard
 * imports their `Static<>` types (type-only imports, so no runtime code reaches the browser bundle).
 */
import { Type, type Static } from 'typebox';

/** Every error response: `error` is a short machine word, `message` says what was wrong and where. */
export const ErrorResponse = Type.Object(
  {
    error: Type.String({ description: 'Short kind: bad-request, unauthorized, forbidden, not-found, …' }),
    message: Type.String({ description: 'What was wrong, naming the field and the problem' }),
  },
  { $id: 'ErrorResponse' },
);
export type ErrorResponse = Static<typeof ErrorResponse>;

export const Ok = Type.Object({ ok: Type.Literal(true) });
export type Ok = Static<typeof Ok>;

/** The periods the overview and the rankings offer. */
export const Period = Type.Enum(['24h', '7d', '30d'] as const, { description: 'Time window ending now' });
export type Period = Static<typeof Period>;

export const PeriodQuery = Type.Object({ period: Type.Optional(Period) }, { additionalProperties: false });
export type PeriodQuery = Static<typeof PeriodQuery>;

export const IdParams = Type.Object({ id: Type.Integer({ minimum: 1, description: 'Numeric id' }) });
export type IdParams = Static<typeof IdParams>;

/** Milliseconds since the epoch (UTC). */
export const TimeMs = Type.Integer({ minimum: 0, description: 'ms since the epoch' });
export const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) =>
  Type.Union([schema, Type.Null()]);

/**
 * A duration as people write it: "30s", "15m", "1h", "7d" (a number and one unit). Bounded to 365 days so
 * a typo cannot make a rule or a pause last forever by accident.
 */
export const Duration = Type.String({
  pattern: '^[1-9][0-9]{0,5}(s|m|h|d)$',
  description: 'A number and a unit: s, m, h or d (e.g. "1h")',
});
export type Duration = Static<typeof Duration>;

/** A device or company reference as shown next to a number. */
export const DeviceRef = Type.Object({ id: Type.Integer(), name: Type.String() });
export type DeviceRef = Static<typeof DeviceRef>;

export const CompanyRef = Type.Object({
  id: Type.Integer(),
  key: Type.String({ description: 'Stable catalog key, e.g. "meta"' }),
  /** The tracker or brand people know, e.g. "AppLovin (MoPub)". */
  name: Type.String(),
  /** The company that owns it today, when that is not the name itself (e.g. "Alphabet"); else null. */
  owner: Type.Union([Type.String(), Type.Null()]),
});

/**
 * What a name is (trackers/attribution.ts NameKind): a tracker endpoint (the only kind counted as a
 * tracking attempt), a service of a company the household uses, or unknown.
 */
export const NAME_KINDS = ['unknown', 'tracker', 'service'] as const;
export const NameKindName = Type.Enum(NAME_KINDS);
export type NameKindName = Static<typeof NameKindName>;
export function nameKindName(kind: number): NameKindName {
  return NAME_KINDS[kind] ?? 'unknown';
}
export type CompanyRef = Static<typeof CompanyRef>;

/** Query statuses as words (the log stores the integer enum of events/query-event.ts). */
export const STATUS_NAMES = [
  'blocked',
  'allowed',
  'forwarded',
  'cached',
  'local',
  'refused',
  'error',
  'stale',
  'dropped',
  'formerr',
] as const;
export const StatusName = Type.Enum(STATUS_NAMES, { description: 'What was done with the query' });
export type StatusName = Static<typeof StatusName>;
