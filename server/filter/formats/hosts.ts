/**
 * hosts format: `<address> <name> [<name> …]`, e.g. `0.0.0.0 ads.example.com`. The address may be any
 * IPv4 or IPv6 address (with a zone, `fe80::1%lo0`); every name on the line is an exact-match rule. The
 * usual header names (localhost, broadcasthost, local, ip6-*) are skipped: they are the machine's own.
 */
import type { RuleCollector } from '../rule-collector.js';
import { equalsAt, forEachLine, skipBlanks, startsWithAt, tokenEnd } from '../text-scan.js';

export function parseHosts(text: string, out: RuleCollector): void {
  out.lines = forEachLine(text, (start, end, line) => parseHostsLine(text, start, end, line, out, 0));
}

/** One hosts line (also used by the adblock parser, which accepts hosts lines). */
export function parseHostsLine(
  text: string,
  start: number,
  end: number,
  line: number,
  out: RuleCollector,
  flags: number,
): void {
  if (start === end || text.charCodeAt(start) === 35) return;
  const addressEnd = tokenEnd(text, start, end);
  if (!looksLikeAddress(text, start, addressEnd)) {
    out.addInvalid(text, start, end, line, 'expected an IP address before the host names');
    return;
  }
  let pos = skipBlanks(text, addressEnd, end);
  if (pos === end || text.charCodeAt(pos) === 35) {
    out.addInvalid(text, start, end, line, 'no host name after the address');
    return;
  }
  // Tokens up to an inline `#` comment (a `#` starting a token), without a separate comment pass.
  while (pos < end && text.charCodeAt(pos) !== 35) {
    const nameEnd = tokenEnd(text, pos, end);
    if (!isHeaderName(text, pos, nameEnd)) out.addDomain(text, pos, nameEnd, line, flags);
    pos = skipBlanks(text, nameEnd, end);
  }
}

/**
 * A cheap shape check for an IPv4/IPv6 address (digits, hex, dots, colons, a `%zone`): enough to tell
 * a hosts line from a plain domain, without parsing the address (it is never used).
 */
export function looksLikeAddress(text: string, start: number, end: number): boolean {
  if (end - start < 2) return false;
  let dots = 0;
  let colons = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) dots++;
    else if (c === 58) colons++;
    else if (c === 37)
      return colons > 0 && i > start; // zone id follows: accept the rest
    else if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70))) return false;
  }
  return colons >= 2 || (dots === 3 && colons === 0 && isDigitsAndDots(text, start, end));
}

function isDigitsAndDots(text: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c !== 46 && (c < 48 || c > 57)) return false;
  }
  return true;
}

const HEADER_NAMES = [
  'localhost',
  'localhost.localdomain',
  'local',
  'broadcasthost',
  'ip6-localhost',
  'ip6-loopback',
  '0.0.0.0',
];

/** The names a hosts file lists for the machine itself, never rules. */
export function isHeaderName(text: string, start: number, end: number): boolean {
  if (startsWithAt(text, start, 'ip6-')) return true;
  for (let i = 0; i < HEADER_NAMES.length; i++) if (equalsAt(text, start, end, HEADER_NAMES[i]!)) return true;
  return false;
}
