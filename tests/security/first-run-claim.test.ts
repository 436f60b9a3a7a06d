/**
 * Claiming a fresh tracksink (issue 14, item 3) over real HTTP: the first-run setup needs the one-time
 * code tracksink wrote to its data directory (0600) and prints at start-up; wrong codes are rate
 * limited; common passwords are refused; and requests naming a foreign host (DNS rebinding) are refused
 * before anything else, while the machine's own names and addresses work.
 */
import { existsSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HostPolicy } from '../../server/api/http/host-check.js';
import { readSetupCode } from '../../server/api/auth/setup-code.js';
import { startHarness, type Harness } from '../integration/api/harness.js';
import { countBy, send } from './helpers/http-client.js';

async function listening(h: Harness): Promise<string> {
  await h.app.listen({ host: '127.0.0.1', port: 0 });
  return `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
}

describe('first-run setup needs the setup code', () => {
  let h: Harness;
  let base: string;
  let code: string;
  beforeAll(async () => {
    h = await startHarness();
    base = await listening(h);
    code = readSetupCode(h.dir)!;
  });
  afterAll(async () => {
    await h?.close();
  });

  it('writes a code to setup-code.txt, readable by its owner only', () => {
    expect(code).toMatch(/^[A-Z2-9]{4}-[A-Z2-9]{4}$/);
    expect(statSync(join(h.dir, 'setup-code.txt')).mode & 0o777).toBe(0o600);
  });

  it('refuses setup without the code, and with a wrong one', async () => {
    const without = await send(base, { path: '/api/auth/setup', body: { password: 'a good long password' } });
    expect(without.status).toBe(400);
    expect(without.json().message).toMatch(/setupCode/);
    const wrong = await send(base, {
      path: '/api/auth/setup',
      body: { password: 'a good long password', setupCode: 'AAAA-BBBB' },
      localAddress: '127.0.0.2',
    });
    expect(wrong.status).toBe(403);
    expect(wrong.json().message).toMatch(/setup code/);
    expect(wrong.headers['set-cookie']).toBeUndefined();
    expect((await send(base, { path: '/api/auth/status' })).json()).toMatchObject({ setupNeeded: true });
  });

  it('rate-limits guessing the code: parallel guesses from one address get 429', async () => {
    const answers = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        send(base, {
          path: '/api/auth/setup',
          body: { password: 'a good long password', setupCode: `GUESS-${String(i).padStart(3, '2')}` },
          localAddress: '127.0.0.3',
        }),
      ),
    );
    const statuses = countBy(answers, (a) => a.status);
    expect(statuses['403'] ?? 0).toBeLessThanOrEqual(5);
    expect(statuses['429']).toBeGreaterThanOrEqual(55);
    // Even the right code waits while that address is locked.
    const locked = await send(base, {
      path: '/api/auth/setup',
      body: { password: 'a good long password', setupCode: code },
      localAddress: '127.0.0.3',
    });
    expect(locked.status).toBe(429);
  });

  it('refuses a DNS-rebinding page: a foreign Host gets 403 even with the right code', async () => {
    const rebound = await send(base, {
      path: '/api/auth/setup',
      body: { password: 'a good long password', setupCode: code },
      headers: { host: 'rebind.attacker.example' },
    });
    expect(rebound.status).toBe(403);
    expect(rebound.json().message).toMatch(/rebind\.attacker\.example.*http\.allowedHosts/);
    expect(rebound.headers['set-cookie']).toBeUndefined();
    const status = await send(base, {
      path: '/api/auth/status',
      headers: { host: 'rebind.attacker.example' },
    });
    expect(status.status).toBe(403);
  });

  it.each([
    ['password1', /most common/],
    ['aaaaaaaa', /most common|repeated/],
    ['zzzzzzzzzz', /repeated/],
    ['12345678', /most common|consecutive/],
    ['abcdefghij', /consecutive/],
    ['Sunshine', /most common/],
  ])('refuses the common or trivial password %s with a clear message', async (password, why) => {
    const response = await send(base, { path: '/api/auth/setup', body: { password, setupCode: code } });
    expect(response.status).toBe(400);
    expect(response.json().message).toMatch(why);
    expect(response.json().message).toMatch(/^password: /);
  });

  it('sets the password with the right code (typed in lower case, without the dash) and deletes the code', async () => {
    const response = await send(base, {
      path: '/api/auth/setup',
      body: { password: 'a good long password', setupCode: code.replace('-', ' ').toLowerCase() },
      headers: { host: `localhost:${new URL(base).port}` },
    });
    expect(response.status).toBe(200);
    expect(response.headers['set-cookie']).toBeDefined();
    expect(existsSync(join(h.dir, 'setup-code.txt'))).toBe(false);
    const again = await send(base, {
      path: '/api/auth/setup',
      body: { password: 'another good password', setupCode: code },
    });
    expect(again.status).toBe(409);
  });
});

describe('the setup code survives a restart until it is used, and is gone once a password is set', () => {
  let first: Harness | undefined;
  afterEach(async () => {
    await first?.close();
  });

  it('keeps the same code for the same data directory', async () => {
    first = await startHarness();
    const code = readSetupCode(first.dir);
    await first.app.close();
    const { buildApp } = await import('../../server/api/app.js');
    const again = await buildApp(first.deps);
    expect(readSetupCode(first.dir)).toBe(code);
    await again.close();
  });
});

describe('Host names', () => {
  let h: Harness;
  let base: string;
  beforeAll(async () => {
    h = await startHarness({}, (config) => {
      config.http.allowedHosts = ['tracksink.home', '.lan'];
      config.dns.local = { 'nas.home.arpa': '192.168.1.10' };
    });
    base = await listening(h);
  });
  afterAll(async () => {
    await h?.close();
  });

  it.each([
    '127.0.0.1:8080',
    '[::1]:8080',
    '192.168.1.20',
    'localhost:8080',
    'tracksink.localhost',
    hostname(),
    `${hostname().split('.')[0]}.local`,
    'tracksink.home',
    'pi.lan:8080',
    'nas.home.arpa',
  ])('answers for its own name or address %s', async (host) => {
    const response = await send(base, { path: '/api/auth/status', headers: { host } });
    expect(response.status).toBe(200);
  });

  it.each([
    'rebind.attacker.example',
    'attacker.example:8080',
    'tracksink.home.attacker.example',
    'lan.evil',
  ])('refuses the foreign name %s on every route but DoH', async (host) => {
    for (const path of ['/api/auth/status', '/api/health', '/metrics', '/', '/api/rules']) {
      const response = await send(base, { path, headers: { host } });
      expect(response.status, path).toBe(403);
    }
    // DoH answers whatever name a DNS client uses (503 here: no DNS module in this harness).
    const doh = await send(base, {
      path: '/dns-query?dns=AAABAAABAAAAAAAAA3d3dwdleGFtcGxlA2NvbQAAAQAB',
      headers: { host },
    });
    expect(doh.status).toBe(503);
  });

  it('can be turned off with "*"', () => {
    expect(new HostPolicy({ allowedHosts: ['*'], machineName: 'box' }).allows('anything.example')).toBe(true);
    expect(new HostPolicy({ allowedHosts: [], machineName: 'box' }).allows('anything.example')).toBe(false);
    expect(new HostPolicy({ allowedHosts: [], machineName: 'box.fritz.box' }).allows('box.fritz.box')).toBe(
      true,
    );
  });
});
