/**
 * Issue 15 item 5 in Chromium against a real tracksink: the Overview's "Name your devices" lists the
 * devices nobody named, with suggestions (here the DHCP lease's host name); one click on a suggestion
 * names a device, typing names another; the device page asks for the name first, above everything else.
 * At 390 px and at 1440 px: nothing reaches past the screen's edge, and no console error on any page.
 * Screenshots go to tests/e2e/screenshots/naming-*.png.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConsoleMessage, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTracksink, type TracksinkProcess } from '../helpers/tracksink-process.js';
import { startStubDnsServer, type StubDnsServer } from '../helpers/upstream/stub-dns-server.js';
import { launchBrowser, type TestBrowser } from './helpers/browser.js';
import { resolveFrom } from './helpers/dns-client.js';

const password = 'e2e-naming-password-1';
const phone = '127.0.0.2'; // has a DHCP lease named annas-iphone
const tablet = '127.0.0.3'; // nothing names it
const widths = [
  { label: 'phone', width: 390, height: 844 },
  { label: 'desktop', width: 1440, height: 900 },
];

let workDir = '';
let stub: StubDnsServer | undefined;
let tracksink: TracksinkProcess | undefined;
let browser: TestBrowser | undefined;
const consoleErrors: string[] = [];

function ts(): TracksinkProcess {
  if (!tracksink) throw new Error('tracksink did not start');
  return tracksink;
}

interface DeviceRow {
  id: number;
  name: string;
  userName: string | null;
  addresses: string[];
}

async function devices(page: Page): Promise<DeviceRow[]> {
  const response = await page.request.get(`${ts().baseUrl}/api/devices`);
  return ((await response.json()) as { items: DeviceRow[] }).items;
}

/** Elements reaching past the right edge, and whether the page scrolls sideways. */
async function overflow(page: Page): Promise<{ scrolls: boolean; wide: string[] }> {
  return page.evaluate<{ scrolls: boolean; wide: string[] }>(`({
    scrolls: document.documentElement.scrollWidth > window.innerWidth + 1,
    wide: [...document.querySelectorAll('main *')]
      .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1)
      .filter((el) => !el.closest('.table-scroll'))
      .slice(0, 3)
      .map((el) => el.tagName + '.' + el.className),
  })`);
}

async function fits(page: Page, where: string): Promise<void> {
  // Chart.js resizes its canvas on the next ResizeObserver tick after a viewport change: let it settle.
  await expect
    .poll(() => overflow(page), { message: `${where}: sideways scroll or cut-off elements`, timeout: 3_000 })
    .toEqual({ scrolls: false, wide: [] });
}

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'tracksink-e2e-naming-'));
  const leases = join(workDir, 'dnsmasq.leases');
  writeFileSync(leases, `1763900000 da:a1:19:00:00:02 ${phone} annas-iphone *\n`);
  stub = await startStubDnsServer({ defaultA: '198.18.0.10' });
  tracksink = await startTracksink({
    configYaml: `dns:\n  bind: "127.0.0.1"\nhttp:\n  bind: "127.0.0.1"\nlists:\n  defaults: false\ndevices:\n  leasesFile: "${leases}"\n`,
    env: { TRACKSINK_UPSTREAMS: stub.udpUrl, TRACKSINK_PASSWORD: password },
  });
  for (const client of [phone, tablet]) {
    for (const name of ['example.org', 'news.example.org']) {
      expect(await resolveFrom(client, ts().dnsPort, name)).not.toBeNull();
    }
  }
  browser = await launchBrowser();
  browser.page.on('console', (message: ConsoleMessage) => {
    if (message.type() === 'error') consoleErrors.push(`${message.text()} (${message.location().url})`);
  });
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await tracksink?.stop().catch(() => undefined);
  tracksink?.cleanup();
  await stub?.close();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

describe.sequential('naming devices in Chromium', { timeout: 60_000 }, () => {
  it('logs in', async () => {
    const { page } = browser!;
    await page.goto(`${ts().baseUrl}/#/overview`);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    // The lease names the phone in the background pass.
    await expect
      .poll(async () => (await devices(page)).find((d) => d.addresses.includes(phone))?.name)
      .toBe('annas-iphone');
  });

  it('Overview: "Name your devices" names one device by a suggestion and another by typing (390 px)', async () => {
    const { page, screenshot } = browser!;
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${ts().baseUrl}/#/overview`);
    const card = page.getByTestId('name-your-devices');
    await card.waitFor();
    await expect.poll(() => card.getByTestId('unnamed-device').count()).toBe(2);
    await page.waitForLoadState('networkidle');
    await fits(page, 'overview 390');
    await screenshot('naming-first-run-390');

    const phoneRow = card.getByTestId('unnamed-device').filter({ hasText: phone });
    // The router already names the phone ("annas-iphone"): the card says so instead of calling it nameless.
    await expect.poll(() => phoneRow.locator('.who').innerText()).toContain('name from your network');
    const tabletWho = card.getByTestId('unnamed-device').filter({ hasText: tablet }).locator('.who');
    expect(await tabletWho.innerText()).not.toContain('name from your network');
    expect(await card.innerText()).toContain('no name you chose yet');
    await phoneRow.getByTestId('name-suggestion').filter({ hasText: 'Annas iPhone' }).click();
    await expect.poll(() => card.getByTestId('unnamed-device').count()).toBe(1);
    const tabletRow = card.getByTestId('unnamed-device').filter({ hasText: tablet });
    await tabletRow.getByRole('textbox').fill('Kitchen tablet');
    await tabletRow.getByRole('button', { name: 'Save' }).click();
    await card
      .getByRole('status')
      .filter({ hasText: 'every device you have seen so far has a name' })
      .waitFor();
    await screenshot('naming-first-run-done-390');
    // The names show in the Overview's device table at once, without a reload.
    const mostTracked = page.locator('section.card', {
      has: page.getByRole('heading', { name: 'Most-tracked devices' }),
    });
    await mostTracked.getByRole('link', { name: 'Kitchen tablet' }).waitFor({ timeout: 5_000 });
    await mostTracked.getByRole('link', { name: 'Annas iPhone' }).waitFor({ timeout: 5_000 });

    const named = await devices(page);
    expect(named.find((d) => d.addresses.includes(phone))?.userName).toBe('Annas iPhone');
    expect(named.find((d) => d.addresses.includes(tablet))?.userName).toBe('Kitchen tablet');
  });

  for (const viewport of widths) {
    it(`the device page asks for the name first, with suggestions (${viewport.width} px)`, async () => {
      const { page, screenshot } = browser!;
      await page.setViewportSize({ width: viewport.width, height: viewport.height });
      const current = (await devices(page)).find((d) => d.addresses.includes(phone))!;
      const phoneId = current.id;
      await page.goto(`${ts().baseUrl}/#/devices/${phoneId}`);
      await page.getByRole('heading', { name: 'Timeline' }).waitFor();
      const naming = page.getByTestId('device-naming').first();
      await naming.getByTestId('name-suggestion').first().waitFor();
      // Name first: the box sits above the timeline and far above the blocked names.
      const boxTop = (await naming.boundingBox())!.y;
      const timelineTop = (await page.getByRole('heading', { name: 'Timeline' }).boundingBox())!.y;
      const blockedTop = (await page.getByRole('heading', { name: 'Blocked names' }).boundingBox())!.y;
      expect(boxTop).toBeLessThan(timelineTop);
      expect(boxTop).toBeLessThan(blockedTop);
      expect(await page.getByLabel('Device name').inputValue()).toBe(current.userName);

      const newName = `Anna’s phone ${viewport.width}`;
      await page.getByLabel('Device name').fill(newName);
      await page.getByLabel('Device type').selectOption('phone');
      await page.getByRole('button', { name: 'Save', exact: true }).click();
      await page.getByRole('heading', { name: newName }).waitFor();
      await fits(page, `device page ${viewport.width}`);
      await screenshot(`naming-device-${viewport.width}`);

      for (const hash of ['overview', 'devices']) {
        await page.goto(`${ts().baseUrl}/#/${hash}`);
        await page.getByRole('heading', { name: hash === 'overview' ? 'Overview' : 'Devices' }).waitFor();
        await page.waitForLoadState('networkidle');
        await fits(page, `${hash} ${viewport.width}`);
        await screenshot(`naming-${hash}-${viewport.width}`);
      }
      expect(consoleErrors).toEqual([]);
      expect(browser!.pageErrors).toEqual([]);
    });
  }
});
