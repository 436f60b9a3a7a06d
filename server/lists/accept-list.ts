/**
 * Decides whether a freshly fetched copy may replace the last good one. A copy that is empty, has no
 * usable entry, or shrank suspiciously is refused; the caller keeps the last good copy and shows why.
 */
import type { ParsedList } from '../filter/list-types.js';

export interface AcceptPolicy {
  /** Refuse a copy with fewer than this share of the last good copy's entries … */
  shrinkRatio: number;
  /** … when the last good copy had at least this many (small hand-made lists may shrink freely). */
  shrinkMinEntries: number;
}

export const DEFAULT_ACCEPT_POLICY: AcceptPolicy = { shrinkRatio: 0.5, shrinkMinEntries: 100 };

/** Returns null when the copy is acceptable, else the reason to refuse it. */
export function refuseReason(
  /** The copy's text, or (when it was decoded in the parse worker) whether it is only white space. */
  text: string | { blank: boolean },
  parsed: ParsedList,
  lastGoodEntries: number | null,
  policy: AcceptPolicy = DEFAULT_ACCEPT_POLICY,
): string | null {
  const blank = typeof text === 'string' ? text.trim() === '' : text.blank;
  if (blank) return 'the list is empty';
  if (parsed.entries === 0) {
    return `no usable entry in ${parsed.lines} lines (${parsed.invalidCount} invalid, ${parsed.ignoredCount} ignored)`;
  }
  if (
    lastGoodEntries !== null &&
    lastGoodEntries >= policy.shrinkMinEntries &&
    parsed.entries < lastGoodEntries * policy.shrinkRatio
  ) {
    return `suspicious shrink: ${parsed.entries} entries against ${lastGoodEntries} in the last good copy`;
  }
  return null;
}
