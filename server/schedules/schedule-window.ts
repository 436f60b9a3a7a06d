/**
 * When a schedule is in force: its windows around an instant, in the household's time zone, and the next
 * instant anything changes. Windows are computed from local dates (wall-clock.ts decides the DST cases),
 * so "21:00–07:00" means 21:00 and 07:00 on the clocks of the house, summer or winter.
 */
import type { Schedule } from '../filter/schedule-types.js';
import { parseClock } from '../filter/schedule-types.js';
import { addDays, instantOf, localTime } from './wall-clock.js';

export interface Window {
  start: number;
  end: number;
}

export interface WindowState {
  active: boolean;
  /** While active: when it stops (adjacent windows merged), else null. */
  until: number | null;
  /** The next start after now (not counting the window in force), else null. */
  nextStart: number | null;
}

/** How far ahead a schedule is looked at: a week and a day covers every weekly pattern. */
const DAYS_AHEAD = 8;

/** The schedule's windows that start from the day before `now` to a week after it, in order. */
export function windowsAround(
  schedule: Pick<Schedule, 'days' | 'start' | 'end'>,
  now: number,
  timeZone: string,
): Window[] {
  const startMinute = parseClock(schedule.start);
  const endMinute = parseClock(schedule.end);
  if (startMinute === null || endMinute === null) return [];
  const today = localTime(now, timeZone);
  const windows: Window[] = [];
  for (let k = -1; k <= DAYS_AHEAD; k++) {
    const date = addDays(today, k);
    if (!schedule.days.includes(date.weekday)) continue;
    const start = instantOf(date, startMinute, timeZone);
    const end = instantOf(endMinute <= startMinute ? addDays(date, 1) : date, endMinute, timeZone);
    // A window wholly inside a skipped hour (02:00–03:00 on the spring-forward night) is empty.
    if (end > start) windows.push({ start, end });
  }
  return windows;
}

export function windowState(
  schedule: Pick<Schedule, 'days' | 'start' | 'end'>,
  now: number,
  timeZone: string,
): WindowState {
  const windows = windowsAround(schedule, now, timeZone);
  let until: number | null = null;
  for (const w of windows) if (w.start <= now && now < w.end) until = Math.max(until ?? 0, w.end);
  if (until !== null) {
    // Back-to-back windows (every day 00:00–00:00) read as one.
    let grown = true;
    while (grown) {
      grown = false;
      for (const w of windows)
        if (w.start <= until && w.end > until) {
          until = w.end;
          grown = true;
        }
    }
  }
  let nextStart: number | null = null;
  for (const w of windows)
    if (w.start > now && (until === null || w.start > until) && (nextStart === null || w.start < nextStart))
      nextStart = w.start;
  return { active: until !== null, until, nextStart };
}

/** The first instant after `now` at which some schedule starts or stops, or null when none will. */
export function nextBoundary(
  schedules: ReadonlyArray<Pick<Schedule, 'days' | 'start' | 'end'>>,
  now: number,
  timeZone: string,
): number | null {
  let next: number | null = null;
  for (const schedule of schedules)
    for (const w of windowsAround(schedule, now, timeZone)) {
      if (w.start > now && (next === null || w.start < next)) next = w.start;
      if (w.end > now && (next === null || w.end < next)) next = w.end;
    }
  return next;
}
