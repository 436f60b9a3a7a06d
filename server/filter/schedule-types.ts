/**
 * A schedule: during set hours on set days, in the household's time zone, block named companies, apps
 * or categories for one profile (device group) or one device, or pause blocking for it.
 *
 * `days` are the days a window STARTS on (0 = Sunday … 6 = Saturday): "school nights Sun–Thu 21:00–07:00"
 * runs from Sunday 21:00 to Monday 07:00, …, Thursday 21:00 to Friday 07:00. An end at or before the start
 * ends the next day; start = end is a whole day.
 */
export const SCHEDULE_ACTIONS = ['block', 'pause'] as const;
export type ScheduleAction = (typeof SCHEDULE_ACTIONS)[number];

export interface Schedule {
  id: number;
  name: string;
  /** The profile (device group) it applies to, or null when it is for one device. */
  groupId: number | null;
  deviceId: number | null;
  days: number[];
  /** "HH:MM", 24-hour local time. */
  start: string;
  end: string;
  action: ScheduleAction;
  /** Catalog company keys (e.g. "bytedance"). */
  companies: string[];
  /** App catalog keys (e.g. "tiktok"): the app's own host names and their subdomains. */
  apps: string[];
  /** Tracker catalog category keys (e.g. "advertising"). */
  categories: string[];
  enabled: boolean;
}

export type ScheduleInput = Omit<Schedule, 'id'>;

export const DAY_NAMES = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;

/** Minutes after midnight of "HH:MM" (00:00–23:59), or null when it is not such a time. */
export function parseClock(text: string): number | null {
  const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(text);
  return match === null ? null : Number(match[1]) * 60 + Number(match[2]);
}

/** "Sun–Thu", "Sat, Sun", "every day": a household's way to name the days. */
export function describeDays(days: readonly number[]): string {
  const set = [...new Set(days)].sort((a, b) => a - b);
  if (set.length === 7) return 'every day';
  if (set.length === 0) return 'no day';
  // Runs of consecutive days, allowing a run that wraps from Saturday to Sunday.
  const runs: number[][] = [];
  for (const day of set) {
    const last = runs.at(-1);
    if (last !== undefined && last.at(-1) === day - 1) last.push(day);
    else runs.push([day]);
  }
  if (runs.length > 1 && runs[0]![0] === 0 && runs.at(-1)!.at(-1) === 6)
    runs[0] = [...runs.pop()!, ...runs[0]!];
  return runs
    .map((run) =>
      run.length >= 3
        ? `${DAY_NAMES[run[0]!]}–${DAY_NAMES[run.at(-1)!]}`
        : run.map((d) => DAY_NAMES[d]).join(', '),
    )
    .join(', ');
}

/** Every problem of a schedule, each naming its field ("days[2]: …"); empty when it is usable. */
export function scheduleProblems(input: ScheduleInput): string[] {
  const problems: string[] = [];
  if (input.name.trim() === '') problems.push('name: must not be blank');
  if ((input.groupId === null) === (input.deviceId === null))
    problems.push('groupId/deviceId: a schedule is for exactly one profile or one device');
  if (input.days.length === 0) problems.push('days: pick at least one day');
  input.days.forEach((day, i) => {
    if (!Number.isInteger(day) || day < 0 || day > 6)
      problems.push(`days[${i}]: ${day} is not a day (0 = Sunday … 6 = Saturday)`);
  });
  if (parseClock(input.start) === null) problems.push(`start: "${input.start}" is not a time like 21:00`);
  if (parseClock(input.end) === null) problems.push(`end: "${input.end}" is not a time like 07:00`);
  if (input.action === 'block' && input.companies.length + input.apps.length + input.categories.length === 0)
    problems.push('companies/apps/categories: a blocking schedule needs at least one thing to block');
  return problems;
}
