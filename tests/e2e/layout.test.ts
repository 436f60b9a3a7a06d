/**
 * Every page of the built dashboard rendered with hostile text in every field that comes from DNS
 * traffic or from users (names, device names, list names, errors, dual-use notes), under the server's
 * Content-Security-Policy made stricter (no inline styles either), on a desktop in the light theme and on a phone in the dark theme.
 * Nothing may execute (no dialog, no injected element), the text must show literally, and no CSP rule
 * may be broken. The API is a typed stand-in (helpers/mock-api.ts); dashboard.test.ts drives the real one.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, type TestBrowser } from './helpers/browser.js';
import { HOSTILE, STRICT_CSP, startMockApi, webDist, type MockApi } from './helpers/mock-api.js';

const pages = [
  { hash: 'overview', heading: 'Overview' },
  { hash: 'devices', heading: 'Devices' },
  { hash: 'devices/2', heading: 'Timeline' },
  { hash: 'trackers', heading: 'Trackers' },
  { hash: 'queries', heading: 'Query log' },
  { hash: 'lists', heading: 'Blocklists' },
  { hash: 'settings', heading: 'Settings' },
  { hash: 'setup', heading: 'Setup help' },
];

let api: MockApi | undefined;
let browser: TestBrowser | undefined;

beforeAll(async () => {
  if (!existsSync(join(webDist, 'index.html'))) throw new Error('web/dist is missing: run npm run build:web');
  api = await startMockApi({ hostile: true });
  expect(STRICT_CSP).toContain("style-src 'self';");
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await api?.close();
});

describe.sequential('dashboard layout and escaping', () => {
  for (const viewport of [
    { label: 'desktop-light', width: 1280, height: 900, scheme: 'light' as const },
    { label: 'phone-dark', width: 390, height: 844, scheme: 'dark' as const },
  ]) {
    it(`renders every page with hostile text safely (${viewport.label})`, async () => {
      const { page, dialogs, pageErrors, cspViolations, screenshot } = browser!;
      await page.setViewportSize({ width: viewport.width, height: viewport.height });
      await page.emulateMedia({ colorScheme: viewport.scheme });
      for (const { hash, heading } of pages) {
        await page.goto(`${api!.baseUrl}/#/${hash}`);
        await page.getByRole('heading', { name: heading, exact: true }).first().waitFor({ timeout: 10_000 });
        // Every page says "Loading…" until its data is there; screenshots are of the loaded page.
        await page.getByText('Loading…').first().waitFor({ state: 'hidden', timeout: 15_000 });
        // Nothing from the data became markup: no <img src=x>, no <script> outside the document head.
        expect(await page.locator('img[src="x"], body script').count(), `injected element on ${hash}`).toBe(
          0,
        );
        await screenshot(`layout-${viewport.label}-${hash.replace('/', '-')}`);
        // On a phone nothing may force sideways scrolling of the whole page (tables scroll in their box).
        if (viewport.width < 500) {
          const overflow = await page.evaluate('document.documentElement.scrollWidth - window.innerWidth');
          expect(overflow, `page wider than the phone screen on ${hash}`).toBeLessThanOrEqual(1);
        }
      }
      // The hostile text shows literally (escaped), with the control byte made visible.
      await page.goto(`${api!.baseUrl}/#/queries`);
      const shown = await page.getByTestId('query-name').first().textContent();
      expect(shown).toContain(HOSTILE.replace('\x01', '\\x01'));
      expect(dialogs).toEqual([]);
      expect(pageErrors).toEqual([]);
      expect((await cspViolations()).filter((v) => !v.includes('check.tracksink.home.arpa'))).toEqual([]);
    });
  }

  it('switches between system, light and dark themes and remembers the choice', async () => {
    const { page } = browser!;
    await page.emulateMedia({ colorScheme: 'light' });
    await page.goto(`${api!.baseUrl}/#/overview`);
    const theme = () => page.evaluate<string | undefined>('document.documentElement.dataset.theme');
    await expect.poll(theme).toBe('light');
    await page.getByRole('button', { name: 'Theme: system' }).click();
    await page.getByRole('button', { name: 'Theme: light' }).click();
    await expect.poll(theme).toBe('dark');
    await page.reload();
    await page.getByRole('button', { name: 'Theme: dark' }).waitFor();
    await expect.poll(theme).toBe('dark');
    await page.getByRole('button', { name: 'Theme: dark' }).click();
    await expect.poll(theme).toBe('light');
  });

  it('asks before blocking everything of a company with dual-use endpoints', async () => {
    const { page } = browser!;
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`${api!.baseUrl}/#/trackers`);
    const card = page.getByTestId('company-card').first();
    await card.getByRole('button', { name: 'Block everything' }).click();
    const warning = card.getByRole('alertdialog');
    await warning.waitFor();
    expect(await warning.textContent()).toContain('graph.facebook.com');
    expect(await card.getByRole('button', { name: 'Block everything' }).getAttribute('aria-pressed')).toBe(
      'false',
    );
    await warning.getByRole('button', { name: 'Block anyway' }).click();
    await expect
      .poll(() => card.getByRole('button', { name: 'Block everything' }).getAttribute('aria-pressed'))
      .toBe('true');
  });

  it("loads a company's devices and names when its card is opened, as text", async () => {
    const { page } = browser!;
    await page.goto(`${api!.baseUrl}/#/trackers`);
    const card = page.getByTestId('company-card').first();
    await card.getByText('Devices and names').click();
    const names = card.getByRole('list', { name: 'Names' });
    await names.waitFor();
    expect(await names.textContent()).toContain(HOSTILE.replace('\x01', '\\x01'));
    expect(await card.getByRole('list', { name: 'Devices' }).getByRole('link').count()).toBe(1);
    expect(await page.locator('img[src="x"], body script').count()).toBe(0);
  });
});
