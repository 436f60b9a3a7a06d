/**
 * Login guessing over real HTTP (issue 14, items 1 and 2): the lockout is reserved before the scrypt
 * hash, so parallel guesses from one source get 429 instead of all being checked; it is kept per source
 * (one IPv4 address, one IPv6 /64), so guesses from elsewhere never lock the owner out.
 * Sources are real loopback addresses (127.0.0.x), or for IPv6 X-Forwarded-For from the trusted
 * local proxy address.
 */
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../integration/api/harness.js';
import { countBy, send } from './helpers/http-client.js';

const PASSWORD = 'the right one 42';
let h: Harness;
let base: string;

beforeEach(async () => {
  h = await startHarness({}, (config) => {
    config.http.password = PASSWORD;
  });
  await h.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
});
afterEach(async () => {
  await h?.close();
});

function login(password: string, from: string, headers: Record<string, string> = {}) {
  return send(base, { path: '/api/auth/login', body: { password }, localAddress: from, headers });
}

describe('login guessing', { timeout: 90_000 }, () => {
  it('answers 429 to 300 parallel wrong passwords from one address, except the few it may check', async () => {
    const answers = await Promise.all(
      Array.from({ length: 300 }, (_, i) => login(`wrong guess ${i}`, '127.0.0.2')),
    );
    const statuses = countBy(answers, (a) => a.status);
    expect((statuses['401'] ?? 0) + (statuses['429'] ?? 0)).toBe(300);
    expect(statuses['401'] ?? 0).toBeLessThanOrEqual(5);
    expect(statuses['429']).toBeGreaterThanOrEqual(295);
    const refused = answers.find((a) => a.status === 429)!;
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(refused.json().message).toMatch(/try again in \d+ s/);
    // How many of the burst were checked depends on timing (a busy refusal is not a failure): guessing on
    // one at a time reaches the lock within the failures left, and then even the right password is
    // refused, for a minute, not an hour.
    let wrong = await login('still wrong', '127.0.0.2');
    for (let i = 0; i < 5 && wrong.status !== 429; i++) wrong = await login('still wrong', '127.0.0.2');
    expect(wrong.status).toBe(429);
    const after = await login(PASSWORD, '127.0.0.2');
    expect(after.status).toBe(429);
    expect(Number(after.headers['retry-after'])).toBeLessThanOrEqual(60);
  });

  it('does not log in from a burst of 100 with the right password at position 90', async () => {
    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, i) => login(i === 89 ? PASSWORD : `wrong guess ${i}`, '127.0.0.3')),
    );
    expect(answers[89]!.status).toBe(429);
    expect(answers.filter((a) => a.status === 200)).toHaveLength(0);
    expect(answers[89]!.headers['set-cookie']).toBeUndefined();
  });

  it('keeps the owner able to log in from another address during a burst from elsewhere', async () => {
    const attack = Promise.all(Array.from({ length: 200 }, (_, i) => login(`wrong guess ${i}`, '127.0.0.4')));
    const owner = await login(PASSWORD, '127.0.0.5');
    expect(owner.status).toBe(200);
    await attack;
    expect((await login(PASSWORD, '127.0.0.6')).status).toBe(200);
  });

  it('never locks a new address after 5 wrong passwords from each of 11 others', async () => {
    // The 11 sources guess side by side, each one password after the other: 55 real failures.
    const sources = Array.from({ length: 11 }, (_, i) => `127.0.1.${i + 1}`);
    const answers = await Promise.all(
      sources.map(async (source) => {
        const statuses: number[] = [];
        for (let i = 0; i < 5; i++) statuses.push((await login(`wrong ${i}`, source)).status);
        return statuses;
      }),
    );
    // Every one of them was checked and failed (none was locked early by the others' failures).
    expect(answers.flat().filter((status) => status === 401)).toHaveLength(55);
    const owner = await login(PASSWORD, '127.0.2.1');
    expect(owner.status).toBe(200);
    expect(owner.headers['set-cookie']).toBeDefined();
    // One more try from a source that failed 5 times is refused, for a minute at most.
    const locked = await login(PASSWORD, sources[0]!);
    expect(locked.status).toBe(429);
    expect(Number(locked.headers['retry-after'])).toBeLessThanOrEqual(60);
  }, 120_000);

  it('counts an IPv6 /64 as one source (addresses behind the trusted local proxy)', async () => {
    const via = (address: string) => ({ 'x-forwarded-for': address });
    for (let i = 1; i <= 5; i++) {
      expect((await login(`wrong ${i}`, '127.0.0.1', via(`2001:db8:1:2::${i}`))).status).toBe(401);
    }
    // Another address of the same /64 is the same source.
    expect((await login(PASSWORD, '127.0.0.1', via('2001:db8:1:2:abcd::77'))).status).toBe(429);
    // The next /64 (a neighbour's network) is not.
    expect((await login(PASSWORD, '127.0.0.1', via('2001:db8:1:3::1'))).status).toBe(200);
  });

  it('limits wrong current passwords on the password change the same way', async () => {
    const own = await startHarness();
    try {
      const session = await own.login();
      await own.app.listen({ host: '127.0.0.1', port: 0 });
      const ownBase = `http://127.0.0.1:${(own.app.server.address() as AddressInfo).port}`;
      const answers = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          send(ownBase, {
            path: '/api/auth/password',
            body: { current: `wrong ${i}`, password: 'a fresh passphrase 7' },
            localAddress: '127.0.0.7',
            headers: { cookie: session.cookie, 'x-csrf-token': session.csrf },
          }),
        ),
      );
      const statuses = countBy(answers, (a) => a.status);
      expect(statuses['401'] ?? 0).toBeLessThanOrEqual(5);
      expect(statuses['429']).toBeGreaterThanOrEqual(45);
    } finally {
      await own.close();
    }
  });
});
