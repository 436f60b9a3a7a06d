/** Overview numbers, charts and rankings for a period, overall or for one device. */
import { Type, type Static } from 'typebox';
import { CompanyRef, NameKindName, Period, StatusName } from './common.js';

export const StatsQuery = Type.Object(
  {
    period: Type.Optional(Period),
    device: Type.Optional(Type.Integer({ minimum: 1, description: 'Only this device' })),
  },
  { additionalProperties: false },
);
export type StatsQuery = Static<typeof StatsQuery>;

export const Summary = Type.Object({
  period: Period,
  from: Type.Integer(),
  to: Type.Integer(),
  total: Type.Integer(),
  blocked: Type.Integer(),
  blockedShare: Type.Number({ description: '0..1' }),
  /** Queries for tracker endpoints, blocked or not (use of a company's own services is not counted). */
  trackingAttempts: Type.Integer(),
  /** Queries for the services of known companies (their apps, sites, CDNs): "uses", not tracking. */
  serviceUses: Type.Integer(),
  trackingAttemptsToday: Type.Integer({ description: 'Since local midnight (server time)' }),
  devicesActive: Type.Integer(),
});
export type Summary = Static<typeof Summary>;

/** Stacked series: `buckets[i]` is the start of bucket i; each status has one count per bucket. */
export const TimeSeries = Type.Object({
  period: Period,
  bucketMs: Type.Integer(),
  buckets: Type.Array(Type.Integer()),
  series: Type.Array(Type.Object({ status: StatusName, counts: Type.Array(Type.Integer()) })),
});
export type TimeSeries = Static<typeof TimeSeries>;

export const RankedCompany = Type.Object({
  ...CompanyRef.properties,
  queries: Type.Integer(),
  blocked: Type.Integer(),
  /** Of `queries`: to the company's tracker endpoints. */
  trackingAttempts: Type.Integer(),
  /** Of `queries`: to the company's services. */
  serviceUses: Type.Integer(),
});
export type RankedCompany = Static<typeof RankedCompany>;

export const RankedCategory = Type.Object({
  id: Type.Integer(),
  key: Type.String(),
  name: Type.String(),
  queries: Type.Integer(),
  blocked: Type.Integer(),
});
export type RankedCategory = Static<typeof RankedCategory>;

export const RankedName = Type.Object({
  name: Type.String(),
  kind: NameKindName,
  queries: Type.Integer(),
  blocked: Type.Integer(),
  company: Type.Union([CompanyRef, Type.Null()]),
});
export type RankedName = Static<typeof RankedName>;

export const RankedApp = Type.Object({
  id: Type.Integer(),
  key: Type.String(),
  name: Type.String(),
  company: Type.Union([CompanyRef, Type.Null()]),
  queries: Type.Integer(),
  blocked: Type.Integer(),
});
export type RankedApp = Static<typeof RankedApp>;

export const RankedDevice = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  queries: Type.Integer(),
  blocked: Type.Integer(),
  trackingAttempts: Type.Integer(),
});
export type RankedDevice = Static<typeof RankedDevice>;

export const Tops = Type.Object({
  period: Period,
  companies: Type.Array(RankedCompany),
  categories: Type.Array(RankedCategory),
  apps: Type.Array(RankedApp),
  names: Type.Array(RankedName),
  blockedNames: Type.Array(RankedName),
  /** Empty when asked for one device. */
  devices: Type.Array(RankedDevice),
});
export type Tops = Static<typeof Tops>;
