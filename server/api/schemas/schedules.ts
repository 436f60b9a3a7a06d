import { COMPANY_POLICIES } from '../../filter/profile-state.js';
import { SCHEDULE_ACTIONS } from '../../filter/schedule-types.js';
import { Type, type Static } from 'typebox';
import { Nullable } from './common.js';

const Clock = Type.String({
  pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$',
  description: 'HH:MM, 24-hour local time',
});
const Keys = Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 200, uniqueItems: true });
export const CompanyPolicyName = Type.Enum(COMPANY_POLICIES);

const scheduleFields = {
  name: Type.String({ minLength: 1, maxLength: 80 }),
  groupId: Nullable(Type.Integer({ minimum: 1 })),
  deviceId: Nullable(Type.Integer({ minimum: 1 })),
  days: Type.Array(Type.Integer({ minimum: 0, maximum: 6 }), {
    minItems: 1,
    maxItems: 7,
    uniqueItems: true,
    description: 'Days the window starts on: 0 = Sunday … 6 = Saturday',
  }),
  start: Clock,
  end: Type.String({ ...Clock, description: 'At or before start: the next day' }),
  action: Type.Enum(SCHEDULE_ACTIONS),
  companies: Keys,
  apps: Keys,
  categories: Keys,
  enabled: Type.Boolean(),
};

export const ScheduleBody = Type.Object(
  {
    ...scheduleFields,
    companies: Type.Optional(Keys),
    apps: Type.Optional(Keys),
    categories: Type.Optional(Keys),
    enabled: Type.Optional(Type.Boolean()),
    groupId: Type.Optional(scheduleFields.groupId),
    deviceId: Type.Optional(scheduleFields.deviceId),
  },
  { additionalProperties: false },
);
export type ScheduleBody = Static<typeof ScheduleBody>;

export const SchedulePatch = Type.Partial(Type.Object(scheduleFields), {
  additionalProperties: false,
  minProperties: 1,
});
export type SchedulePatch = Static<typeof SchedulePatch>;

export const ScheduleView = Type.Object({
  id: Type.Integer(),
  ...scheduleFields,
  label: Type.String({
    description: 'In words: "Kids profile: TikTok blocked 21:00–07:00 (School nights, Sun–Thu)"',
  }),
  blocks: Type.String({ description: 'What it blocks, in words ("TikTok, YouTube"); empty when it pauses' }),
  active: Type.Boolean({ description: 'In force now' }),
  until: Nullable(Type.Number({ description: 'While in force: when it stops (ms since epoch)' })),
  nextStart: Nullable(Type.Number({ description: 'When it starts next (ms since epoch)' })),
  unknown: Type.Array(Type.String(), { description: 'Names no catalog knows (they block nothing)' }),
});
export type ScheduleView = Static<typeof ScheduleView>;

export const NextChange = Type.Object({
  at: Type.Number(),
  scheduleId: Type.Integer(),
  change: Type.Enum(['starts', 'ends'] as const),
  label: Type.String(),
});

export const ScheduleList = Type.Object({
  timeZone: Type.String({ description: 'IANA name the schedules run in' }),
  timeZoneIsServer: Type.Boolean({ description: 'No zone saved: the server’s own is used' }),
  now: Type.Number(),
  next: Nullable(NextChange),
  items: Type.Array(ScheduleView),
});
export type ScheduleList = Static<typeof ScheduleList>;

export const TimeZoneBody = Type.Object(
  {
    timeZone: Nullable(
      Type.String({ minLength: 1, maxLength: 64, description: 'IANA name; null = the server’s' }),
    ),
  },
  { additionalProperties: false },
);
export type TimeZoneBody = Static<typeof TimeZoneBody>;

export const TimeZoneState = Type.Object({ timeZone: Type.String(), timeZoneIsServer: Type.Boolean() });

const Named = Type.Object({ key: Type.String(), name: Type.String() });
export const ScheduleTargetList = Type.Object({
  companies: Type.Array(Named),
  apps: Type.Array(Named),
  categories: Type.Array(Named),
});
export type ScheduleTargetList = Static<typeof ScheduleTargetList>;

export const ProfilePolicyBody = Type.Object(
  { policy: Nullable(CompanyPolicyName) },
  { additionalProperties: false, description: 'null: the household’s policy applies again' },
);
export const ProfilePolicyParams = Type.Object({
  id: Type.Integer({ minimum: 1 }),
  key: Type.String({ minLength: 1, maxLength: 100 }),
});

export const Profile = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  description: Type.String(),
  devices: Type.Array(
    Type.Object({ id: Type.Integer(), name: Type.String(), pausedUntil: Nullable(Type.Number()) }),
  ),
  lists: Type.Array(
    Type.Object({ id: Type.Integer(), name: Type.String(), kind: Type.String(), enabled: Type.Boolean() }),
  ),
  householdLists: Type.Integer({
    description: 'Lists not assigned to any profile or device: they apply here too',
  }),
  rules: Type.Array(
    Type.Object({
      id: Type.Integer(),
      action: Type.String(),
      match: Type.String(),
      pattern: Type.String(),
      expiresAt: Nullable(Type.Number()),
    }),
  ),
  companyPolicies: Type.Array(
    Type.Object({
      companyKey: Type.String(),
      companyName: Type.String(),
      policy: CompanyPolicyName,
      household: CompanyPolicyName,
    }),
  ),
  schedules: Type.Array(ScheduleView),
  inForce: Type.Array(Type.String({ description: 'What holds right now, in words' })),
  next: Nullable(NextChange),
  timeZone: Type.String(),
});
export type Profile = Static<typeof Profile>;
