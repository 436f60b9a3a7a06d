import { Type, type Static } from 'typebox';
import { CompanyRef, Nullable } from './common.js';

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
});
export type ExplainMatch = Static<typeof ExplainMatch>;

export const Explanation = Type.Object({
  name: Type.String(),
  deviceId: Nullable(Type.Integer()),
  verdict: Type.Enum(['blocked', 'allowed', 'none'] as const),
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
});
export type Explanation = Static<typeof Explanation>;
