/** The query log's "why" in words: every reason code has a sentence without the code's jargon. */
import { describe, expect, it } from 'vitest';
import { queryWhy, type WhyFacts } from '../../../server/api/adapters/query-why.js';
import { REASON_NAMES } from '../../../server/events/query-event.js';
import { STATUS_NAMES } from '../../../server/api/schemas/common.js';

const base: WhyFacts = {
  status: 'blocked',
  reason: 'none',
  listName: null,
  deviceId: 7,
  deviceType: 'phone',
  cnameTarget: null,
  company: null,
  category: null,
};
const why = (facts: Partial<WhyFacts>) => queryWhy({ ...base, ...facts });

// What the log showed before: reason codes and rule numbers are for programs, not people.
const JARGON = [
  /forwarded/i,
  /local-(allow|deny|record)/,
  /company-policy/,
  /list-exception/,
  /rule #\d/,
  /\(line \d+\)/,
  /catalog/i,
  /\bstale\b|\bformerr\b|\bdropped\b|\bnxdomain\b|\bcname\b/i,
  /upstream/i,
];

describe('queryWhy', () => {
  it('words every reason code for every status without jargon', () => {
    for (const reason of Object.values(REASON_NAMES)) {
      for (const status of STATUS_NAMES) {
        const text = why({ reason, status, listName: 'StevenBlack hosts', company: 'Pinterest' });
        if (reason === 'none' && status !== 'stale') {
          expect(text, `${status}/${reason}`).toBe('');
          continue;
        }
        expect(text, `${status}/${reason}`).toMatch(/^[A-Z]/);
        for (const pattern of JARGON) expect(text, `${status}/${reason}`).not.toMatch(pattern);
      }
    }
  });

  it('names a known tracker with its company and category', () => {
    expect(why({ reason: 'catalog', company: 'Pinterest', category: 'Advertising' })).toBe(
      'Blocked: known Pinterest advertising tracker',
    );
    expect(why({ reason: 'catalog', company: 'Alphabet (Google)' })).toBe(
      'Blocked: known Alphabet (Google) tracker',
    );
    expect(why({ reason: 'catalog' })).toBe('Blocked: known tracker');
    expect(why({ reason: 'list', listName: 'my-list.txt' })).toBe('Blocked: on the list “my-list.txt”');
  });

  it('says whose rule it was: this device (by its type), a profile, everyone, or one since removed', () => {
    const rule = (deviceId: number | null, profile: string | null = null) => ({ deviceId, profile });
    expect(why({ status: 'allowed', reason: 'local-allow', rule: rule(7) })).toBe(
      'Allowed by your rule for this phone',
    );
    expect(why({ status: 'allowed', reason: 'local-allow', rule: rule(7), deviceType: 'tv' })).toBe(
      'Allowed by your rule for this TV',
    );
    expect(why({ status: 'allowed', reason: 'local-allow', rule: rule(7), deviceType: 'unknown' })).toBe(
      'Allowed by your rule for this device',
    );
    expect(why({ reason: 'local-deny', rule: rule(null, 'Kids') })).toBe(
      'Blocked by your rule for the Kids profile',
    );
    expect(why({ reason: 'local-deny', rule: rule(null) })).toBe('Blocked by your rule for everyone');
    expect(why({ status: 'allowed', reason: 'local-allow' })).toBe('Allowed by your rule (since removed)');
  });

  it('tells a company choice, a hidden tracker and a failing upstream apart', () => {
    expect(why({ reason: 'company-policy', company: 'ByteDance (TikTok)' })).toBe(
      'Blocked: you block everything from ByteDance (TikTok)',
    );
    expect(why({ status: 'forwarded', reason: 'company-policy', company: 'Meta' })).toBe(
      'Allowed: you allow everything from Meta',
    );
    expect(why({ reason: 'cname', cnameTarget: 'ct.pinterest.com' })).toBe(
      'Blocked: hidden tracker, it leads to ct.pinterest.com',
    );
    expect(why({ status: 'stale', reason: 'upstream-failed' })).toMatch(/^Answered from memory/);
    expect(why({ status: 'error', reason: 'upstream-failed' })).toMatch(/^Failed/);
  });
});
