/**
 * Wall-clock time in a household's IANA time zone, with nothing but Intl: what local date and time an
 * instant is, and which instant a local date and time is. Not on the DNS hot path (the schedule timer
 * calls it at boundaries only), so it may allocate; formatters are cached per time zone.
 *
 * DST choices (the two awkward cases of a local time → instant):
 * - A local time that does not exist (02:30 on the spring-forward night in Berlin or New York): the
 *   instant clocks jump over it, i.e. the first instant whose wall-clock time is later. A window that
 *   starts at 02:30 that night starts at 03:00 local; one that ends at 02:30 ends at 03:00 local.
 * - A local time that happens twice (02:30 on the fall-back night): the first of the two. A window never
 *   starts or ends twice.
 */

export interface LocalDate {
  year: number;
  /** 1–12 */
  month: number;
  /** 1–31 */
  day: number;
}

export interface LocalTime extends LocalDate {
  /** 0 = Sunday … 6 = Saturday */
  weekday: number;
  /** Minutes since local midnight, 0–1439. */
  minute: number;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let format = formatters.get(timeZone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, format);
  }
  return format;
}

/** True when `timeZone` is an IANA name this Node knows (e.g. "Europe/Berlin", "UTC"). */
export function isValidTimeZone(timeZone: unknown): timeZone is string {
  if (typeof timeZone !== 'string' || timeZone === '' || timeZone.length > 64) return false;
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The server's own time zone (the default for a household that set none). */
export function serverTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

/** The wall-clock reading of `instant` as if it were UTC, in ms (seconds kept, ms dropped). */
function wallAsUtc(instant: number, timeZone: string): number {
  const parts = formatterFor(timeZone).formatToParts(new Date(instant));
  let year = 0;
  let month = 0;
  let day = 0;
  let hour = 0;
  let minute = 0;
  let second = 0;
  for (const part of parts) {
    if (part.type === 'year') year = Number(part.value);
    else if (part.type === 'month') month = Number(part.value);
    else if (part.type === 'day') day = Number(part.value);
    else if (part.type === 'hour') hour = Number(part.value);
    else if (part.type === 'minute') minute = Number(part.value);
    else if (part.type === 'second') second = Number(part.value);
  }
  return Date.UTC(year, month - 1, day, hour, minute, second);
}

/** The zone's offset from UTC at `instant`, in ms (Berlin in summer: +2 h). */
export function offsetAt(instant: number, timeZone: string): number {
  const whole = instant - (((instant % 1000) + 1000) % 1000);
  return wallAsUtc(whole, timeZone) - whole;
}

export function localTime(instant: number, timeZone: string): LocalTime {
  const wall = new Date(wallAsUtc(instant, timeZone));
  return {
    year: wall.getUTCFullYear(),
    month: wall.getUTCMonth() + 1,
    day: wall.getUTCDate(),
    weekday: wall.getUTCDay(),
    minute: wall.getUTCHours() * 60 + wall.getUTCMinutes(),
  };
}

/** The date `days` after `date` (negative: before), with its weekday. */
export function addDays(date: LocalDate, days: number): LocalDate & { weekday: number } {
  const d = new Date(Date.UTC(date.year, date.month - 1, date.day) + days * DAY);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    weekday: d.getUTCDay(),
  };
}

/**
 * The instant at which the local wall clock of `timeZone` reads `minute` minutes after midnight of
 * `date`; for a time skipped by DST, the instant clocks jump past it; for a repeated time, the first.
 */
export function instantOf(date: LocalDate, minute: number, timeZone: string): number {
  const naive = Date.UTC(date.year, date.month - 1, date.day) + minute * MINUTE;
  // Offsets in force around that day: at most one change within 14 hours either side.
  const before = offsetAt(naive - 14 * HOUR, timeZone);
  const after = offsetAt(naive + 14 * HOUR, timeZone);
  const candidates = before === after ? [before] : [before, after];
  let best = Number.POSITIVE_INFINITY;
  for (const offset of candidates) {
    const instant = naive - offset;
    if (instant + offsetAt(instant, timeZone) === naive && instant < best) best = instant;
  }
  if (best !== Number.POSITIVE_INFINITY) return best;
  // A gap: the wall clock jumps from before `naive` to after it. Find the jump to the second.
  let low = naive - Math.max(before, after); // wall clock still before `naive`
  let high = naive - Math.min(before, after); // wall clock already after it
  while (high - low > 1000) {
    const mid = low + Math.floor((high - low) / 2000) * 1000;
    if (mid + offsetAt(mid, timeZone) >= naive) high = mid;
    else low = mid;
  }
  return high;
}
