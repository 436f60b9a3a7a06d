/**
 * The People page in Chromium against a real tracksink (real DNS, real SQLite): a person added through
 * the form with the Kids profile, given a phone from their card, has TikTok blocked on that phone through
 * real DNS (the profile comes from the person); the device page says whose device it is and that it
 * follows their profile; a second device is given to them from its own page. At 390 px and 1440 px the
 * page scrolls no sideways, nothing reaches past the screen, and no console error is logged.
 */
import type { ConsoleMessage } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestBrowser } from './helpers/browser.js';
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

const password = 'people-e2e-password-1';
const phone = '127.0.0.41';
const laptop = '127.0.0.42';
const run: Partial<SignedIn> = {};
const ids = { phone: 0, laptop: 0 };
const consoleErrors: string[] = [];

const ts = () => tracksinkOf(run);
const api = apiFor(run);

/** Elements whose right edge is past the screen (cut off), for the failure message. */
async function cutOff(page: TestBrowser['page']): Promise<string[]> {
  return page.evaluate<string[]>(`[...document.querySelectorAll('main *')]
    .filter((el) => { const r = el.getBoundingClientRect(); return r.width > 0 && r.right > window.innerWidth + 1; })
    .slice(0, 5).map((el) => el.tagName + '.' + el.className + ' ' + Math.round(el.getBoundingClientRect().right))`);
}

beforeAll(async () => {
  const { browser } = await startSignedIn(run, password);
  browser.page.on('console', (message: ConsoleMessage) => {
    if (message.type() === 'error') consoleErrors.push(`${message.text()} (${message.location().url})`);
  });
  expect(await dig(phone, ts().dnsPort, 'www.tiktok.com')).toEqual(['192.0.2.1']);
  expect(await dig(laptop, ts().dnsPort, 'www.example.org')).toHaveLength(1);
  const devices = await api<{ items: Array<{ id: number; addresses: string[] }> }>('GET', '/api/devices');
  ids.phone = devices.body.items.find((d) => d.addresses.includes(phone))!.id;
  ids.laptop = devices.body.items.find((d) => d.addresses.includes(laptop))!.id;
  expect((await api('PATCH', `/api/devices/${ids.phone}`, { name: 'Sam’s phone' })).status).toBe(200);
  expect((await api('PATCH', `/api/devices/${ids.laptop}`, { name: 'Sam’s laptop' })).status).toBe(200);
  const group = await api<{ id: number }>('POST', '/api/groups', { name: 'Kids' });
  expect(group.status).toBe(201);
  await blockTikTokAllDay(api, group.body.id);
}, 90_000);

afterAll(() => stopSignedIn(run));

describe.sequential('the People page', { timeout: 60_000 }, () => {
  it('adds Sam with the Kids profile and gives them the phone: TikTok is blocked on it through real DNS', async () => {
    const { page } = run.browser!;
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.goto(`${ts().baseUrl}/#/overview`);
    await page.getByRole('link', { name: 'People' }).first().click();
    await page.getByRole('heading', { name: 'People', exact: true }).waitFor();
    await page.getByText('No people yet').waitFor();

    // A blank name is refused by the server with what was wrong.
    await page.getByLabel('New person’s name').fill('   ');
    await page.getByRole('button', { name: 'Add person' }).click();
    await page.getByRole('alert').waitFor();
    expect(await text(page.getByRole('alert'))).toContain('body.name: must not be blank');
    // The browser logs that refused request (HTTP 400) as a console error: that one was asked for.
    consoleErrors.length = 0;

    await page.getByLabel('New person’s name').fill('Sam');
    await page.getByLabel('New person’s profile').selectOption({ label: 'Kids' });
    await page.getByRole('button', { name: 'Add person' }).click();
    const card = page.getByTestId('person-card').filter({ hasText: 'Sam' });
    await card.waitFor();
    expect(await card.getByLabel('Sam’s profile').inputValue()).not.toBe('');
    await card.getByLabel('Add a device to Sam').selectOption({ label: 'Sam’s phone' });
    await card.getByTestId('person-device').filter({ hasText: 'Sam’s phone' }).waitFor();

    expect(await dig(phone, ts().dnsPort, 'www.tiktok.com')).toEqual(['0.0.0.0']);
    expect(await dig(laptop, ts().dnsPort, 'www.tiktok.com')).toEqual(['192.0.2.1']); // nobody's yet
    await page.reload();
    const summary = page.getByTestId('person-card').filter({ hasText: 'Sam' }).getByTestId('person-summary');
    await expect.poll(async () => text(summary), { timeout: 20_000 }).toMatch(/from 1 device/);
  });

  it('the device page says whose device it is and gives the laptop to Sam', async () => {
    const { page } = run.browser!;
    await page.goto(`${ts().baseUrl}/#/devices/${ids.phone}`);
    const owner = page.getByTestId('device-person');
    await owner.waitFor();
    expect(await text(owner)).toContain('Follows Sam’s profile Kids.');

    await page.goto(`${ts().baseUrl}/#/devices/${ids.laptop}`);
    const choice = page.getByTestId('device-person').getByLabel('Whose device this is');
    await choice.selectOption({ label: 'Sam' });
    await expect.poll(() => text(page.getByTestId('device-person'))).toContain('Follows Sam’s profile Kids.');
    expect(await dig(laptop, ts().dnsPort, 'www.tiktok.com')).toEqual(['0.0.0.0']);
  });

  for (const viewport of [
    { label: '390', width: 390, height: 844 },
    { label: '1440', width: 1440, height: 900 },
  ]) {
    it(`fits ${viewport.width} px: no sideways scroll, nothing cut off, no console error`, async () => {
      const { page } = run.browser!;
      await page.setViewportSize({ width: viewport.width, height: viewport.height });
      await page.goto(`${ts().baseUrl}/#/people`);
      const card = page.getByTestId('person-card').filter({ hasText: 'Sam' });
      await card.getByTestId('person-device').nth(1).waitFor();
      const overflow = await page.evaluate<number>(
        'document.documentElement.scrollWidth - window.innerWidth',
      );
      expect(overflow, (await cutOff(page)).join('; ')).toBeLessThanOrEqual(0);
      expect(await cutOff(page)).toEqual([]);
      await run.browser!.screenshot(`people-${viewport.label}`);
      expect(consoleErrors).toEqual([]);
      expect(run.browser!.pageErrors).toEqual([]);
    });
  }
});
