import { describe, expect, it } from 'vitest';
import { LoginLockout } from '../../../server/api/auth/lockout.js';

describe('login lockout', () => {
  it('locks after 5 failures for 60 s, then doubles on each further failure, and forgets on success', () => {
    let now = 1_000_000;
    const lockout = new LoginLockout({ now: () => now });
    for (let i = 0; i < 4; i++) lockout.fail('a');
    expect(lockout.retryAfterMs('a')).toBe(0);
    lockout.fail('a');
    expect(lockout.retryAfterMs('a')).toBe(60_000);
    expect(lockout.retryAfterMs('b')).toBe(0);
    now += 60_001;
    expect(lockout.retryAfterMs('a')).toBe(0);
    lockout.fail('a');
    expect(lockout.retryAfterMs('a')).toBe(120_000);
    now += 120_001;
    lockout.fail('a');
    expect(lockout.retryAfterMs('a')).toBe(240_000);
    lockout.succeed('a');
    expect(lockout.retryAfterMs('a')).toBe(0);
  });

  it('caps the lock at an hour', () => {
    let now = 0;
    const lockout = new LoginLockout({ now: () => now });
    for (let i = 0; i < 30; i++) {
      lockout.fail('a');
      now += lockout.retryAfterMs('a') + 1;
    }
    lockout.fail('a');
    expect(lockout.retryAfterMs('a')).toBe(3_600_000);
  });

  it('locks everyone when failures come from many addresses', () => {
    let now = 0;
    const lockout = new LoginLockout({ now: () => now, globalMaxFailures: 10 });
    for (let i = 0; i < 10; i++) lockout.fail(`198.51.100.${i}`);
    expect(lockout.retryAfterMs('203.0.113.1')).toBe(60_000);
    now += 60_001;
    expect(lockout.retryAfterMs('203.0.113.1')).toBe(0);
  });
});
