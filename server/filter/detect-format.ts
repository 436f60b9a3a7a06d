/**
 * Guesses a list's format from its first meaningful lines (up to 200): each line votes for the format
 * its shape belongs to, and the format with most votes wins. Comment styles vote too (`!` is adblock,
 * `;` is a zone file). A list whose lines are all plain names is 'domains'.
 */
import type { ListFormat } from './list-types.js';
import { looksLikeAddress } from './formats/hosts.js';
import { forEachLine, startsWithAt, tokenEnd } from './text-scan.js';

const SAMPLE_LINES = 200;

export function detectFormat(text: string): ListFormat {
  const votes: Record<ListFormat, number> = {
    hosts: 0,
    domains: 0,
    wildcard: 0,
    dnsmasq: 0,
    unbound: 0,
    rpz: 0,
    adblock: 0,
  };
  let sampled = 0;
  // Only the head of the text is looked at: cut it so forEachLine does not walk a huge list.
  const head = text.length > 64 * 1024 ? text.slice(0, 64 * 1024) : text;
  forEachLine(head, (start, end) => {
    if (sampled >= SAMPLE_LINES || start === end) return;
    const vote = classifyLine(head, start, end);
    if (vote !== null) {
      // Specific shapes outweigh the plain-name fallback; `!` comments and `[Adblock …]` headers only
      // exist in adblock lists, which may otherwise hold nothing but plain names.
      const c = head.charCodeAt(start);
      votes[vote] += vote === 'domains' ? 1 : c === 33 || c === 91 ? 1000 : 2;
      sampled++;
    }
  });
  let best: ListFormat = 'domains';
  for (const format of Object.keys(votes) as ListFormat[]) if (votes[format] > votes[best]) best = format;
  return best;
}

function classifyLine(text: string, start: number, end: number): ListFormat | null {
  const c = text.charCodeAt(start);
  if (c === 33 /* ! */ || c === 91 /* [ */) return 'adblock';
  if (c === 59 /* ; */) return 'rpz';
  // `$ORIGIN`, `$TTL`, `$INCLUDE` are zone-file directives; `$dnstype=AAAA` is an adblock rule with no
  // name pattern (it applies to every name).
  if (c === 36 /* $ */)
    return /^\$[a-z]+(\s|$)/i.test(text.slice(start, Math.min(end, start + 12))) ? 'rpz' : 'adblock';
  if (c === 35 /* # */) return text.charCodeAt(start + 1) === 35 ? 'adblock' : null;
  if (c === 124 /* | */ || (c === 64 && text.charCodeAt(start + 1) === 64)) return 'adblock';
  if (
    startsWithAt(text, start, 'address=/') ||
    startsWithAt(text, start, 'server=/') ||
    startsWithAt(text, start, 'local=/')
  ) {
    return 'dnsmasq';
  }
  if (
    startsWithAt(text, start, 'local-zone:') ||
    startsWithAt(text, start, 'local-data:') ||
    startsWithAt(text, start, 'server:')
  ) {
    return 'unbound';
  }
  const firstEnd = tokenEnd(text, start, end);
  if (firstEnd < end && looksLikeAddress(text, start, firstEnd)) return 'hosts';
  if (c === 42 /* * */ && text.charCodeAt(start + 1) === 46) {
    return containsWord(text, firstEnd, end, 'cname') ? 'rpz' : 'wildcard';
  }
  if (containsWord(text, firstEnd, end, 'cname')) return 'rpz';
  for (let i = start; i < end; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 94 /* ^ */ || ch === 36 /* $ */) return 'adblock';
  }
  return 'domains';
}

function containsWord(text: string, start: number, end: number, word: string): boolean {
  for (let i = start; i + word.length <= end; i++) if (startsWithAt(text, i, word)) return true;
  return false;
}
