import { describe, expect, it } from 'vitest';
import { describeDays, scheduleProblems } from '../../../server/filter/schedule-types.js';
import { nextBoundary, windowState } from '../../../server/schedules/schedule-window.js';
import { instantOf, isValidTimeZone, localTime } from '../../../server/schedules/wall-clock.js';

const utc = (text: string) => Date.parse(`${text}Z`);
const EVERY_DAY = [0, 1, 2, 3, 4, 5, 6];
const nights = { days: EVERY_DAY, start: '21:00', end: '07:00' };

describe('wall clock in a time zone', () => {
  it('reads local time and weekday on both sides of a DST change', () => {
    expect(localTime(utc('2026-03-29T00:59:00'), 'Europe/Berlin')).toMatchObject({
      day: 29,
      minute: 1 * 60 + 59,
      weekday: 0,
    });
    expect(localTime(utc('2026-03-29T01:00:00'), 'Europe/Berlin')).toMatchObject({ day: 29, minute: 3 * 60 });
    expect(localTime(utc('2026-11-01T05:30:00'), 'America/New_York')).toMatchObject({
      day: 1,
      minute: 60 + 30,
    });
    expect(localTime(utc('2026-11-01T06:30:00'), 'America/New_York')).toMatchObject({
      day: 1,
      minute: 60 + 30,
    });
  });

  it('a time skipped by spring-forward is the instant clocks jump past it; a repeated time is the first', () => {
    expect(instantOf({ year: 2026, month: 3, day: 29 }, 150, 'Europe/Berlin')).toBe(
      utc('2026-03-29T01:00:00'),
    );
    expect(instantOf({ year: 2026, month: 3, day: 8 }, 150, 'America/New_York')).toBe(
      utc('2026-03-08T07:00:00'),
    );
    expect(instantOf({ year: 2026, month: 10, day: 25 }, 150, 'Europe/Berlin')).toBe(
      utc('2026-10-25T00:30:00'),
    );
    expect(instantOf({ year: 2026, month: 11, day: 1 }, 90, 'America/New_York')).toBe(
      utc('2026-11-01T05:30:00'),
    );
  });

  it('validates IANA names', () => {
    expect(isValidTimeZone('Europe/Berlin')).toBe(true);
    expect(isValidTimeZone('UTC')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus')).toBe(false);
    expect(isValidTimeZone('')).toBe(false);
    expect(isValidTimeZone(3)).toBe(false);
  });
});

describe('a 21:00–07:00 window on the nights clocks change', () => {
  it('Berlin spring-forward night lasts 9 hours, on the house clocks', () => {
    const before = windowState(nights, utc('2026-03-28T19:59:00'), 'Europe/Berlin');
    expect(before).toMatchObject({ active: false, nextStart: utc('2026-03-28T20:00:00') });
    const inside = windowState(nights, utc('2026-03-28T20:00:00'), 'Europe/Berlin');
    expect(inside).toMatchObject({ active: true, until: utc('2026-03-29T05:00:00') });
    expect(windowState(nights, utc('2026-03-29T04:59:00'), 'Europe/Berlin').active).toBe(true);
    const after = windowState(nights, utc('2026-03-29T05:00:00'), 'Europe/Berlin');
    expect(after).toMatchObject({ active: false, nextStart: utc('2026-03-29T19:00:00') });
  });

  it('Berlin fall-back night lasts 11 hours', () => {
    expect(windowState(nights, utc('2026-10-24T19:00:00'), 'Europe/Berlin')).toMatchObject({
      active: true,
      until: utc('2026-10-25T06:00:00'),
    });
    expect(windowState(nights, utc('2026-10-25T05:59:00'), 'Europe/Berlin').active).toBe(true);
    expect(windowState(nights, utc('2026-10-25T06:00:00'), 'Europe/Berlin').active).toBe(false);
  });

  it('New York, both changes', () => {
    expect(windowState(nights, utc('2026-03-08T02:00:00'), 'America/New_York')).toMatchObject({
      active: true,
      until: utc('2026-03-08T11:00:00'),
    });
    expect(windowState(nights, utc('2026-03-08T01:59:00'), 'America/New_York').active).toBe(false);
    expect(windowState(nights, utc('2026-11-01T01:00:00'), 'America/New_York')).toMatchObject({
      active: true,
      until: utc('2026-11-01T12:00:00'),
    });
    expect(windowState(nights, utc('2026-11-01T11:59:00'), 'America/New_York').active).toBe(true);
  });
});

describe('a window at 02:30 on the spring-forward night (a time that does not exist)', () => {
  const early = { days: [0], start: '02:30', end: '04:00' };
  it('starts when the clocks jump to 03:00 (Berlin)', () => {
    expect(windowState(early, utc('2026-03-29T00:59:59'), 'Europe/Berlin')).toMatchObject({
      active: false,
      nextStart: utc('2026-03-29T01:00:00'),
    });
    expect(windowState(early, utc('2026-03-29T01:00:00'), 'Europe/Berlin')).toMatchObject({
      active: true,
      until: utc('2026-03-29T02:00:00'),
    });
  });
  it('starts when the clocks jump to 03:00 (New York)', () => {
    expect(windowState(early, utc('2026-03-08T07:00:00'), 'America/New_York')).toMatchObject({
      active: true,
      until: utc('2026-03-08T08:00:00'),
    });
    expect(windowState(early, utc('2026-03-08T06:59:00'), 'America/New_York').active).toBe(false);
  });
  it('a window wholly inside the skipped hour does not happen that night', () => {
    const skipped = { days: [0], start: '02:00', end: '02:59' };
    expect(windowState(skipped, utc('2026-03-29T01:00:00'), 'Europe/Berlin').active).toBe(false);
    expect(windowState(skipped, utc('2026-04-05T00:30:00'), 'Europe/Berlin').active).toBe(true);
  });
});

describe('school nights Sun–Thu 21:00–07:00', () => {
  const school = { days: [0, 1, 2, 3, 4], start: '21:00', end: '07:00' };
  it('Thursday night runs into Friday morning, Friday night is free, next start is Sunday 21:00', () => {
    // 2026-12-04 is a Friday; Berlin is UTC+1 in winter.
    expect(windowState(school, utc('2026-12-04T05:00:00'), 'Europe/Berlin')).toMatchObject({
      active: true,
      until: utc('2026-12-04T06:00:00'),
    });
    expect(windowState(school, utc('2026-12-04T21:00:00'), 'Europe/Berlin')).toMatchObject({
      active: false,
      nextStart: utc('2026-12-06T20:00:00'),
    });
  });
  it('the next boundary is the nearest start or end of any schedule', () => {
    expect(nextBoundary([school], utc('2026-12-04T05:00:00'), 'Europe/Berlin')).toBe(
      utc('2026-12-04T06:00:00'),
    );
    expect(nextBoundary([school], utc('2026-12-04T06:00:00'), 'Europe/Berlin')).toBe(
      utc('2026-12-06T20:00:00'),
    );
    expect(nextBoundary([], utc('2026-12-04T06:00:00'), 'Europe/Berlin')).toBeNull();
  });
  it('whole days back to back read as one window', () => {
    const weekend = { days: [6, 0], start: '00:00', end: '00:00' };
    expect(windowState(weekend, utc('2026-12-05T12:00:00'), 'UTC')).toMatchObject({
      active: true,
      until: utc('2026-12-07T00:00:00'),
    });
  });
});

describe('schedule checks and words', () => {
  it('names the days as a household does', () => {
    expect(describeDays([0, 1, 2, 3, 4])).toBe('Sun–Thu');
    expect(describeDays([6, 0])).toBe('Sat, Sun');
    expect(describeDays([5, 6, 0, 1])).toBe('Fri–Mon');
    expect(describeDays(EVERY_DAY)).toBe('every day');
  });
  it('lists every problem with its field', () => {
    const problems = scheduleProblems({
      name: ' ',
      groupId: 1,
      deviceId: 2,
      days: [7],
      start: '25:00',
      end: '7:00',
      action: 'block',
      companies: [],
      apps: [],
      categories: [],
      enabled: true,
    });
    expect(problems).toEqual([
      'name: must not be blank',
      'groupId/deviceId: a schedule is for exactly one profile or one device',
      'days[0]: 7 is not a day (0 = Sunday … 6 = Saturday)',
      'start: "25:00" is not a time like 21:00',
      'end: "7:00" is not a time like 07:00',
      'companies/apps/categories: a blocking schedule needs at least one thing to block',
    ]);
  });
});
