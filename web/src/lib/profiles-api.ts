// Profiles (device groups seen whole) and schedules: typed wrappers for /api/profiles and /api/schedules.
// Routes and types come from the route table generated from the server's schemas (api-schema.ts).
import { call } from './api-client.js';
import type {
  Profile,
  ScheduleBody,
  ScheduleList,
  SchedulePatch,
  ScheduleTargetList,
  ScheduleView,
} from './api-schema.js';

export type { Profile, ScheduleBody, ScheduleList, ScheduleTargetList, ScheduleView };
export type ProfilePolicy = Profile['companyPolicies'][number]['policy'];

export const profilesApi = {
  get: (id: number) => call('GET /api/profiles/{id}', { params: { id } }),
  setCompanyPolicy: (id: number, companyKey: string, policy: ProfilePolicy | null) =>
    call('PUT /api/profiles/{id}/company-policies/{key}', {
      params: { id, key: companyKey },
      body: { policy },
    }),
  schedules: () => call('GET /api/schedules'),
  targets: () => call('GET /api/schedules/targets'),
  createSchedule: (body: ScheduleBody) => call('POST /api/schedules', { body }),
  updateSchedule: (id: number, patch: SchedulePatch) =>
    call('PATCH /api/schedules/{id}', { params: { id }, body: patch }),
  removeSchedule: (id: number) => call('DELETE /api/schedules/{id}', { params: { id } }),
  setTimeZone: (timeZone: string | null) => call('PUT /api/schedules/time-zone', { body: { timeZone } }),
};

/** A schedule running on for longer than this has no end in sight (tracksink looks a week ahead). */
export const ALWAYS_MS = 6 * 86_400_000;

export const DAY_LABELS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;

/** "Sun 21:00" (or "21:00" when it is within the next 24 hours), on the household's clock. */
export function whenLocal(at: number, timeZone: string, now = Date.now()): string {
  const time = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(at);
  if (at - now < 86_400_000) return time;
  const day = new Intl.DateTimeFormat('en-GB', { timeZone, weekday: 'short' }).format(at);
  return `${day} ${time}`;
}

export const POLICY_WORDS: Record<ProfilePolicy, string> = {
  'block-tracking': 'Block its tracking (as usual)',
  'block-everything': 'Block everything from it',
  allow: 'Allow everything from it',
};
