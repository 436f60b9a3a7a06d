/**
 * First run: a fresh tracksink with no password shows the setup page, which asks for the setup code
 * printed in the start-up banner (proof of access, issue 14); the password chosen there logs the browser
 * in, and the empty dashboard explains what to do next instead of showing empty charts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTracksink, type TracksinkProcess } from '../helpers/tracksink-process.js';
import { startStubDnsServer, type StubDnsServer } from '../helpers/upstream/stub-dns-server.js';
import { launchBrowser, type TestBrowser } from './helpers/browser.js';

let stub: StubDnsServer | undefined;
let tracksink: TracksinkProcess | undefined;
let browser: TestBrowser | undefined;

beforeAll(async () => {
  stub = await startStubDnsServer();
  tracksink = await startTracksink({
    configYaml: 'dns:\n  bind: "127.0.0.1"\nhttp:\n  bind: "127.0.0.1"\nlists:\n  defaults: false\n',
    env: { TRACKSINK_UPSTREAMS: stub.udpUrl },
  });
  browser = await launchBrowser();
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await tracksink?.stop().catch(() => undefined);
  tracksink?.cleanup();
  await stub?.close();
});

describe.sequential('first run in Chromium', () => {
  it('asks for the setup code and a new password, checks them, and logs in with it', async () => {
    const { page, screenshot } = browser!;
    const code = /setup code:\s+([A-Z2-9]{4}-[A-Z2-9]{4})/.exec(tracksink!.output())?.[1];
    expect(code, 'the start-up banner prints the setup code').toBeDefined();
    await page.goto(`${tracksink!.baseUrl}/`);
    await page.getByLabel('New password').waitFor();
    await screenshot('00-first-run');
    // A wrong code is refused with a message that says where the right one is.
    await page.getByLabel('Setup code').fill('ABCD-EFGH');
    await page.getByLabel('New password').fill('first-run-password');
    await page.getByLabel('Repeat it').fill('first-run-password');
    await page.getByRole('button', { name: 'Set password' }).click();
    expect(await page.getByRole('alert').textContent()).toMatch(/wrong setup code/);
    await page.getByLabel('Setup code').fill(code!);
    await page.getByLabel('New password').fill('short');
    await page.getByLabel('Repeat it').fill('short');
    await page.getByRole('button', { name: 'Set password' }).click();
    expect(await page.getByRole('alert').textContent()).toContain('at least 8');
    await page.getByLabel('New password').fill('first-run-password');
    await page.getByLabel('Repeat it').fill('first-run-passwort');
    await page.getByRole('button', { name: 'Set password' }).click();
    expect(await page.getByRole('alert').textContent()).toContain('differ');
    await page.getByLabel('Repeat it').fill('first-run-password');
    await page.getByRole('button', { name: 'Set password' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    // The server now has a password: the setup route is closed.
    const status = (await (await page.request.get(`${tracksink!.baseUrl}/api/auth/status`)).json()) as {
      setupNeeded: boolean;
      loggedIn: boolean;
    };
    expect(status).toMatchObject({ setupNeeded: false, loggedIn: true });
  });

  it('explains the empty dashboard', async () => {
    const { page, screenshot } = browser!;
    await page.getByText('No queries yet').waitFor();
    expect(await page.getByRole('link', { name: 'How to set it up' }).count()).toBe(1);
    await screenshot('00-overview-empty');
    await page.goto(`${tracksink!.baseUrl}/#/devices`);
    await page.getByText('No devices yet').waitFor();
  });
});
