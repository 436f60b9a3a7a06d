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
  { hash: 'people', heading: 'People' },
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

/** The elements that reach past the right edge of the screen (for the failure message). */
async function widest(page: TestBrowser['page']): Promise<string> {
  return page.evaluate<string>(`[...document.querySelectorAll('body *')]
    .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1)
    .slice(-3).map((el) => el.tagName + '.' + el.className + ' ' + Math.round(el.getBoundingClientRect().right))
    .join('; ')`);
}

/** Every main-menu link lies inside the screen (none cut off behind a strip that scrolls out of sight). */
async function navLinksOutsideScreen(page: TestBrowser['page']): Promise<string[]> {
  return page.evaluate<string[]>(`[...document.querySelectorAll('nav a, nav button')]
    .filter((el) => { const r = el.getBoundingClientRect();
      return r.width === 0 || r.left < -1 || r.right > window.innerWidth + 1; })
    .map((el) => el.textContent.trim())`);
}

/**
 * Words and names broken where they should not be: for each table cell, header and name, the places
 * where its text wraps to a new line must follow a space, a dot, a slash or a hyphen ("Advertisi ng" and
 * "connect.facebook.n et" are the failures this finds).
 */
async function brokenWords(page: TestBrowser['page']): Promise<string[]> {
  return page.evaluate<string[]>(`(() => {
    const out = [];
    for (const el of document.querySelectorAll('main th, main td, main .name')) {
      const text = el.textContent;
      if (!text || text.length > 120 || el.children.length > 0) continue;
      const node = el.firstChild;
      if (!node || node.nodeType !== 3) continue;
      const range = document.createRange();
      let lastTop = null;
      for (let i = 0; i < node.data.length; i++) {
        range.setStart(node, i);
        range.setEnd(node, i + 1);
        const rect = range.getClientRects()[0];
        if (!rect || rect.width === 0) continue;
        if (lastTop !== null && rect.top > lastTop + 2) {
          const before = node.data[i - 1];
          if (!/[\\s./-]/.test(before) && !/\\s/.test(node.data[i])) out.push(text.slice(0, i) + '|' + text.slice(i));
        }
        lastTop = rect.top;
      }
    }
    return out;
  })()`);
}

describe.sequential('dashboard layout and escaping', () => {
  for (const viewport of [
    { label: 'desktop-light', width: 1440, height: 900, scheme: 'light' as const },
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
        // Nothing may force sideways scrolling of the whole page (tables scroll in their box).
        const overflow = await page.evaluate('document.documentElement.scrollWidth - window.innerWidth');
        expect(overflow, `page wider than the screen on ${hash}: ${await widest(page)}`).toBeLessThanOrEqual(
          1,
        );
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

  for (const viewport of [
    { label: 'phone', width: 390, height: 844 },
    { label: 'desktop', width: 1440, height: 900 },
  ]) {
    it(`every page fits the screen, keeps words whole and logs no console error (${viewport.label}, plain data)`, async () => {
      const plain = await startMockApi({ hostile: false });
      const { page, pageErrors, screenshot } = browser!;
      const consoleErrors: string[] = [];
      const onConsole = (message: { type(): string; text(): string; location(): { url: string } }) => {
        // The setup check's probe image is meant to fail in a test (no DNS for it): that is not an error of the page.
        if (message.type() === 'error' && !message.location().url.includes('check.tracksink.home.arpa'))
          consoleErrors.push(`${message.text()} (${message.location().url})`);
      };
      page.on('console', onConsole);
      try {
        await page.setViewportSize({ width: viewport.width, height: viewport.height });
        await page.emulateMedia({ colorScheme: 'light' });
        for (const { hash, heading } of pages) {
          await page.goto(`${plain.baseUrl}/#/${hash}`);
          await page
            .getByRole('heading', { name: heading, exact: true })
            .first()
            .waitFor({ timeout: 10_000 });
          await page.getByText('Loading…').first().waitFor({ state: 'hidden', timeout: 15_000 });
          await screenshot(`layout-plain-${viewport.label}-${hash.replace('/', '-')}`);
          const overflow = await page.evaluate('document.documentElement.scrollWidth - window.innerWidth');
          expect(overflow, `page wider than the screen on ${hash}`).toBeLessThanOrEqual(1);
          expect(await navLinksOutsideScreen(page), `menu cut off on ${hash}`).toEqual([]);
          expect(await brokenWords(page), `words broken on ${hash}`).toEqual([]);
          if (viewport.width > 760) {
            // The sidebar's colour runs to the bottom of a long page.
            await page.evaluate('window.scrollTo(0, document.documentElement.scrollHeight)');
            const covered = await page.evaluate<boolean>(`(() => {
              const nav = document.querySelector('nav').getBoundingClientRect();
              const bottom = document.elementFromPoint(nav.left + nav.width / 2, window.innerHeight - 2);
              return !!bottom && getComputedStyle(bottom).backgroundColor === getComputedStyle(document.querySelector('nav')).backgroundColor;
            })()`);
            expect(covered, `sidebar background ends early on ${hash}`).toBe(true);
          }
        }
        expect(consoleErrors).toEqual([]);
        expect(pageErrors).toEqual([]);
      } finally {
        page.off('console', onConsole);
        // Leave the page first: the setup check polls on a timer, which would hit a closed server.
        await page.goto('about:blank');
        await plain.close();
      }
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
    // Its tracker names and its services (the apps and sites the household uses) are listed apart.
    const names = card.getByRole('list', { name: 'Tracker names' });
    await names.waitFor();
    expect(await names.textContent()).toContain(HOSTILE.replace('\x01', '\\x01'));
    const services = card.getByRole('list', { name: 'Service names' });
    expect(await services.textContent()).toContain('www.instagram.com');
    expect(await names.textContent()).not.toContain('www.instagram.com');
    expect(await card.getByRole('list', { name: 'Devices' }).getByRole('link').count()).toBe(1);
    expect(await page.locator('img[src="x"], body script').count()).toBe(0);
  });
});
