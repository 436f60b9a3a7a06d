/**
 * The dashboard speaks a household's words (issue 15 item 8) and keeps domain names whole (item 3): a real
 * tracksink (built, child process) with the built-in tracker catalog, a stub upstream, a rule for one
 * phone, a company blocked entirely and a local name; queries with dig; then every page in Chromium at
 * 390 and 1440 px: no code words ("forwarded", "local-allow: rule #2", "company-policy", "(line 74)",
 * "Company key", stale/dropped/formerr as filter choices), counts in the right plural, no "Pinterest ·
 * Pinterest", no "200 / 200" tile, no text cut off, no sideways scroll, no console error, and every domain
 * name wrapping only after a dot (measured on the rendered line boxes with Range.getClientRects()).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTracksink, type TracksinkProcess } from '../helpers/tracksink-process.js';
import { startStubDnsServer, type StubDnsServer } from '../helpers/upstream/stub-dns-server.js';
import { launchBrowser, type TestBrowser } from './helpers/browser.js';
import { dig } from './helpers/dns-client.js';

const password = 'words-e2e-password';
const phone = '127.0.0.2';
const tv = '127.0.0.3';
const longName = 'a-very-long-subdomain-name-for-testing.analytics-collector.example-tracking-company.com';
const names = [
  'ct.pinterest.com',
  'connect.facebook.net',
  'pinterest.com',
  'www.tiktok.com',
  'nas.home',
  'example.org',
  'ads.words-e2e.test',
  longName,
];

/** Words the code uses that people should not have to read. */
const JARGON: Array<[RegExp, string]> = [
  [/\bforwarded\b/i, 'status code "forwarded"'],
  [/\blocal-(allow|deny|record)\b/, 'reason code'],
  [/\bcompany-policy\b/, 'reason code "company-policy"'],
  [/\blist-exception\b/, 'reason code'],
  [/rule #\d/, 'rule number'],
  [/\(line \d+\)/, 'list line number in the log'],
  [/tracker catalog \(line/, 'catalog line'],
  [/Company key/, 'company key filter'],
  [/\b(stale|dropped|formerr)\b/, 'rare status code'],
  [/(?<![\d,.])1 (attempts|tracking attempts|times|devices|queries)\b/, 'wrong plural'],
  [/\b([A-Z][\w]*(?: [A-Z][\w]*)*) · \1\b/, 'company repeated as its app'],
  [/\d\(known as/, 'missing space before "(known as"'],
  [/\bCNAME\b/, 'DNS record type word'],
];

let workDir = '';
let stub: StubDnsServer | undefined;
let tracksink: TracksinkProcess | undefined;
let browser: TestBrowser | undefined;
let phoneId = 0;

function ts(): TracksinkProcess {
  if (!tracksink) throw new Error('tracksink did not start');
  return tracksink;
}

async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>): Promise<T> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const value = await probe().catch(() => null);
    if (value) return value;
    await new Promise((wake) => setTimeout(wake, 250));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A logged-in API client (cookie + CSRF header), for the setup steps a person would click. */
async function apiSession(): Promise<(method: string, path: string, body?: unknown) => Promise<unknown>> {
  const login = await fetch(`${ts().baseUrl}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ password }),
  });
  expect(login.status).toBe(200);
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const { csrfToken } = (await login.json()) as { csrfToken: string };
  return async (method, path, body) => {
    const response = await fetch(`${ts().baseUrl}${path}`, {
      method,
      headers: {
        cookie,
        'x-csrf-token': csrfToken,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
    return text ? (JSON.parse(text) as unknown) : null;
  };
}

/**
 * Every place a domain name wraps inside a label: for each rendered domain name (the DomainName component,
 * and any other monospace name cell holding a domain), the text's line boxes, one character at a time; a
 * new line may only start right after a dot. Returns "conn|ect.facebook.net"-style marks.
 */
async function namesBrokenInsideLabels(page: Page): Promise<string[]> {
  return page.evaluate<string[]>(`(() => {
    const out = [];
    const domainLike = /^[a-z0-9_-]+(\\.[a-z0-9_-]+)+$/i;
    const roots = [...document.querySelectorAll('main .domain')];
    for (const el of document.querySelectorAll('main .name, main td.name')) {
      if (el.querySelector('.domain') || el.closest('.domain')) continue;
      const text = (el.textContent || '').trim();
      if (domainLike.test(text)) roots.push(el);
    }
    for (const root of roots) {
      const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
      const range = document.createRange();
      let lastTop = null;
      let previous = '';
      let seen = '';
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        for (let i = 0; i < node.data.length; i++) {
          range.setStart(node, i);
          range.setEnd(node, i + 1);
          const rect = [...range.getClientRects()].find((r) => r.width > 0);
          const char = node.data[i];
          if (rect) {
            if (lastTop !== null && rect.top > lastTop + 2 && previous !== '.' && char.trim() !== '')
              out.push(seen + '|' + (root.textContent || '').slice(seen.length));
            lastTop = rect.top;
          }
          previous = char;
          seen += char;
        }
      }
    }
    return out;
  })()`);
}

/** Elements whose text is cut off: wider content than their box with hidden overflow (ellipsis aside). */
async function cutOff(page: Page): Promise<string[]> {
  return page.evaluate<string[]>(`(() => {
    const out = [];
    for (const el of document.querySelectorAll('main *')) {
      const style = getComputedStyle(el);
      if (style.overflowX !== 'hidden' || el.scrollWidth <= el.clientWidth + 1) continue;
      if (style.textOverflow === 'ellipsis' && el.title) continue;
      if (el.closest('.sr-only')) continue; // hidden on purpose: read by screen readers only
      out.push(el.tagName + '.' + el.className + ': ' + (el.textContent || '').slice(0, 60));
    }
    return out;
  })()`);
}

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'tracksink-words-'));
  const listFile = join(workDir, 'family-list.txt');
  writeFileSync(listFile, '# a household list\n0.0.0.0 ads.words-e2e.test\n');
  stub = await startStubDnsServer({ defaultA: '198.18.0.20' });
  tracksink = await startTracksink({
    configYaml: `dns:\n  bind: "127.0.0.1"\n  local:\n    nas.home: "192.168.1.10"\nhttp:\n  bind: "127.0.0.1"\nlists:\n  defaults: false\n  extra:\n    - "${listFile}"\n`,
    env: { TRACKSINK_UPSTREAMS: stub.udpUrl, TRACKSINK_PASSWORD: password },
    timeoutMs: 60_000,
  });
  const api = await apiSession();
  // The built-in tracker catalog, as a new install subscribes it (lists.defaults would also fetch from the internet).
  await api('POST', '/api/lists', { source: 'builtin:catalog' });
  await until('the catalog and the list to load', async () => {
    const health = (await (await fetch(`${ts().baseUrl}/api/health`)).json()) as {
      lists?: { entries?: number };
    };
    return (health.lists?.entries ?? 0) > 20;
  });
  // Both devices appear with their first query; the phone gets its type and a rule of its own.
  await dig(phone, ts().dnsPort, 'example.org');
  await dig(tv, ts().dnsPort, 'example.org');
  const devices = (await until('the devices', async () => {
    const list = (await api('GET', '/api/devices')) as { items: Array<{ id: number; addresses: string[] }> };
    return list.items.length >= 2 ? list : null;
  })) as { items: Array<{ id: number; addresses: string[] }> };
  phoneId = devices.items.find((d) => d.addresses.includes(phone))?.id ?? 0;
  await api('PATCH', `/api/devices/${phoneId}`, { type: 'phone', name: 'Anna’s phone' });
  await api('POST', '/api/rules', {
    action: 'allow',
    match: 'exact',
    pattern: 'connect.facebook.net',
    deviceId: phoneId,
    duration: null,
  });
  await api('PUT', '/api/companies/bytedance/policy', { policy: 'block-everything' });
  for (const client of [phone, tv]) for (const name of names) await dig(client, ts().dnsPort, name);
  // One tracking attempt only from the TV's second round, so "1 attempt" shows somewhere if it can.
  await until('the queries to be logged', async () => {
    const page = (await api('GET', '/api/queries?limit=100')) as { items: unknown[] };
    return page.items.length >= names.length * 2 + 2;
  });
  browser = await launchBrowser();
  await browser.page.goto(`${ts().baseUrl}/#/overview`);
  await browser.page.getByLabel('Password').fill(password);
  await browser.page.getByRole('button', { name: 'Log in' }).click();
  await browser.page.getByRole('heading', { name: 'Overview' }).waitFor();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await tracksink?.stop().catch(() => undefined);
  tracksink?.cleanup();
  await stub?.close();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

describe.sequential('household words and whole domain names', () => {
  it('the API keeps the codes and adds the words', async () => {
    const api = await apiSession();
    const rows = (
      (await api('GET', '/api/queries?limit=100')) as {
        items: Array<{ name: string; status: string; reason: string; why: string; device: { id: number } }>;
      }
    ).items;
    const row = (name: string, deviceId?: number) =>
      rows.find((r) => r.name === name && (deviceId === undefined || r.device.id === deviceId));
    expect(row('connect.facebook.net', phoneId)).toMatchObject({
      status: 'allowed',
      reason: 'local-allow',
      why: 'Allowed by your rule for this phone',
    });
    expect(row('ct.pinterest.com')).toMatchObject({
      status: 'blocked',
      reason: 'catalog',
      why: 'Blocked: known Pinterest advertising tracker',
    });
    expect(row('www.tiktok.com')).toMatchObject({
      status: 'blocked',
      reason: 'company-policy',
      why: 'Blocked: you block everything from ByteDance (TikTok)',
    });
    expect(row('ads.words-e2e.test')).toMatchObject({ why: 'Blocked: on the list “family-list.txt”' });
    expect(row('nas.home')).toMatchObject({ status: 'local', why: 'Answered here: a name you set up' });
  });

  const pages = [
    { hash: 'overview', heading: 'Overview' },
    { hash: 'devices', heading: 'Devices' },
    { hash: 'device', heading: 'Timeline' },
    { hash: 'trackers', heading: 'Trackers' },
    { hash: 'queries', heading: 'Query log' },
    { hash: 'lists', heading: 'Blocklists' },
    { hash: 'settings', heading: 'Settings' },
    { hash: 'setup', heading: 'Setup help' },
  ];
  for (const width of [390, 1440]) {
    it(`every page at ${width} px: household words, whole names, nothing cut off, no sideways scroll, no console error`, async () => {
      const { page, pageErrors, screenshot } = browser!;
      const consoleErrors: string[] = [];
      const onConsole = (message: { type(): string; text(): string; location(): { url: string } }) => {
        // The setup check's probe image cannot load in a test (no DNS for it): not an error of the page.
        if (message.type() === 'error' && !message.location().url.includes('check.tracksink.home.arpa'))
          consoleErrors.push(`${message.text()} (${message.location().url})`);
      };
      page.on('console', onConsole);
      try {
        await page.setViewportSize({ width, height: 900 });
        for (const { hash, heading } of pages) {
          await page.goto(`${ts().baseUrl}/#/${hash === 'device' ? `devices/${phoneId}` : hash}`);
          await page
            .getByRole('heading', { name: heading, exact: true })
            .first()
            .waitFor({ timeout: 15_000 });
          await page.getByText('Loading…').first().waitFor({ state: 'hidden', timeout: 15_000 });
          if (hash === 'trackers') {
            for (const summary of await page.getByText('Devices and names').all()) await summary.click();
            await page.getByRole('list', { name: 'Tracker names' }).first().waitFor();
            await page.getByText('Loading…').first().waitFor({ state: 'hidden', timeout: 15_000 });
          }
          if (hash === 'queries') await page.getByTestId('query-row').first().waitFor();
          await screenshot(`words-${width}-${hash}`);
          const text = await page.locator('main').innerText();
          for (const [pattern, what] of JARGON) {
            expect(text, `${what} on ${hash} at ${width} px: ${pattern.exec(text)?.[0]}`).not.toMatch(
              pattern,
            );
          }
          const overflow = await page.evaluate('document.documentElement.scrollWidth - window.innerWidth');
          expect(overflow, `page wider than the screen on ${hash}`).toBeLessThanOrEqual(1);
          expect(await namesBrokenInsideLabels(page), `names broken inside a label on ${hash}`).toEqual([]);
          expect(await cutOff(page), `text cut off on ${hash}`).toEqual([]);
        }
        expect(consoleErrors).toEqual([]);
        expect(pageErrors).toEqual([]);
      } finally {
        page.off('console', onConsole);
        await page.goto('about:blank');
      }
    }, 180_000);
  }

  it('the query log says why in words and filters by what happened and by company name', async () => {
    const { page, screenshot } = browser!;
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.goto(`${ts().baseUrl}/#/queries?device=${phoneId}`);
    const rowOf = (name: string) => page.getByTestId('query-row').filter({ hasText: name }).first();
    await rowOf('connect.facebook.net').waitFor();
    expect(await rowOf('connect.facebook.net').getByTestId('query-why').textContent()).toBe(
      'Allowed by your rule for this phone',
    );
    expect(await rowOf('ct.pinterest.com').getByTestId('query-why').textContent()).toBe(
      'Blocked: known Pinterest advertising tracker',
    );
    // pinterest.com is the Pinterest app's own name: the company column says Pinterest once.
    const company = await rowOf('pinterest.com').locator('td').nth(5).textContent();
    expect(company?.trim()).toBe('Pinterest');

    // Status choices in words; the rare ones under "Advanced".
    const status = page.getByLabel('What happened');
    const common = await status.locator(':scope > option').allTextContents();
    expect(common).toEqual([
      'Anything',
      'Blocked',
      'Allowed by your rules',
      'Answered',
      'Answered from memory',
      'Answered here (your own names)',
    ]);
    const advanced = await status.locator('optgroup[label="Advanced"] > option').allTextContents();
    expect(advanced).toHaveLength(5);
    // A company is picked by its name, not typed as a key.
    await page.getByLabel('Company').selectOption({ label: 'Pinterest' });
    await status.selectOption({ label: 'Blocked' });
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect
      .poll(async () => (await page.getByTestId('query-name').allTextContents()).map((t) => t.trim()))
      .toEqual([expect.stringMatching(/^ct\.pinterest\.com\s+A$/)]);
    await screenshot('words-1440-queries-filtered');
  }, 60_000);

  it('the overview tile shows an exact count only when the big number is rounded', async () => {
    const { page } = browser!;
    await page.goto(`${ts().baseUrl}/#/overview`);
    const tile = page.locator('.tile').filter({ has: page.getByTestId('stat-Queries') });
    await tile.waitFor();
    const lines = (await tile.innerText()).split('\n').map((line) => line.trim());
    // "Queries" and the number; no second line repeating the same number.
    expect(lines).toEqual(['Queries', expect.stringMatching(/^\d+$/)]);
  }, 60_000);

  it('"Test a name" answers in words', async () => {
    const { page } = browser!;
    await page.goto(`${ts().baseUrl}/#/lists`);
    await page.getByLabel('Name to test').fill('example.org');
    await page.getByRole('button', { name: 'Test' }).click();
    const result = page.getByTestId('explain-result');
    await result.waitFor();
    const text = await result.innerText();
    expect(text).toContain('not blocked');
    expect(text).not.toMatch(/forwarded|\bnone\b/);
    await page.getByLabel('Name to test').fill('ct.pinterest.com');
    await page.getByRole('button', { name: 'Test' }).click();
    await expect.poll(() => result.innerText()).toContain("tracksink's tracker list");
    expect(await result.innerText()).not.toMatch(/catalog|company \d+|block by|tracking endpoint/);
  }, 60_000);
});
