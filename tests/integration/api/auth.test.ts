import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSetupCode } from '../../../server/api/auth/setup-code.js';
import { PASSWORD, startHarness, type Harness } from './harness.js';

describe('auth: setup, login, lockout, logout, password change', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('asks for setup on first run and refuses login before', async () => {
    const status = await h.app.inject({ method: 'GET', url: '/api/auth/status' });
    expect(status.json()).toMatchObject({ setupNeeded: true, loggedIn: false, csrfToken: null });
    const login = await h.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { password: 'whatever1' },
    });
    expect(login.statusCode).toBe(409);
    expect(login.json().message).toMatch(/setup/);
  });

  it('rejects a short setup password with a message naming the field', async () => {
    const response = await h.app.inject({
      method: 'POST',
      url: '/api/auth/setup',
      payload: { password: 'short', setupCode: readSetupCode(h.dir) },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({
      error: 'bad-request',
      message: expect.stringMatching(/^body\.password: .*8/),
    });
  });

  it('sets the password once, with a strict HttpOnly session cookie, and stores only a scrypt hash', async () => {
    const response = await h.app.inject({
      method: 'POST',
      url: '/api/auth/setup',
      payload: { password: PASSWORD, setupCode: readSetupCode(h.dir) },
    });
    expect(response.statusCode).toBe(200);
    const cookie = response.cookies.find((c) => c.name === 'tracksink_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
    expect(cookie?.secure).toBeFalsy();
    expect(response.json().csrfToken).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    const row = h.db.prepare('SELECT hash FROM auth_password').get() as { hash: string };
    expect(row.hash).toMatch(/^scrypt\$/);
    expect(row.hash).not.toContain(PASSWORD);

    const again = await h.app.inject({
      method: 'POST',
      url: '/api/auth/setup',
      payload: { password: 'another password', setupCode: 'ABCD-EFGH' },
    });
    expect(again.statusCode).toBe(409);
  });

  it('marks the cookie Secure behind https (reverse proxy on loopback)', async () => {
    const response = await h.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      remoteAddress: '127.0.0.1',
      headers: { 'x-forwarded-proto': 'https' },
      payload: { password: PASSWORD },
    });
    expect(response.statusCode).toBe(200);
    expect(response.cookies.find((c) => c.name === 'tracksink_session')?.secure).toBe(true);
  });

  it('locks a client out after 5 wrong passwords, even for the right one, while others still log in', async () => {
    const attacker = '192.0.2.66';
    for (let i = 0; i < 5; i++) {
      const wrong = await h.app.inject({
        method: 'POST',
        url: '/api/auth/login',
        remoteAddress: attacker,
        payload: { password: `wrong-${i}` },
      });
      expect(wrong.statusCode).toBe(401);
    }
    const locked = await h.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      remoteAddress: attacker,
      payload: { password: PASSWORD },
    });
    expect(locked.statusCode).toBe(429);
    expect(Number(locked.headers['retry-after'])).toBeGreaterThanOrEqual(59);
    expect(locked.json().message).toMatch(/try again in \d+ s/);

    const other = await h.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      remoteAddress: '192.0.2.7',
      payload: { password: PASSWORD },
    });
    expect(other.statusCode).toBe(200);
  });

  it('needs a session (401) and a CSRF token on changes (403)', async () => {
    expect((await h.app.inject({ method: 'GET', url: '/api/rules' })).statusCode).toBe(401);
    const session = await h.login();
    expect((await session.request({ method: 'GET', url: '/api/rules' })).statusCode).toBe(200);
    const noToken = await h.app.inject({
      method: 'POST',
      url: '/api/rules',
      headers: { cookie: session.cookie },
      payload: { action: 'deny', pattern: 'ads.example' },
    });
    expect(noToken.statusCode).toBe(403);
    expect(noToken.json().message).toMatch(/x-csrf-token/);
    const wrongToken = await h.app.inject({
      method: 'POST',
      url: '/api/rules',
      headers: { cookie: session.cookie, 'x-csrf-token': 'x'.repeat(32) },
      payload: { action: 'deny', pattern: 'ads.example' },
    });
    expect(wrongToken.statusCode).toBe(403);
    expect((h.db.prepare('SELECT COUNT(*) AS n FROM rules').get() as { n: number }).n).toBe(0);
  });

  it('changes the password: old sessions end, the new password works, the old one does not', async () => {
    const session = await h.login();
    const wrongCurrent = await session.request({
      method: 'POST',
      url: '/api/auth/password',
      payload: { current: 'nope', password: 'a new password' },
    });
    expect(wrongCurrent.statusCode).toBe(401);
    const changed = await session.request({
      method: 'POST',
      url: '/api/auth/password',
      payload: { current: PASSWORD, password: 'a new password' },
    });
    expect(changed.statusCode).toBe(200);
    // The old session is gone.
    expect((await session.request({ method: 'GET', url: '/api/rules' })).statusCode).toBe(401);
    const old = await h.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { password: PASSWORD },
    });
    expect(old.statusCode).toBe(401);
    const fresh = await h.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { password: 'a new password' },
    });
    expect(fresh.statusCode).toBe(200);
    const cookie = `tracksink_session=${fresh.cookies[0]?.value}`;
    const csrf = fresh.json().csrfToken as string;
    const logout = await h.app.inject({
      method: 'POST',
      url: '/api/auth/logout',
      headers: { cookie, 'x-csrf-token': csrf },
    });
    expect(logout.statusCode).toBe(200);
    expect((await h.app.inject({ method: 'GET', url: '/api/rules', headers: { cookie } })).statusCode).toBe(
      401,
    );
  });
});

describe('auth: password from config', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({}, (config) => {
      config.http.password = 'from-config-pw';
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('needs no setup, logs in with the configured password, and refuses changing it here', async () => {
    const status = (await h.app.inject({ method: 'GET', url: '/api/auth/status' })).json();
    expect(status).toMatchObject({ setupNeeded: false, passwordFromConfig: true });
    expect(
      (
        await h.app.inject({
          method: 'POST',
          url: '/api/auth/setup',
          payload: { password: 'x'.repeat(10), setupCode: 'ABCD-EFGH' },
        })
      ).statusCode,
    ).toBe(409);
    const login = await h.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { password: 'from-config-pw' },
    });
    expect(login.statusCode).toBe(200);
    const cookie = `tracksink_session=${login.cookies[0]?.value}`;
    const change = await h.app.inject({
      method: 'POST',
      url: '/api/auth/password',
      headers: { cookie, 'x-csrf-token': login.json().csrfToken },
      payload: { current: 'from-config-pw', password: 'something else' },
    });
    expect(change.statusCode).toBe(403);
    expect(change.json().message).toMatch(/TRACKSINK_PASSWORD/);
  });
});

describe('health before ready', () => {
  it('answers 503 with the same JSON shape until DNS listens and lists are loaded', async () => {
    let ready = false;
    const h = await startHarness({ ready: () => ready });
    try {
      const before = await h.app.inject({ method: 'GET', url: '/api/health' });
      expect(before.statusCode).toBe(503);
      expect(before.json()).toMatchObject({
        status: 'starting',
        lists: { loaded: false },
        dns: { udp: null },
      });
      ready = true;
      const after = await h.app.inject({ method: 'GET', url: '/api/health' });
      expect(after.statusCode).toBe(200);
      expect(after.json()).toMatchObject({ status: 'ok', log: { written: 0, dropped: 0, error: null } });
      expect(after.json().uptime).toBeGreaterThanOrEqual(0);
      // Routes whose module is missing say so instead of inventing data.
      const session = await h.login();
      const devices = await session.request({ method: 'GET', url: '/api/devices' });
      expect(devices.statusCode).toBe(503);
      expect(devices.json().message).toMatch(/device registry is not running/);
      const doh = await h.app.inject({
        method: 'GET',
        url: '/dns-query?dns=AAABAAABAAAAAAAAA3d3dwdleGFtcGxlA2NvbQAAAQAB',
      });
      expect(doh.statusCode).toBe(503);
    } finally {
      await h.close();
    }
  });
});
