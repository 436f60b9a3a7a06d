// Human-friendly numbers and times. One Intl formatter of each kind, built once (they are costly to make).

const integer = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const compact = new Intl.NumberFormat(undefined, { notation: 'compact', maximumFractionDigits: 1 });
const percent = new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 1 });
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const timeOnly = new Intl.DateTimeFormat(undefined, {
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

/** 12345 → "12,345" (locale aware). */
export function formatCount(value: number | null | undefined): string {
  return value == null || !Number.isFinite(value) ? '–' : integer.format(value);
}

/**
 * 1 → "1 device", 3 → "3 devices", 0 → "0 devices" (English plurals; numbers locale-formatted). The one
 * place the dashboard counts things in words: never "1 attempts".
 */
export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${formatCount(count)} ${pluralWord(count, singular, pluralForm)}`;
}

/** The word alone, for markup that styles the number apart: 1 → "attempt", 2 → "attempts". */
export function pluralWord(count: number, singular: string, pluralForm = `${singular}s`): string {
  return count === 1 ? singular : pluralForm;
}

/**
 * "Meta Platforms · Facebook", but "Pinterest" (not "Pinterest · Pinterest") and "ByteDance (TikTok)" (not
 * "… · TikTok") when the company's name already says the app.
 */
export function companyAndApp(company: string | null | undefined, app: string | null | undefined): string {
  if (!company) return app ?? '';
  if (!app || company.toLowerCase().includes(app.toLowerCase())) return company;
  return `${company} · ${app}`;
}

/** 1234567 → "1.2M": for tiles where space is short. */
export function formatCompact(value: number | null | undefined): string {
  return value == null || !Number.isFinite(value) ? '–' : compact.format(value);
}

/** 0.1234 → "12.3%". */
export function formatShare(part: number, whole: number): string {
  return whole > 0 ? percent.format(part / whole) : '–';
}

const steps: [Intl.RelativeTimeFormatUnit, number][] = [
  ['second', 60],
  ['minute', 60],
  ['hour', 24],
  ['day', 7],
  ['week', 4.35],
  ['month', 12],
  ['year', Number.POSITIVE_INFINITY],
];

/** A time in ms since the epoch → "3 minutes ago" / "in 1 hour"; "never" for null. */
export function formatRelative(ms: number | null | undefined, now = Date.now()): string {
  if (ms == null || !Number.isFinite(ms) || ms <= 0) return 'never';
  let amount = (ms - now) / 1000;
  if (Math.abs(amount) < 10) return 'just now';
  for (const [unit, size] of steps) {
    if (Math.abs(amount) < size) return relative.format(Math.round(amount), unit);
    amount /= size;
  }
  return dateTime.format(ms);
}

/** Absolute date and time, for tooltips next to a relative time. */
export function formatDateTime(ms: number | null | undefined): string {
  return ms == null || !Number.isFinite(ms) || ms <= 0 ? '' : dateTime.format(ms);
}

/** Time of day with seconds, for the query log. */
export function formatTime(ms: number): string {
  return timeOnly.format(ms);
}

/**
 * Shows characters that DNS names may carry but a page should not render raw (control characters,
 * escapes) as visible escapes. Svelte's text interpolation already escapes HTML; this only makes
 * invisible bytes visible so a name can't pretend to be another.
 */
export function visibleName(name: string): string {
  let out = '';
  for (const char of name) {
    const code = char.codePointAt(0) ?? 0;
    if (code < 0x20 || code === 0x7f || (code >= 0x80 && code < 0xa0)) {
      out += `\\x${code.toString(16).padStart(2, '0')}`;
    } else {
      out += char;
    }
  }
  return out;
}
