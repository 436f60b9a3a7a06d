import { Type, type Static } from 'typebox';
import { CompanyRef, NameKindName, Nullable } from './common.js';

export const ExplainQuery = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 255 }),
    device: Type.Optional(Type.Integer({ minimum: 1 })),
    type: Type.Optional(
      Type.String({ pattern: '^[A-Za-z0-9]{1,10}$', description: 'Query type, default A' }),
    ),
  },
  { additionalProperties: false },
);
export type ExplainQuery = Static<typeof ExplainQuery>;

export const ExplainMatch = Type.Object({
  source: Type.String({ description: 'user-rule, list, catalog, company-policy' }),
  action: Type.String({ description: 'block, allow or exception' }),
  listId: Nullable(Type.Integer()),
  listName: Nullable(Type.String()),
  line: Nullable(Type.Integer()),
  ruleId: Nullable(Type.Integer()),
  text: Nullable(Type.String({ description: 'The rule as written' })),
  applies: Type.Boolean({
    description: 'False when it matches the name but not this device/type, or expired',
  }),
  winner: Type.Boolean(),
  outcome: Type.String({
    description:
      'What the rule did to this question: blocked, allowed, rewrote: A 1.2.3.4, did not apply: <why>, or matched, but another rule decided',
  }),
});
export type ExplainMatch = Static<typeof ExplainMatch>;

/** Who is behind a name and how tracksink knows it: every attribution keeps its source. */
export const NameAttribution = Type.Object({
  kind: NameKindName,
  /** The known domain that matched: the name itself or the longest known parent. */
  matchedDomain: Type.String(),
  /** Where the fact comes from: a line of tracksink's curated catalog, or an AdGuard companies database entry. */
  source: Nullable(Type.String()),
  /** What the endpoint does, when the catalog describes it. */
  what: Nullable(Type.String()),
});
export type NameAttribution = Static<typeof NameAttribution>;

export const Explanation = Type.Object({
  name: Type.String(),
  deviceId: Nullable(Type.Integer()),
  verdict: Type.Enum(['blocked', 'allowed', 'rewritten', 'none'] as const),
  reason: Type.String(),
  summary: Type.String({ description: 'One sentence for people' }),
  matches: Type.Array(ExplainMatch),
  company: Nullable(CompanyRef),
  category: Nullable(Type.String()),
  app: Nullable(Type.String()),
  companyPolicy: Nullable(Type.String()),
  paused: Type.Boolean(),
  tracking: Type.Boolean(),
  dualUse: Type.Boolean(),
  /** Null when no tracker database or catalog entry knows the name. */
  attribution: Nullable(NameAttribution),
});
export type Explanation = Static<typeof Explanation>;
