/**
 * The dashboard end to end: a real tracksink (built, child process) on random loopback ports, a stub
 * upstream, a local blocklist file and a local list server, traffic from several loopback clients, and
 * Debian's Chromium clicking through every page. Screenshots go to tests/e2e/screenshots/.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTracksink, type TracksinkProcess } from '../helpers/tracksink-process.js';
import { startStubDnsServer, type StubDnsServer } from '../helpers/upstream/stub-dns-server.js';
import { launchBrowser, type TestBrowser } from './helpers/browser.js';
import { dig, queryFrom, rawQuery, resolveFrom } from './helpers/dns-client.js';
import { startListServer, type ListServer } from './helpers/list-server.js';

const password = 'e2e-password-123';
const upstreamAddress = '198.18.0.10';
const phone = '127.0.0.2';
const tv = '127.0.0.3';
const laptop = '127.0.0.4';
const allowedLater = 'pixel.tracker-e2e.test';
const blockedNames = [
  allowedLater,
  'ads.tracker-e2e.test',
  'connect.facebook.net',
  'www.google-analytics.com',
];
const plainNames = ['example.org', 'news.example.org', 'mail.example.net'];
const fromUrlList = ['one.fromurl-e2e.test', 'two.fromurl-e2e.test', 'three.fromurl-e2e.test'];
// Untrusted DNS input: markup, quotes and a control byte inside labels.
const hostileLabels = [
  '<img src=x onerror=alert(1)>',
  '"\'<script>alert(2)<',
  '\x01bell\x07',
  'xss-e2e',
  'test',
];

let workDir = '';
let stub: StubDnsServer | undefined;
let lists: ListServer | undefined;
let tracksink: TracksinkProcess | undefined;
let browser: TestBrowser | undefined;

function ts(): TracksinkProcess {
  if (!tracksink) throw new Error('tracksink did not start');
  return tracksink;
}
function web(): TestBrowser {
  if (!browser) throw new Error('chromium did not start');
  return browser;
}

async function until<T>(
  what: string,
  probe: () => Promise<T | null | undefined | false>,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = null;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((wake) => setTimeout(wake, 250));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

/** The bits of a canvas the pixel count needs (this tsconfig has no DOM types; the code runs in the page). */
interface CanvasLike {
  width: number;
  height: number;
  getContext(
    kind: '2d',
  ): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } } | null;
}

/** Pixels of a canvas that are not transparent: a chart that drew bars has many. */
async function paintedPixels(page: Page, selector: string): Promise<number> {
  return page
    .locator(selector)
    .first()
    .evaluate((element) => {
      const canvas = element as unknown as CanvasLike;
      const context = canvas.getContext('2d');
      if (!context || canvas.width === 0 || canvas.height === 0) return 0;
      const { data } = context.getImageData(0, 0, canvas.width, canvas.height);
      let painted = 0;
      for (let i = 3; i < data.length; i += 4) if ((data[i] ?? 0) > 0) painted += 1;
      return painted;
    });
}

async function go(page: Page, hash: string): Promise<void> {
  await page.goto(`${ts().baseUrl}/#/${hash}`);
}

async function generateTraffic(): Promise<void> {
  const port = ts().dnsPort;
  for (const client of [phone, tv, laptop]) {
    for (const name of [...plainNames, ...blockedNames]) {
      const answer = await resolveFrom(client, port, name);
      expect(answer, `no answer for ${name} from ${client}`).not.toBeNull();
    }
  }
  // The phone asks for the tracker a few more times, so it tops the phone's blocked names.
  for (let i = 0; i < 3; i++) await resolveFrom(phone, port, allowedLater);
}

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'tracksink-e2e-'));
  const blocklistFile = join(workDir, 'local-blocklist.txt');
  writeFileSync(
    blocklistFile,
    `# e2e blocklist\n${blockedNames.map((name) => `0.0.0.0 ${name}`).join('\n')}\n`,
  );
  stub = await startStubDnsServer({ defaultA: upstreamAddress });
  lists = await startListServer({ '/fromurl.txt': `${fromUrlList.join('\n')}\n` });
  tracksink = await startTracksink({
    configYaml: `dns:\n  bind: "127.0.0.1"\nhttp:\n  bind: "127.0.0.1"\nlists:\n  defaults: false\n  allowPrivateUrls: true\n  extra:\n    - "${blocklistFile}"\n`,
    env: { TRACKSINK_UPSTREAMS: stub.udpUrl, TRACKSINK_PASSWORD: password },
  });
  await until('the blocklist to load', async () => {
    const health = (await (await fetch(`${ts().baseUrl}/api/health`)).json()) as {
      lists?: { entries?: number };
    };
    return (health.lists?.entries ?? 0) >= blockedNames.length;
  });
  await generateTraffic();
  browser = await launchBrowser();
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await tracksink?.stop().catch(() => undefined);
  tracksink?.cleanup();
  await lists?.close();
  await stub?.close();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

describe.sequential('dashboard in Chromium', () => {
  it('logs in with the password', async () => {
    const { page, screenshot } = web();
    await go(page, 'overview');
    await page.getByLabel('Password').waitFor();
    await screenshot('01-login');
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toBeTruthy();
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    const cookies = await web().context.cookies();
    expect(cookies.some((cookie) => cookie.httpOnly && cookie.sameSite === 'Strict')).toBe(true);
  });

  it('shows the overview with non-empty charts', async () => {
    const { page, screenshot } = web();
    // The log writer and rollups work in batches: wait until the API counts the traffic.
    await until('the traffic to be counted', async () => {
      const response = await page.request.get(`${ts().baseUrl}/api/stats/summary?period=24h`);
      const summary = (await response.json()) as { total?: number; blocked?: number };
      return (summary.total ?? 0) > 0 && (summary.blocked ?? 0) > 0;
    });
    await page.reload();
    await page.getByRole('heading', { name: 'Queries over time' }).waitFor();
    const chart = 'section:has(h2:text("Queries over time")) canvas';
    await page.locator(chart).waitFor();
    expect(await until('the time chart to draw', async () => (await paintedPixels(page, chart)) > 500)).toBe(
      true,
    );
    expect(await page.getByTestId('stat-Queries').textContent()).not.toBe('0');
    // The top names come from the name rollups: they must agree with the blocked count beside them.
    const topBlocked = page.locator('section', {
      has: page.getByRole('heading', { name: 'Top blocked names' }),
    });
    await topBlocked
      .getByRole('link', { name: /tracker-e2e\.test$/ })
      .first()
      .waitFor({ timeout: 5000 });
    await screenshot('02-overview');
  });

  it('opens a device and allows a blocked name for it in one click', async () => {
    const { page, screenshot } = web();
    await go(page, 'devices');
    const card = page.getByTestId('device-card').filter({ hasText: phone });
    await card.first().waitFor();
    await screenshot('03-devices');
    await card.first().getByRole('link', { name: 'Details' }).click();
    await page.getByRole('heading', { name: 'Timeline' }).waitFor();
    const row = page.getByTestId('blocked-name').filter({ hasText: allowedLater });
    await row.waitFor();
    await screenshot('04-device');

    expect(await dig(phone, ts().dnsPort, allowedLater)).toEqual(['0.0.0.0']);
    await row.getByTestId('allow-device').click();
    await row.getByRole('status').waitFor();
    await page.getByTestId('device-rule').filter({ hasText: allowedLater }).waitFor();
    await screenshot('05-device-allowed');

    // A real DNS client: the phone now gets the upstream's answer, the TV is still blocked.
    await until('the allow rule to reach DNS', async () => {
      const answer = await dig(phone, ts().dnsPort, allowedLater);
      return answer.includes(upstreamAddress);
    });
    expect(await dig(tv, ts().dnsPort, allowedLater)).toEqual(['0.0.0.0']);
  });

  it('renames a device, sets its type and assigns a group', async () => {
    const { page } = web();
    // Still on the phone's page from the previous test.
    await page.getByLabel('Device name').fill('Phone (e2e)');
    await page.getByLabel('Device type').selectOption('phone');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('heading', { name: 'Phone (e2e)' }).waitFor();
    await go(page, 'devices');
    const card = page.getByTestId('device-card').filter({ hasText: 'Phone (e2e)' });
    await card.waitFor();
    expect(await card.textContent()).toContain(phone);

    // A new group, and the phone assigned to it.
    await page.getByLabel('New group name').fill('Kids (e2e)');
    await page.getByRole('button', { name: 'Add group' }).click();
    await page.getByText('Profiles: Kids (e2e)').waitFor();
    await card.getByRole('button', { name: 'Edit' }).click();
    await card.getByLabel('Groups').selectOption({ label: 'Kids (e2e)' });
    await card.getByRole('button', { name: 'Save' }).click();
    await until('the phone to be in the group', async () => {
      const list = (await (await page.request.get(`${ts().baseUrl}/api/devices`)).json()) as {
        items: { name: string; groupIds: number[] }[];
      };
      return list.items.find((device) => device.name === 'Phone (e2e)')?.groupIds.length === 1;
    });
  });

  it('shows new queries in live mode', async () => {
    const { page } = web();
    await go(page, 'queries');
    await page.getByRole('button', { name: 'Live' }).click();
    await expect.poll(() => page.getByRole('status').first().textContent()).toBe('live');
    const name = 'live-e2e.example.org';
    await until('the live row', async () => {
      await resolveFrom(tv, ts().dnsPort, name);
      return (await page.getByTestId('query-name').filter({ hasText: name }).count()) > 0;
    });
    await page.getByRole('button', { name: 'Stop live' }).click();
  });

  it('after "Allow for all" on one query log row, every row of that name says it is allowed', async () => {
    const { page } = web();
    const name = blockedNames[3]!;
    await go(page, 'queries');
    const rows = page.getByTestId('query-row').filter({ hasText: name });
    await rows.first().waitFor();
    // Each of the three devices asked for it once: three rows, each offering "Allow for all".
    expect(await rows.count()).toBeGreaterThanOrEqual(2);
    await rows.first().getByTestId('allow-all').click();
    await expect.poll(() => rows.getByRole('status').count()).toBe(await rows.count());
    expect(await rows.getByTestId('allow-all').count()).toBe(0);
    for (const text of await rows.getByRole('status').allTextContents())
      expect(text).toBe('Allowed for everyone');
  });

  it('adds a list by URL from a local server and counts its entries', async () => {
    const { page, screenshot } = web();
    await go(page, 'lists');
    await page.getByRole('heading', { name: 'Subscriptions' }).waitFor();
    await page.getByLabel('List URL').fill(lists!.url('/fromurl.txt'));
    await page.getByLabel('List name').fill('From URL (e2e)');
    await page.getByRole('button', { name: 'Add list' }).click();
    const row = page.getByTestId('list-row').filter({ hasText: 'From URL (e2e)' });
    await row.waitFor();
    await expect
      .poll(async () => (await row.getByTestId('list-entries').textContent())?.trim(), { timeout: 20_000 })
      .toBe(String(fromUrlList.length));
    expect(lists!.requests).toContain('/fromurl.txt');
    await until('the new list to block', async () =>
      (await dig(laptop, ts().dnsPort, fromUrlList[0]!)).includes('0.0.0.0'),
    );
    await page.getByLabel('Name to test').fill(fromUrlList[1]!);
    await page.getByRole('button', { name: 'Test' }).click();
    await expect.poll(() => page.getByTestId('explain-result').textContent()).toContain('blocked');
    await screenshot('06-blocklists');
  }, 60_000); // a download, a parse in a worker and a matcher swap: slow on a busy machine

  it('shows a hostile name escaped: no dialog, no injected element', async () => {
    const { page, screenshot, dialogs } = web();
    const answer = await queryFrom(laptop, ts().dnsPort, rawQuery(hostileLabels));
    expect(answer, 'tracksink did not answer the hostile query').not.toBeNull();
    await go(page, 'queries?name=xss-e2e');
    const row = page.getByTestId('query-row').first();
    await until('the hostile query to be logged', async () => {
      await page.getByRole('button', { name: 'Apply' }).click();
      return (await page.getByTestId('query-row').count()) > 0;
    });
    const shown = (await row.getByTestId('query-name').textContent()) ?? '';
    // The markup shows as text. The server hands names over in DNS presentation form (RFC 1035 escapes:
    // a space is \032), and no raw control byte reaches the page either way.
    expect(shown).toMatch(/<img(\\032| )src=x(\\032| )onerror=alert\(1\)>/);
    expect(shown).toContain('"\'<script>alert(2)<');
    expect(shown).toMatch(/(\\001|\\x01)bell(\\007|\\x07)/);
    expect([...shown].filter((char) => char.charCodeAt(0) < 0x20 || char.charCodeAt(0) === 0x7f)).toEqual([]);
    expect(await page.locator('img[src="x"], body script').count()).toBe(0);
    await page.waitForTimeout(300);
    expect(dialogs).toEqual([]);
    await screenshot('07-query-log-hostile');
  });

  it('renders every other page without errors or CSP violations', async () => {
    const { page, screenshot, pageErrors, cspViolations } = web();
    for (const [hash, heading, file] of [
      ['trackers', 'Trackers', '08-trackers'],
      ['queries', 'Query log', '09-query-log'],
      ['settings', 'Settings', '10-settings'],
      ['setup', 'Setup help', '11-setup'],
    ] as const) {
      await go(page, hash);
      await page.getByRole('heading', { name: heading, exact: true }).waitFor();
      // Every page says "Loading…" until its data is there; screenshots are of the loaded page.
      await page.getByText('Loading…').first().waitFor({ state: 'hidden', timeout: 15_000 });
      if (hash === 'setup') {
        // This browser's own DNS does not go through tracksink (its look-ups are switched off in tests,
        // and 127.0.0.1 sent no query): the check must say so rather than claim success.
        const result = page.getByTestId('setup-result');
        await result.waitFor({ timeout: 20_000 });
        expect(await result.textContent()).toContain('No:');
      }
      await screenshot(file);
    }
    // A phone screen in the dark theme.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.emulateMedia({ colorScheme: 'dark' });
    await go(page, 'overview');
    await page.getByRole('heading', { name: 'Queries over time' }).waitFor();
    await screenshot('12-overview-phone-dark');
    await go(page, 'devices');
    await page.getByTestId('device-card').first().waitFor();
    await screenshot('13-devices-phone-dark');
    expect(pageErrors).toEqual([]);
    expect(
      (await cspViolations()).filter((violation) => !violation.includes('check.tracksink.home.arpa')),
    ).toEqual([]);
  });

  it('pauses blocking for everyone from Settings, shows it on every page, and resumes', async () => {
    const { page } = web();
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.emulateMedia({ colorScheme: 'light' });
    await go(page, 'settings');
    await page.getByRole('button', { name: '5 minutes' }).click();
    await page.getByText('Blocking is paused;').waitFor();
    await until('the pause to reach DNS', async () =>
      (await dig(tv, ts().dnsPort, 'ads.tracker-e2e.test')).includes(upstreamAddress),
    );
    await go(page, 'overview');
    const banner = page.getByText('Blocking is paused for everyone');
    await banner.waitFor();
    await web().screenshot('14-paused-banner');
    await page.getByRole('button', { name: 'Resume now' }).click();
    await banner.waitFor({ state: 'hidden' });
    await until('blocking to resume', async () =>
      (await dig(tv, ts().dnsPort, 'ads.tracker-e2e.test')).includes('0.0.0.0'),
    );
  });

  it('changes the blocked answer from Settings; the next DNS query gets it, no restart', async () => {
    const { page } = web();
    await go(page, 'settings');
    // The page says which settings wait for a restart, next to them.
    await page.getByText('applies after a restart').first().waitFor();
    await page.getByLabel('Answer for blocked names').selectOption('nxdomain');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('Saved and in use now.').waitFor();
    const nxdomain = await resolveFrom(tv, ts().dnsPort, 'ads.tracker-e2e.test');
    expect(nxdomain?.rcode).toBe(3);
    expect(nxdomain?.answers).toEqual([]);
    await web().screenshot('15-settings-saved');
    await page.getByLabel('Answer for blocked names').selectOption('null');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('Saved and in use now.').waitFor();
    expect(await dig(tv, ts().dnsPort, 'ads.tracker-e2e.test')).toEqual(['0.0.0.0']);
  });

  it('logs out and is asked for the password again', async () => {
    const { page } = web();
    await go(page, 'overview');
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByLabel('Password').waitFor();
    const response = await page.request.get(`${ts().baseUrl}/api/stats/summary`);
    expect(response.status()).toBe(401);
  });
});
