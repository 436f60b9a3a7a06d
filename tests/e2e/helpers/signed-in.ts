/**
 * A household's tracksink for browser tests: a stub upstream, a real tracksink (password set by
 * TRACKSINK_PASSWORD) and Chromium logged in, with an API caller that goes through the browser's session
 * (cookie and CSRF token), as the dashboard does. Parts are kept in the caller's object as they start, so
 * `stopSignedIn` stops whatever started even when a later part failed.
 */
import type { Locator } from 'playwright-core';
import { expect } from 'vitest';
import { startTracksink, type TracksinkProcess } from '../../helpers/tracksink-process.js';
import { startStubDnsServer, type StubDnsServer } from '../../helpers/upstream/stub-dns-server.js';
import { launchBrowser, type TestBrowser } from './browser.js';

export interface SignedIn {
  stub: StubDnsServer;
  tracksink: TracksinkProcess;
  browser: TestBrowser;
}

/** Starts the stub upstream, tracksink and a logged-in browser into `run`. */
export async function startSignedIn(run: Partial<SignedIn>, password: string): Promise<SignedIn> {
  run.stub = await startStubDnsServer();
  run.tracksink = await startTracksink({
    env: { TRACKSINK_UPSTREAMS: run.stub.udpUrl, TRACKSINK_PASSWORD: password },
  });
  run.browser = await launchBrowser();
  const login = await run.browser.page.request.post(`${run.tracksink.baseUrl}/api/auth/login`, {
    data: { password },
  });
  expect(login.status()).toBe(200);
  return run as SignedIn;
}

export async function stopSignedIn(run: Partial<SignedIn>): Promise<void> {
  await run.browser?.close();
  await run.tracksink?.stop().catch(() => undefined);
  run.tracksink?.cleanup();
  await run.stub?.close();
}

/** The running tracksink, or a clear failure when it did not start. */
export function tracksinkOf(run: Partial<SignedIn>): TracksinkProcess {
  if (!run.tracksink) throw new Error('tracksink did not start');
  return run.tracksink;
}

/** Calls the API through the browser's session: its cookie, and the CSRF token the status route hands. */
export function apiFor(run: Partial<SignedIn>) {
  return async <T = Record<string, unknown>>(
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    path: string,
    data?: unknown,
  ): Promise<{ status: number; body: T }> => {
    const { page } = run.browser!;
    const base = tracksinkOf(run).baseUrl;
    const csrf = (
      (await (await page.request.get(`${base}/api/auth/status`)).json()) as { csrfToken?: string }
    ).csrfToken;
    const response = await page.request.fetch(`${base}${path}`, {
      method,
      data,
      headers: csrf ? { 'x-csrf-token': csrf } : {},
    });
    return { status: response.status(), body: (await response.json()) as T };
  };
}

/** An element's text with its white space folded, as a person reads it. */
export const text = async (locator: Locator) =>
  ((await locator.textContent()) ?? '').replace(/\s+/g, ' ').trim();

/**
 * The household's clock on UTC and a schedule "No TikTok" for `groupId` in force all day, every day (the
 * real clock is always inside it); returns the API's answer to the schedule.
 */
export async function blockTikTokAllDay(api: ReturnType<typeof apiFor>, groupId: number) {
  expect((await api('PUT', '/api/schedules/time-zone', { timeZone: 'UTC' })).status).toBe(200);
  const schedule = await api<{ active: boolean }>('POST', '/api/schedules', {
    name: 'No TikTok',
    groupId,
    days: [0, 1, 2, 3, 4, 5, 6],
    start: '00:00',
    end: '00:00',
    action: 'block',
    apps: ['tiktok'],
  });
  expect(schedule.status).toBe(201);
  return schedule;
}
