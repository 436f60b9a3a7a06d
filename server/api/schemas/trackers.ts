/** Companies and categories ranked by traffic, their devices and names, and the per-company policy. */
import { Type, type Static } from 'typebox';
import { COMPANY_POLICIES } from '../../filter/profile-state.js';
import { NameKindName, Nullable, Period } from './common.js';

export const CompanyPolicy = Type.Enum(COMPANY_POLICIES, {
  description:
    'block-tracking (default): only tracking endpoints; block-everything: every name of the company; allow: nothing',
});
export type CompanyPolicy = Static<typeof CompanyPolicy>;

export const TrackersQuery = Type.Object(
  {
    period: Type.Optional(Period),
    device: Type.Optional(Type.Integer({ minimum: 1 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
  },
  { additionalProperties: false },
);
export type TrackersQuery = Static<typeof TrackersQuery>;

/** An endpoint whose blocking breaks an app the household may use: the UI warns before blocking it. */
export const DualUseEndpoint = Type.Object({
  domain: Type.String(),
  app: Nullable(Type.String({ description: 'The app it breaks, e.g. "Facebook Login"' })),
  note: Type.String(),
});
export type DualUseEndpoint = Static<typeof DualUseEndpoint>;

export const CompanyDevice = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  queries: Type.Integer(),
  blocked: Type.Integer(),
});
/** A device's queries to one company: to its tracker endpoints, and to its services. */
export const CompanyDeviceUse = Type.Object({
  ...CompanyDevice.properties,
  trackingAttempts: Type.Integer(),
  serviceUses: Type.Integer(),
});
export const CompanyName = Type.Object({
  name: Type.String(),
  /** Tracker endpoint or a service of the company: the card lists them apart. */
  kind: NameKindName,
  queries: Type.Integer(),
  blocked: Type.Integer(),
});

export const CompanyRanking = Type.Object({
  id: Type.Integer(),
  key: Type.String(),
  name: Type.String(),
  /** The company that owns the brand today, when not the brand itself. */
  owner: Nullable(Type.String()),
  category: Nullable(Type.Object({ id: Type.Integer(), key: Type.String(), name: Type.String() })),
  queries: Type.Integer(),
  blocked: Type.Integer(),
  /** Of `queries`: to the company's tracker endpoints (advertising, analytics, pixels, telemetry …). */
  trackingAttempts: Type.Integer(),
  /** Of `queries`: to the company's services the household uses (its app, site, CDN). */
  serviceUses: Type.Integer(),
  policy: CompanyPolicy,
  dualUse: Type.Array(DualUseEndpoint),
  /** The company's own apps and sites: "block everything" stops them working. */
  apps: Type.Array(Type.String()),
});
export type CompanyRanking = Static<typeof CompanyRanking>;

/**
 * One company's devices and names over a period (GET /api/companies/:key). Apart from the ranking: for
 * 50 companies over 30 days of a busy log they cost seconds, so the dashboard asks when a card is opened.
 */
export const CompanyDetail = Type.Object({
  key: Type.String(),
  period: Period,
  queries: Type.Integer(),
  blocked: Type.Integer(),
  trackingAttempts: Type.Integer(),
  serviceUses: Type.Integer(),
  devices: Type.Array(CompanyDeviceUse),
  names: Type.Array(CompanyName),
});
export type CompanyDetail = Static<typeof CompanyDetail>;

export const CompanyDetailQuery = Type.Object(
  {
    period: Type.Optional(Period),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 10 })),
  },
  { additionalProperties: false },
);
export type CompanyDetailQuery = Static<typeof CompanyDetailQuery>;

export const CompanyList = Type.Object({
  period: Period,
  items: Type.Array(CompanyRanking),
  /** Credit for imported company data (the AdGuard companies database), null when none is imported. */
  attribution: Nullable(Type.String()),
});
export type CompanyList = Static<typeof CompanyList>;

export const CategoryRanking = Type.Object({
  id: Type.Integer(),
  key: Type.String(),
  name: Type.String(),
  queries: Type.Integer(),
  blocked: Type.Integer(),
  /** The companies whose tracker endpoints in this category were asked for, most first. */
  companies: Type.Array(
    Type.Object({
      id: Type.Integer(),
      key: Type.String(),
      name: Type.String(),
      owner: Nullable(Type.String()),
      queries: Type.Integer(),
      blocked: Type.Integer(),
    }),
  ),
  devices: Type.Array(CompanyDevice),
});
export type CategoryRanking = Static<typeof CategoryRanking>;

export const CategoryList = Type.Object({ period: Period, items: Type.Array(CategoryRanking) });
export type CategoryList = Static<typeof CategoryList>;

export const CompanyKeyParams = Type.Object({
  // Imported companies have keys such as "adguard:dun_&_bradstreet": any printable text, looked up.
  key: Type.String({
    minLength: 1,
    maxLength: 128,
    pattern: '^[^\\x00-\\x1f\\x7f]+$',
    description: 'Catalog key, e.g. "meta" or "adguard:1000mercis"',
  }),
});
export type CompanyKeyParams = Static<typeof CompanyKeyParams>;

export const CompanyPolicyBody = Type.Object({ policy: CompanyPolicy }, { additionalProperties: false });
export type CompanyPolicyBody = Static<typeof CompanyPolicyBody>;

export const CompanyPolicyResponse = Type.Object({
  key: Type.String(),
  policy: CompanyPolicy,
  /** Shown before blocking everything: what the household may lose. */
  dualUse: Type.Array(DualUseEndpoint),
  /** The company's own apps and sites, which stop working when everything of it is blocked. */
  apps: Type.Array(Type.String()),
});
export type CompanyPolicyResponse = Static<typeof CompanyPolicyResponse>;
