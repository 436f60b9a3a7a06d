// Profiles (device groups seen whole) and schedules: typed wrappers for /api/profiles and /api/schedules.
// Types come from server/api/schemas (type-only imports: no schema code reaches the bundle).
import { request } from './http.js';
import type {
  Profile,
  ScheduleBody,
  ScheduleList,
  SchedulePatch,
  ScheduleTargetList,
  ScheduleView,
} from '../../../server/api/schemas/schedules.js';

export type { Profile, ScheduleBody, ScheduleList, ScheduleTargetList, ScheduleView };
export type ProfilePolicy = Profile['companyPolicies'][number]['policy'];

export const profilesApi = {
  get: (id: number) => request<Profile>('GET', `/api/profiles/${id}`),
  setCompanyPolicy: (id: number, companyKey: string, policy: ProfilePolicy | null) =>
    request<Profile>('PUT', `/api/profiles/${id}/company-policies/${encodeURIComponent(companyKey)}`, {
      policy,
    }),
  schedules: () => request<ScheduleList>('GET', '/api/schedules'),
  targets: () => request<ScheduleTargetList>('GET', '/api/schedules/targets'),
  createSchedule: (body: ScheduleBody) => request<ScheduleView>('POST', '/api/schedules', body),
  updateSchedule: (id: number, patch: SchedulePatch) =>
    request<ScheduleView>('PATCH', `/api/schedules/${id}`, patch),
  removeSchedule: (id: number) => request<{ ok: true }>('DELETE', `/api/schedules/${id}`),
  setTimeZone: (timeZone: string | null) =>
    request<{ timeZone: string; timeZoneIsServer: boolean }>('PUT', '/api/schedules/time-zone', { timeZone }),
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
