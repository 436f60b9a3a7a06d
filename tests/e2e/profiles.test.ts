/**
 * The profile page in Chromium against a real tracksink: a phone in the Kids profile with a schedule in
 * force all day today has TikTok blocked (real DNS), the page says what is in force and what changes
 * next, a schedule added through the form appears with when it starts, and the device page names its
 * profile. Screenshots at 1440 px and 390 px wide.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dig } from './helpers/dns-client.js';
import {
  apiFor,
  blockTikTokAllDay,
  startSignedIn,
  stopSignedIn,
  text,
  tracksinkOf,
  type SignedIn,
} from './helpers/signed-in.js';

const password = 'profiles-e2e-password-1';
const phone = '127.0.0.12';
const run: Partial<SignedIn> = {};
let deviceId = 0;
let profileId = 0;

const ts = () => tracksinkOf(run);
const api = apiFor(run);

beforeAll(async () => {
  await startSignedIn(run, password);
  expect(await dig(phone, ts().dnsPort, 'www.tiktok.com')).toEqual(['192.0.2.1']);
  const devices = await api<{ items: Array<{ id: number; addresses: string[] }> }>('GET', '/api/devices');
  deviceId = devices.body.items.find((d) => d.addresses.includes(phone))!.id;
  const group = await api<{ id: number }>('POST', '/api/groups', { name: 'Kids', deviceIds: [deviceId] });
  expect(group.status).toBe(201);
  profileId = group.body.id;
  const schedule = await blockTikTokAllDay(api, profileId);
  expect(schedule.body.active).toBe(true);
}, 90_000);

afterAll(() => stopSignedIn(run));

describe.sequential('the profile page', { timeout: 60_000 }, () => {
  it('the household time zone: a wrong name is refused with what was wrong, a right one saved', async () => {
    const { page } = run.browser!;
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.goto(`${ts().baseUrl}/#/profiles`);
    const card = page.getByTestId('household-time-zone');
    const input = card.getByLabel('Time zone');
    await expect.poll(() => input.inputValue()).toBe('UTC');
    await input.fill('Europe/Atlantis');
    await card.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('alert').waitFor();
    expect(await text(page.getByRole('alert'))).toContain('"Europe/Atlantis" is not a time zone name');
    await input.fill('UTC');
    await card.getByRole('button', { name: 'Save' }).click();
    await card.getByRole('status').waitFor();
    expect(await text(card.getByRole('status'))).toBe('Saved: schedules now run on UTC time.');
  });

  it('blocks TikTok for the profile through real DNS', async () => {
    expect(await dig(phone, ts().dnsPort, 'www.tiktok.com')).toEqual(['0.0.0.0']);
    expect(await dig('127.0.0.13', ts().dnsPort, 'www.tiktok.com')).toEqual(['192.0.2.1']);
  });

  it('shows what is in force now and the profile devices, reached from the navigation', async () => {
    const { page } = run.browser!;
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.goto(`${ts().baseUrl}/#/overview`);
    await page.getByRole('link', { name: 'Profiles' }).first().click();
    await page.getByTestId('profile-list').getByRole('link', { name: 'Kids' }).click();
    const now = page.getByTestId('profile-now');
    await now.waitFor();
    expect(await text(now)).toContain('TikTok blocked all week (No TikTok)');
    expect(await text(now)).toContain('(UTC)');
    expect(await text(page.getByTestId('profile-schedules'))).toContain(
      'No TikTok In force all week TikTok blocked all day (No TikTok, every day)',
    );
  });

  it('adds a school-night schedule through the form and says when it starts', async () => {
    const { page } = run.browser!;
    const form = page.getByRole('form', { name: 'New schedule' });
    await form.getByLabel('Name').fill('School nights');
    const pick = form.getByLabel('App, company or kind to block');
    await pick.selectOption({ label: 'YouTube' });
    await pick.selectOption({ label: 'Snapchat' });
    await form.getByRole('button', { name: 'Add schedule' }).click();
    const schedules = page.getByTestId('profile-schedules');
    const item = schedules.locator('li').filter({ hasText: 'School nights' });
    await item.waitFor();
    expect(await text(item)).toMatch(/(In force until|Starts) /);
    // The real clock decides whether school night is on now; the page says so either way.
    const now = await text(page.getByTestId('profile-now'));
    expect(now).toMatch(
      /YouTube, Snapchat blocked until \d\d:\d\d \(School nights\)|Next: “School nights” starts/,
    );
    expect(await text(item)).toContain('YouTube, Snapchat blocked 21:00–07:00 (School nights, Sun–Thu)');
    expect(run.browser!.pageErrors).toEqual([]);
    await run.browser!.screenshot('profile-1440');
  });

  it('the device page names its profile', async () => {
    const { page } = run.browser!;
    await page.goto(`${ts().baseUrl}/#/devices/${deviceId}`);
    const line = page.getByTestId('device-profiles');
    await line.waitFor();
    expect(await text(line)).toMatch(/^Profile: Kids/);
    const section = page.getByTestId('device-schedules');
    await expect
      .poll(() => text(section))
      .toMatch(/Kids profile: TikTok blocked all day \(No TikTok, every day\)\s*in force now/);
    // A schedule for this device alone: pause blocking on Saturday mornings.
    const form = section.getByRole('form', { name: 'New schedule' });
    await form.getByLabel('Name').fill('Saturday cartoons');
    for (const day of ['Sun', 'Mon', 'Tue', 'Wed', 'Thu']) await form.getByLabel(day).uncheck();
    await form.getByLabel('Sat').check();
    await form.getByLabel('From').fill('08:00');
    await form.getByLabel('Until').fill('10:00');
    await form.getByLabel('What happens').selectOption('pause');
    await form.getByRole('button', { name: 'Add schedule' }).click();
    const item = section.locator('li').filter({ hasText: 'Saturday cartoons' });
    await item.waitFor();
    expect(await text(item)).toContain('blocking paused 08:00–10:00 (Saturday cartoons, Sat)');
    expect(await text(item)).toMatch(/Starts Sat 08:00|In force until 10:00/);
    await run.browser!.screenshot('profile-device-1440');
  });

  it('fits a 390 px wide phone screen', async () => {
    const { page } = run.browser!;
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${ts().baseUrl}/#/profiles/${profileId}`);
    await page.getByTestId('profile-now').waitFor();
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
    expect(overflow).toBeLessThanOrEqual(0);
    await run.browser!.screenshot('profile-390');
    expect(run.browser!.pageErrors).toEqual([]);
  });
});
