// The dashboard's words for the API's machine codes: one definition, used by the status badge, the query
// log filter and the test-a-name box. The server words the reasons itself (QueryRow.why, Explanation.summary).
import type { Explanation, StatusName } from './api-types.js';

export interface StatusWords {
  /** Short, on the badge of a log row. */
  badge: string;
  /** In the status filter and as the badge's tooltip. */
  choice: string;
  tone: 'bad' | 'good' | 'plain';
  /** Rare statuses people seldom look for: offered under "Advanced" in the filter. */
  advanced: boolean;
}

export const STATUS_WORDS: Record<StatusName, StatusWords> = {
  blocked: { badge: 'blocked', choice: 'Blocked', tone: 'bad', advanced: false },
  allowed: { badge: 'allowed', choice: 'Allowed by your rules', tone: 'good', advanced: false },
  forwarded: { badge: 'answered', choice: 'Answered', tone: 'plain', advanced: false },
  cached: { badge: 'answered', choice: 'Answered from memory', tone: 'plain', advanced: false },
  local: { badge: 'answered here', choice: 'Answered here (your own names)', tone: 'plain', advanced: false },
  refused: { badge: 'refused', choice: 'Refused (not allowed to ask)', tone: 'bad', advanced: true },
  error: { badge: 'failed', choice: 'Failed (no answer from the internet)', tone: 'bad', advanced: true },
  stale: {
    badge: 'answered',
    choice: 'Answered from old memory (internet down)',
    tone: 'plain',
    advanced: true,
  },
  dropped: { badge: 'not answered', choice: 'Not answered (too many at once)', tone: 'bad', advanced: true },
  formerr: { badge: 'refused', choice: 'Garbled questions', tone: 'bad', advanced: true },
};

const ALL_STATUSES = Object.keys(STATUS_WORDS) as StatusName[];
/** The statuses the filter offers first, and those under "Advanced". */
export const COMMON_STATUSES = ALL_STATUSES.filter((status) => !STATUS_WORDS[status].advanced);
export const ADVANCED_STATUSES = ALL_STATUSES.filter((status) => STATUS_WORDS[status].advanced);

export function statusWords(status: string): StatusWords {
  return (
    STATUS_WORDS[status as StatusName] ?? { badge: status, choice: status, tone: 'plain', advanced: true }
  );
}

/** What "Test a name" found, as a verdict word. */
export const VERDICT_WORDS: Record<Explanation['verdict'], string> = {
  blocked: 'blocked',
  allowed: 'allowed',
  rewritten: 'answered by a rule',
  none: 'not blocked',
};

/** Where a matching rule of "Test a name" comes from. */
export const MATCH_SOURCE_WORDS: Record<string, string> = {
  'user-rule': 'Your rule',
  list: 'The list',
  catalog: "tracksink's tracker list",
  'company-policy': 'Company choice',
  schedule: 'Schedule',
};

/** What a matching rule would do on its own. */
export const MATCH_ACTION_WORDS: Record<string, string> = {
  block: 'blocks',
  allow: 'allows',
  rewrite: 'answers',
  exception: 'makes an exception',
};
