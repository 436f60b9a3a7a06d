/**
 * "Apps on this device" in Chromium against a real tracksink: a phone's real DNS queries for TikTok's API
 * with TikTok's event log right after show as TikTok with "likely TikTok: 3 of 3 times within 2 s";
 * importing an iPhone App Privacy Report shows the apps it names, and a damaged report is refused with
 * its line number and changes nothing. Screenshots at 390 px and 1440 px wide.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Locator } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTracksink, type TracksinkProcess } from '../helpers/tracksink-process.js';
import { startStubDnsServer, type StubDnsServer } from '../helpers/upstream/stub-dns-server.js';
import { launchBrowser, type TestBrowser } from './helpers/browser.js';
import { resolveFrom } from './helpers/dns-client.js';

const password = 'apps-e2e-password-1';
const phone = '127.0.0.9';
const fixture = join(import.meta.dirname, '..', 'fixtures', 'privacy-report', 'app-privacy-report.ndjson');

let workDir = '';
let stub: StubDnsServer | undefined;
let tracksink: TracksinkProcess | undefined;
let browser: TestBrowser | undefined;
let deviceId = 0;

function ts(): TracksinkProcess {
  if (!tracksink) throw new Error('tracksink did not start');
  return tracksink;
}

async function until<T>(
  what: string,
  probe: () => Promise<T | null | false>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => null);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((wake) => setTimeout(wake, 300));
  }
}

/** The text a person reads: whitespace as the browser collapses it. */
async function text(locator: Locator): Promise<string> {
  return ((await locator.textContent()) ?? '').replace(/\s+/g, ' ').trim();
}

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'tracksink-apps-e2e-'));
  stub = await startStubDnsServer();
  tracksink = await startTracksink({
    env: { TRACKSINK_UPSTREAMS: stub.udpUrl, TRACKSINK_PASSWORD: password },
  });
  // The phone opens TikTok three times; TikTok's event log follows each time, within a second.
  for (let i = 0; i < 3; i++) {
    expect(
      await resolveFrom(phone, ts().dnsPort, `api${21 + i}-normal-c-useast1a.tiktokv.com`),
    ).not.toBeNull();
    expect(await resolveFrom(phone, ts().dnsPort, 'log.tiktokv.com')).not.toBeNull();
    await new Promise((wake) => setTimeout(wake, 300));
  }
  browser = await launchBrowser();
  const login = await browser.page.request.post(`${ts().baseUrl}/api/auth/login`, { data: { password } });
  expect(login.status()).toBe(200);
  deviceId = await until('the phone to be registered', async () => {
    const response = await browser!.page.request.get(`${ts().baseUrl}/api/devices`);
    const body = (await response.json()) as { items: Array<{ id: number; addresses: string[] }> };
    return body.items.find((d) => d.addresses.includes(phone))?.id ?? null;
  });
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await tracksink?.stop().catch(() => undefined);
  tracksink?.cleanup();
  await stub?.close();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

describe.sequential('apps on the device page', { timeout: 60_000 }, () => {
  it('shows TikTok with its tracker and the evidence', async () => {
    const { page } = browser!;
    // The inference pass runs every 2 s and counts a row once its 2 s window is over.
    await until('TikTok to be inferred', async () => {
      const response = await page.request.get(`${ts().baseUrl}/api/devices/${deviceId}/apps`);
      const body = (await response.json()) as { apps: Array<{ key: string; trackers: unknown[] }> };
      return body.apps.some((a) => a.key === 'tiktok' && a.trackers.length > 0);
    });
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.goto(`${ts().baseUrl}/#/devices/${deviceId}`);
    const section = page.getByTestId('device-apps');
    await section.getByRole('heading', { name: 'Apps on this device' }).waitFor();
    const app = section.getByTestId('device-app').filter({ hasText: 'TikTok' });
    expect(await text(app)).toMatch(/by ByteDance/);
    expect(await text(app)).toMatch(/First seen .+ last seen/);
    const tracker = app.getByTestId('app-tracker').filter({ hasText: 'log.tiktokv.com' });
    expect(await text(tracker)).toMatch(/likely TikTok: 3 of 3 times within 2 s of TikTok's servers/);
  });

  it('imports an App Privacy Report and shows the apps it names', async () => {
    const { page } = browser!;
    const section = page.getByTestId('device-apps');
    await section.getByTestId('privacy-report-file').setInputFiles(fixture);
    const result = section.getByTestId('privacy-report-result');
    await result.waitFor();
    expect(await text(result)).toMatch(/Added 16 records about 5 apps and 12 addresses/);
    const reported = section.getByTestId('reported-app');
    await until('the reported apps', async () => (await reported.count()) === 5);
    const weather = reported.filter({ hasText: 'com.example.weatherly' });
    expect(await text(weather)).toMatch(/an app tracksink does not know/);
    expect(await text(weather)).toMatch(/Used location 1×/);
    await expect(
      weather.getByTestId('reported-tracker').filter({ hasText: 'inapps.appsflyer.com' }).count(),
    ).resolves.toBe(1);
    await expect(reported.filter({ hasText: 'Instagram' }).count()).resolves.toBe(1);
    expect(browser!.pageErrors).toEqual([]);
    await browser!.screenshot('apps-device-1440');
  });

  it('refuses a damaged report with its line number and keeps what was there', async () => {
    const { page } = browser!;
    const damaged = join(workDir, 'damaged.ndjson');
    const lines = readFileSync(fixture, 'utf8').split('\n');
    lines[6] = lines[6]!.slice(0, 40); // a record cut off on line 7
    writeFileSync(damaged, lines.join('\n'));
    const section = page.getByTestId('device-apps');
    await section.getByTestId('privacy-report-file').setInputFiles(damaged);
    const error = section.getByTestId('privacy-report-error');
    await error.waitFor();
    expect(await text(error)).toMatch(/line 7: not JSON.*nothing was imported/);
    await expect(section.getByTestId('reported-app').count()).resolves.toBe(5);
  });

  it('fits a 390 px wide phone screen', async () => {
    const { page } = browser!;
    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    await page.getByTestId('device-app').first().waitFor();
    await page.getByTestId('reported-app').first().waitFor();
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
    expect(overflow).toBeLessThanOrEqual(0);
    const box = await page.getByTestId('device-apps').boundingBox();
    expect(box!.x + box!.width).toBeLessThanOrEqual(390);
    await browser!.screenshot('apps-device-390');
  });
});
