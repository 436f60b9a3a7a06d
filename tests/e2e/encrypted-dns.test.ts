/**
 * Encrypted DNS in Chromium against the built product: a phone set to Private DNS
 * `kid-tablet.example.test` (kdig over TLS with that SNI) shows on the Setup page as "kid-tablet" with its
 * Android host name and the certificate's fingerprint; the Apple profile downloads from the page, and the
 * QR code's link opens the same profile without a login. At 390 px wide too.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kdig } from '../helpers/dns-clients.js';
import { startTracksink, type TracksinkProcess } from '../helpers/tracksink-process.js';
import { startStubDnsServer, type StubDnsServer } from '../helpers/upstream/stub-dns-server.js';
import { launchBrowser, type TestBrowser } from './helpers/browser.js';

let stub: StubDnsServer | undefined;
let tracksink: TracksinkProcess | undefined;
let browser: TestBrowser | undefined;

beforeAll(async () => {
  stub = await startStubDnsServer({ defaultA: '192.0.2.5' });
  tracksink = await startTracksink({
    configYaml: 'dns:\n  bind: "127.0.0.1"\nhttp:\n  bind: "127.0.0.1"\nlists:\n  defaults: false\n',
    env: { TRACKSINK_UPSTREAMS: stub.udpUrl, TRACKSINK_TLS_SERVER_NAME: 'example.test' },
  });
  browser = await launchBrowser();
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await tracksink?.stop().catch(() => undefined);
  tracksink?.cleanup();
  await stub?.close();
});

describe.sequential('encrypted DNS on the Setup page', () => {
  it('prints the DoT and HTTPS ports and the certificate at start-up', () => {
    expect(tracksink!.dotPort).toBeGreaterThan(0);
    expect(tracksink!.httpsPort).toBeGreaterThan(0);
    expect(tracksink!.output()).toMatch(/certificate: self-signed, SHA-256 ([0-9A-F]{2}:){31}[0-9A-F]{2}/);
  });

  it('a phone with Private DNS kid-tablet.example.test appears as "kid-tablet"; its profile downloads', async () => {
    const answer = await kdig(tracksink!.dotPort, 'www.example.org', 'A', [
      '+tls',
      '+tls-sni=kid-tablet.example.test',
    ]);
    expect(answer.status, answer.raw).toBe('NOERROR');
    const { page, screenshot } = browser!;
    const code = /setup code:\s+([A-Z2-9]{4}-[A-Z2-9]{4})/.exec(tracksink!.output())![1]!;
    await page.goto(`${tracksink!.baseUrl}/`);
    await page.getByLabel('Setup code').fill(code);
    await page.getByLabel('New password').fill('encrypted-dns-e2e');
    await page.getByLabel('Repeat it').fill('encrypted-dns-e2e');
    await page.getByRole('button', { name: 'Set password' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    await page.goto(`${tracksink!.baseUrl}/#/setup`);
    const device = page.getByTestId('encrypted-device').filter({ hasText: 'kid-tablet' });
    await device.waitFor();
    expect(await device.getByTestId('private-dns-host').textContent()).toBe('kid-tablet.example.test');
    const fingerprint = /SHA-256 ((?:[0-9A-F]{2}:){31}[0-9A-F]{2})/.exec(tracksink!.output())![1];
    expect((await page.getByTestId('certificate-fingerprint').textContent())!.trim()).toBe(
      fingerprint!.replace(/:/g, ' '),
    );

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      device.getByTestId('profile-download').click(),
    ]);
    expect(download.suggestedFilename()).toBe('tracksink-kid-tablet.mobileconfig');
    const profile = readFileSync((await download.path())!, 'utf8');
    expect(profile).toContain('<string>com.apple.dnsSettings.managed</string>');
    expect(profile).toContain(
      `<key>ServerURL</key><string>https://example.test:${tracksink!.httpsPort}/dns-query/kid-tablet</string>`,
    );

    await device.getByRole('button', { name: 'Show a QR code for the phone' }).click();
    const qr = device.getByRole('img', { name: /QR code opening http/ });
    await qr.waitFor();
    const alt = (await qr.getAttribute('alt'))!;
    const link = /opening (\S+)$/.exec(alt)![1]!;
    // The phone has no session: the link alone opens the profile.
    const fresh = await fetch(`${tracksink!.baseUrl}${new URL(link).pathname}`);
    expect(fresh.status).toBe(200);
    expect(await fresh.text()).toContain('/dns-query/kid-tablet');
    await screenshot('encrypted-dns-setup');
    await page.setViewportSize({ width: 390, height: 844 });
    const overflow = await page.evaluate(
      'document.documentElement.scrollWidth - document.documentElement.clientWidth',
    );
    expect(overflow).toBeLessThanOrEqual(0);
    await screenshot('encrypted-dns-setup-390');
  });
});
