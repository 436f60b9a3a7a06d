import { describe, expect, it } from 'vitest';
import { sourceOf } from '../../../server/api/auth/client-source.js';
import { LoginLockout, type Admission } from '../../../server/api/auth/lockout.js';

function admitted(admission: Admission) {
  if (!admission.ok) throw new Error(`not admitted: ${admission.reason}`);
  return admission.attempt;
}

function failOnce(lockout: LoginLockout, address: string): void {
  admitted(lockout.begin(address)).fail();
}

describe('login lockout', () => {
  it('locks a source after 5 failures for 60 s, doubles on each further failure, and forgets on success', () => {
    let now = 1_000_000;
    const lockout = new LoginLockout({ now: () => now });
    for (let i = 0; i < 4; i++) failOnce(lockout, '192.0.2.1');
    expect(lockout.lockedForMs('192.0.2.1')).toBe(0);
    failOnce(lockout, '192.0.2.1');
    expect(lockout.lockedForMs('192.0.2.1')).toBe(60_000);
    expect(lockout.begin('192.0.2.1')).toMatchObject({ ok: false, reason: 'locked', retryAfterMs: 60_000 });
    expect(lockout.begin('192.0.2.2').ok).toBe(true);
    now += 60_001;
    failOnce(lockout, '192.0.2.1');
    expect(lockout.lockedForMs('192.0.2.1')).toBe(120_000);
    now += 120_001;
    admitted(lockout.begin('192.0.2.1')).succeed();
    expect(lockout.lockedForMs('192.0.2.1')).toBe(0);
    for (let i = 0; i < 4; i++) failOnce(lockout, '192.0.2.1');
    expect(lockout.lockedForMs('192.0.2.1')).toBe(0);
  });

  it('caps a source lock at 15 minutes', () => {
    let now = 0;
    const lockout = new LoginLockout({ now: () => now });
    for (let i = 0; i < 30; i++) {
      failOnce(lockout, '192.0.2.1');
      now += lockout.lockedForMs('192.0.2.1') + 1;
    }
    failOnce(lockout, '192.0.2.1');
    expect(lockout.lockedForMs('192.0.2.1')).toBe(15 * 60_000);
  });

  it('counts attempts still being checked: parallel attempts from one source are refused at once', () => {
    const lockout = new LoginLockout({ now: () => 0 });
    const first = admitted(lockout.begin('192.0.2.1'));
    const second = admitted(lockout.begin('192.0.2.1'));
    expect(lockout.begin('192.0.2.1')).toMatchObject({ ok: false, reason: 'busy' });
    // Another source is not slowed by it.
    expect(lockout.begin('192.0.2.9').ok).toBe(true);
    first.fail();
    second.fail();
    // Each ended attempt frees a slot, but never more than the failures left before the lock.
    failOnce(lockout, '192.0.2.1');
    failOnce(lockout, '192.0.2.1');
    const last = admitted(lockout.begin('192.0.2.1'));
    expect(lockout.begin('192.0.2.1')).toMatchObject({ ok: false, reason: 'busy' });
    last.fail();
    expect(lockout.begin('192.0.2.1')).toMatchObject({ ok: false, reason: 'locked' });
  });

  it('never locks a source that has not failed, even when many others have', () => {
    const lockout = new LoginLockout({ now: () => 0, attackFailures: 20 });
    for (let source = 0; source < 11; source++) {
      for (let i = 0; i < 5; i++) {
        const admission = lockout.begin(`198.51.100.${source}`);
        if (admission.ok) admission.attempt.fail();
      }
    }
    expect(lockout.begin('203.0.113.1').ok).toBe(true);
    // Under that attack, a source that failed once gets locked sooner (after 2 failures).
    failOnce(lockout, '203.0.113.2');
    failOnce(lockout, '203.0.113.2');
    expect(lockout.begin('203.0.113.2')).toMatchObject({ ok: false, reason: 'locked' });
  });

  it('counts one IPv6 /64 as one source, and IPv4-mapped IPv6 as the IPv4 address', () => {
    expect(sourceOf('2001:db8:1:2::1')).toBe('2001:db8:1:2::/64');
    expect(sourceOf('2001:db8:1:2:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
    expect(sourceOf('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(sourceOf('::1')).toBe('0:0:0:0::/64');
    expect(sourceOf('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(sourceOf('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(sourceOf('192.0.2.7')).toBe('192.0.2.7');
    const lockout = new LoginLockout({ now: () => 0 });
    for (let i = 0; i < 5; i++) failOnce(lockout, `2001:db8:1:2::${i + 1}`);
    expect(lockout.begin('2001:db8:1:2:abcd::9')).toMatchObject({ ok: false, reason: 'locked' });
    expect(lockout.begin('2001:db8:1:3::1').ok).toBe(true);
  });
});
