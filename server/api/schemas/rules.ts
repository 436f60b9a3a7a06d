/** The user's own allow/deny rules, scoped to everyone, a device or a group, optionally timed. */
import { Type, type Static } from 'typebox';
import { RULE_ACTIONS, RULE_MATCHES } from '../../filter/user-rules.js';
import { Duration, Nullable } from './common.js';

export const RuleAction = Type.Enum(RULE_ACTIONS);
export const RuleMatch = Type.Enum(RULE_MATCHES, {
  description:
    'exact: the name only; subdomain: the name and every name below it; regex: a JavaScript regular expression',
});

export const Rule = Type.Object({
  id: Type.Integer(),
  action: RuleAction,
  match: RuleMatch,
  pattern: Type.String(),
  deviceId: Nullable(Type.Integer()),
  groupId: Nullable(Type.Integer()),
  expiresAt: Nullable(Type.Integer({ description: 'ms since the epoch; null = forever' })),
  comment: Type.String(),
  createdAt: Type.Integer(),
});
export type Rule = Static<typeof Rule>;

export const RuleList = Type.Object({ items: Type.Array(Rule) });
export type RuleList = Static<typeof RuleList>;

export const RuleListQuery = Type.Object(
  {
    device: Type.Optional(Type.Integer({ minimum: 1 })),
    group: Type.Optional(Type.Integer({ minimum: 1 })),
    action: Type.Optional(RuleAction),
  },
  { additionalProperties: false },
);
export type RuleListQuery = Static<typeof RuleListQuery>;

export const RuleCreateBody = Type.Object(
  {
    action: RuleAction,
    match: Type.Optional(RuleMatch),
    pattern: Type.String({ minLength: 1, maxLength: 1024 }),
    deviceId: Type.Optional(Nullable(Type.Integer({ minimum: 1 }))),
    groupId: Type.Optional(Nullable(Type.Integer({ minimum: 1 }))),
    duration: Type.Optional(Nullable(Duration)),
    comment: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false },
);
export type RuleCreateBody = Static<typeof RuleCreateBody>;

export const RuleUpdateBody = Type.Object(
  {
    action: Type.Optional(RuleAction),
    match: Type.Optional(RuleMatch),
    pattern: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
    duration: Type.Optional(Nullable(Duration)),
    comment: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type RuleUpdateBody = Static<typeof RuleUpdateBody>;
