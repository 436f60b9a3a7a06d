/**
 * Names from DNS traffic are attacker-controlled (issue 8): a device on the network can ask for
 * `<img/src/onerror=…>.xss-e2e.test`. A real tracksink logs such queries; Chromium then opens every page
 * that shows names (overview's top blocked names, the query log, the device page) and the CSV export.
 * Each payload sets the global `__xss` if it ever runs: it must stay undefined, no dialog may open, no
 * element may carry an event-handler attribute, and every name must show as the text it is. The export
 * must read back to exactly the names the API returns, quoted, with formulas neutralised.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTracksink, type TracksinkProcess } from '../helpers/tracksink-process.js';
import { startStubDnsServer, type StubDnsServer } from '../helpers/upstream/stub-dns-server.js';
import { launchBrowser, type TestBrowser } from './helpers/browser.js';
import { queryFrom, rawQuery } from './helpers/dns-client.js';

const password = 'hostile-names-1';
const device = '127.0.0.7';
/**
 * Labels no resolver library would build; each ends up in front of `xss-e2e.test`. Each sets the global
 * `__xss` if it ever runs as script. No dots (a dot inside a label comes back as `\.` in DNS
 * presentation form, which would break the payload rather than test the page), no spaces (`\032`), no
 * capitals (names are compared in lower case).
 */
const PAYLOADS = [
  '<img/src/onerror=__xss=1>',
  '<svg/onload=__xss=2>',
  `"'><script>__xss=3</script>`,
  'javascript:__xss=4//',
  '%3cscript%3e__xss=5%3c%2fscript%3e',
  '=hyperlink("http://evil")',
  '\x01ctl\x07\x7f',
];
/** A name near the 255-octet limit: three 63-byte labels, the last carrying markup. */
const LONG = ['a'.repeat(63), 'b'.repeat(63), `<b>${'c'.repeat(56)}</b>`];

let workDir = '';
let stub: StubDnsServer | undefined;
let tracksink: TracksinkProcess | undefined;
let browser: TestBrowser | undefined;

function ts(): TracksinkProcess {
  if (!tracksink) throw new Error('tracksink did not start');
  return tracksink;
}

async function until<T>(
  what: string,
  probe: () => Promise<T | null | false>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => null);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((wake) => setTimeout(wake, 250));
  }
}

/** Nothing ran and nothing became markup: the flag, dialogs, handler attributes, stray elements. */
async function expectInert(page: Page, where: string): Promise<void> {
  await page.waitForTimeout(300);
  expect(await page.evaluate('typeof window.__xss'), `${where}: a payload ran`).toBe('undefined');
  expect(browser!.dialogs, `${where}: a dialog opened`).toEqual([]);
  expect(
    await page.locator('[onerror], [onload], body script, img[src=""], b:has-text("ccc")').count(),
    where,
  ).toBe(0);
  expect(browser!.pageErrors, `${where}: page errors`).toEqual([]);
}

/** Minimal RFC 4180 reader: quoted fields, doubled quotes, CRLF rows. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || (c === '\r' && text[i + 1] === '\n')) {
      if (c === '\r') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length > 0) rows.push([...row, field]);
  return rows;
}

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'tracksink-hostile-'));
  // A regex rule blocks every test name, so they also rank in the overview's "Top blocked names".
  const blocklist = join(workDir, 'blocklist.txt');
  writeFileSync(blocklist, '! hostile names e2e\n/xss-e2e/\n');
  stub = await startStubDnsServer();
  tracksink = await startTracksink({
    configYaml: `lists:\n  defaults: false\n  extra:\n    - "${blocklist}"\n`,
    env: { TRACKSINK_UPSTREAMS: stub.udpUrl, TRACKSINK_PASSWORD: password },
  });
  await until('the blocklist to load', async () => {
    const health = (await (await fetch(`${ts().baseUrl}/api/health`)).json()) as {
      lists?: { entries?: number };
    };
    return (health.lists?.entries ?? 0) >= 1;
  });
  for (const labels of [...PAYLOADS.map((p) => [p, 'xss-e2e', 'test']), [...LONG, 'xss-e2e', 'test']]) {
    for (let i = 0; i < 2; i++) {
      const answer = await queryFrom(device, ts().dnsPort, rawQuery(labels));
      expect(answer, `no answer for ${JSON.stringify(labels[0])}`).not.toBeNull();
    }
  }
  browser = await launchBrowser();
  const login = await browser.page.request.post(`${ts().baseUrl}/api/auth/login`, { data: { password } });
  expect(login.status()).toBe(200);
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await tracksink?.stop().catch(() => undefined);
  tracksink?.cleanup();
  await stub?.close();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

describe.sequential('hostile names in Chromium', () => {
  let apiNames: string[] = [];

  it('the API returns the names as plain JSON strings', async () => {
    const { page } = browser!;
    const items = await until('the hostile queries to be logged', async () => {
      const response = await page.request.get(`${ts().baseUrl}/api/queries?name=xss-e2e&limit=100`);
      expect(response.headers()['content-type']).toMatch(/^application\/json/);
      expect(response.headers()['x-content-type-options']).toBe('nosniff');
      const body = (await response.json()) as { items: Array<{ name: string; status: string }> };
      return body.items.length >= 2 * (PAYLOADS.length + 1) ? body.items : null;
    });
    apiNames = [...new Set(items.map((item) => item.name))];
    expect(apiNames).toHaveLength(PAYLOADS.length + 1);
    expect(items.every((item) => item.status === 'blocked')).toBe(true);
    // Markup survives as text; the control bytes come as presentation-format escapes, not raw bytes.
    expect(apiNames).toContain('<img/src/onerror=__xss=1>.xss-e2e.test');
    const controls = apiNames.filter((name) => [...name].some((c) => c.charCodeAt(0) < 0x20 || c === '\x7f'));
    expect(controls).toEqual([]);
  });

  it('the query log shows each name as text and runs none of them', async () => {
    const { page } = browser!;
    await page.goto(`${ts().baseUrl}/#/queries?name=xss-e2e`);
    await until(
      'the rows to show',
      async () => (await page.getByTestId('query-row').count()) >= 2 * apiNames.length,
    );
    const shown = await page.getByTestId('query-name').allTextContents();
    for (const payload of ['<img/src/onerror=__xss=1>', '<svg/onload=__xss=2>', '%3cscript%3e__xss=5']) {
      expect(
        shown.some((text) => text.includes(payload)),
        payload,
      ).toBe(true);
    }
    expect(shown.some((text) => text.includes(`"'><script>__xss=3</script>`))).toBe(true);
    expect(shown.some((text) => text.includes('a'.repeat(63)))).toBe(true);
    await expectInert(page, 'query log');
    // One-click actions on a hostile name: the server refuses it as a rule; the refusal is text too.
    const row = page.getByTestId('query-row').filter({ hasText: '<svg/onload' }).first();
    await row.getByTestId('allow-all').click();
    await row.getByRole('status').waitFor();
    await expectInert(page, 'query log after an action');
  });

  it('the overview lists them under top blocked names, as text, and its links stay in the app', async () => {
    const { page } = browser!;
    await page.goto(`${ts().baseUrl}/#/overview`);
    const names = page.locator('section:has(h2:text("Top blocked names")) td.name');
    await until('the top blocked names', async () => {
      await page.reload();
      await page.getByRole('heading', { name: 'Top blocked names' }).waitFor();
      return (await names.count()) >= 5;
    });
    const texts = await names.allTextContents();
    expect(texts.some((text) => text.includes('<img/src/onerror=__xss=1>'))).toBe(true);
    for (const link of await names.locator('a').all()) {
      expect(await link.getAttribute('href')).toMatch(/^#\/queries\?name=/);
    }
    await names.locator('a', { hasText: 'javascript:' }).first().click();
    await page.getByTestId('query-row').first().waitFor();
    await expectInert(page, 'overview and its links');
  });

  it('the device page shows them as text too', async () => {
    const { page } = browser!;
    const devices = (await (await page.request.get(`${ts().baseUrl}/api/devices`)).json()) as {
      items: Array<{ id: number; addresses: string[] }>;
    };
    const id = devices.items.find((d) => d.addresses.includes(device))?.id;
    expect(id).toBeDefined();
    await page.goto(`${ts().baseUrl}/#/devices/${id}`);
    await page.getByRole('heading', { name: 'Timeline' }).waitFor();
    await until('the blocked names of the device', async () => (await page.getByText('xss-e2e').count()) > 0);
    await expectInert(page, 'device page');
  });

  it('the CSV download reads back to exactly the API names, quoted, formulas neutralised', async () => {
    const { page } = browser!;
    await page.goto(`${ts().baseUrl}/#/queries?name=xss-e2e`);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Download CSV' }).click(),
    ]);
    const file = join(workDir, 'export.csv');
    await download.saveAs(file);
    const text = readFileSync(file, 'utf8');
    const rows = parseCsv(text.trimEnd());
    const header = rows[0]!;
    const nameColumn = header.indexOf('name');
    expect(nameColumn).toBeGreaterThanOrEqual(0);
    // Every field is quoted (so no field can break out of its cell).
    for (const line of text.trimEnd().split('\r\n')) expect(line).toMatch(/^"([^"]|"")*"(,"([^"]|"")*")*$/);
    const exported = rows.slice(1).map((row) => row[nameColumn]!);
    // A leading = + - @ is neutralised with a quote, as spreadsheets expect; otherwise names are verbatim.
    const restored = exported.map((name) => (/^'[=+\-@\t]/.test(name) ? name.slice(1) : name));
    expect(new Set(restored)).toEqual(new Set(apiNames));
    expect(exported).toContain(`'=hyperlink("http://evil").xss-e2e.test`);
    await expectInert(page, 'after the download');
  });

  it('control: the same names do run when a page does insert them as HTML', async () => {
    // Proves the payloads are live, so the checks above could fail. A blank page without the app's CSP.
    const control = await browser!.context.newPage();
    try {
      await control.setContent(`<body>${apiNames.join('<br>')}</body>`);
      await control.waitForTimeout(300);
      expect(await control.evaluate('typeof window.__xss')).toBe('number');
    } finally {
      await control.close();
    }
  });
});
