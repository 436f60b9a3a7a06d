/**
 * Debian's Chromium driven by playwright-core, with a fresh profile in a temp dir per run, and a page that
 * records what a test must notice: dialogs (an XSS that fired), CSP violations and uncaught errors.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const screenshotsDir = resolve(import.meta.dirname, '..', 'screenshots');

export interface TestBrowser {
  context: BrowserContext;
  page: Page;
  /** Messages of every dialog (alert/confirm/prompt) the page opened; each is dismissed. */
  dialogs: string[];
  /** CSP violations reported in the page, as "directive blocked-uri". */
  cspViolations: () => Promise<string[]>;
  /** Uncaught page errors. */
  pageErrors: string[];
  screenshot: (name: string, page?: Page) => Promise<string>;
  close: () => Promise<void>;
}

export async function launchBrowser(): Promise<TestBrowser> {
  const userDataDir = mkdtempSync(join(tmpdir(), 'tracksink-chromium-'));
  mkdirSync(screenshotsDir, { recursive: true });
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        // Tests talk to loopback only: every other host name fails without a DNS lookup (the setup page
        // makes the browser resolve a probe name, which must not leave the machine).
        '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost',
      ],
      viewport: { width: 1280, height: 900 },
      timeout: 30_000,
    });
  } catch (error) {
    rmSync(userDataDir, { recursive: true, force: true });
    throw error;
  }
  // Runs before any page script (init scripts are exempt from the page's CSP). A string: the server's
  // tsconfig has no DOM types, and this code runs in the page, not in Node.
  await context.addInitScript({
    content: `window.__cspViolations = [];
      document.addEventListener('securitypolicyviolation', (event) => {
        window.__cspViolations.push(event.violatedDirective + ' ' + event.blockedURI);
      });`,
  });
  // Belt and braces: any request to a host other than loopback is aborted before it starts.
  await context.route(
    (url) => url.hostname !== '127.0.0.1' && url.hostname !== 'localhost',
    (route) => route.abort('blockedbyclient'),
  );
  const page = context.pages()[0] ?? (await context.newPage());
  const dialogs: string[] = [];
  const pageErrors: string[] = [];
  const watch = (watched: Page): void => {
    watched.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss().catch(() => undefined);
    });
    watched.on('pageerror', (error) => pageErrors.push(error.message));
  };
  watch(page);
  context.on('page', watch);

  return {
    context,
    page,
    dialogs,
    pageErrors,
    cspViolations: async () => page.evaluate<string[]>('[...(window.__cspViolations ?? [])]'),
    screenshot: async (name, target = page) => {
      const file = join(screenshotsDir, `${name}.png`);
      await target.screenshot({ path: file, fullPage: true });
      return file;
    },
    close: async () => {
      await context.close().catch(() => undefined);
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}
