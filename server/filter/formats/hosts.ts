/**
 * hosts format: `<address> <name> [<name> …]`, e.g. `0.0.0.0 ads.example.com`. Every name on the line
 * is an exact-match rule. The usual header names (localhost, broadcasthost, local, ip6-*) are skipped:
 * they are the machine's own.
 * The address says what the rule does, as in AdGuard Home: 0.0.0.0, 127.0.0.1, :: and ::1 block; any
 * other address (`192.168.1.10 nas.home`, `fe80::1%lo0 printer`) answers with that address, a local
 * record (a rewrite of lower rank than list block and exception rules).
 * A whole hosts list, which may mix in other formats' lines, is read by hosts-list.ts.
 */
import { addressBytes } from '../client-match.js';
import { toAsciiHostName } from '../host-name.js';
import type { RuleCollector } from '../rule-collector.js';
import { RuleFlag } from '../rule-flags.js';
import { makeRewrite } from '../rewrite.js';
import { QType, Rcode } from '../../dns-codec/constants.js';
import { equalsAt, skipBlanks, startsWithAt, tokenEnd } from '../text-scan.js';
import { newSlowRule } from './slow-rule-builder.js';

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
  const target = isBlockingAddress(text, start, addressEnd) ? null : recordAddress(text, start, addressEnd);
  if (target === '') {
    out.addInvalid(text, start, end, line, 'expected an IP address before the host names');
    return;
  }
  // Tokens up to an inline `#` comment (a `#` starting a token), without a separate comment pass.
  while (pos < end && text.charCodeAt(pos) !== 35) {
    const nameEnd = tokenEnd(text, pos, end);
    if (!isHeaderName(text, pos, nameEnd)) {
      if (target === null) out.addDomain(text, pos, nameEnd, line, flags);
      else addRecord(text, pos, nameEnd, line, target, out);
    }
    pos = skipBlanks(text, nameEnd, end);
  }
}

/** The common blocking addresses, checked without parsing; `::`, `::1` and other spellings below. */
function isBlockingAddress(text: string, start: number, end: number): boolean {
  return equalsAt(text, start, end, '0.0.0.0') || equalsAt(text, start, end, '127.0.0.1');
}

const BLOCKING = ['0.0.0.0', '127.0.0.1', '::', '::1'].map((a) => addressBytes(a)!);

/** null: a blocking address; '' not an address; else the address to answer with (no zone). */
function recordAddress(text: string, start: number, end: number): string | null {
  const raw = text.slice(start, end);
  const bytes = addressBytes(raw);
  if (bytes === null) return '';
  if (BLOCKING.some((b) => b.every((v, i) => v === bytes[i]))) return null;
  const zone = raw.indexOf('%');
  return (zone === -1 ? raw : raw.slice(0, zone)).toLowerCase();
}

/** `192.168.1.10 nas.home`: the name answers with the address (A or AAAA). */
function addRecord(
  text: string,
  start: number,
  end: number,
  line: number,
  address: string,
  out: RuleCollector,
): void {
  if (!out.scanDomain(text, start, end)) {
    out.addInvalid(text, start, end, line, out.lastError);
    return;
  }
  const name = toAsciiHostName(text.slice(start, end));
  const v4 = address.includes('.') && !address.includes(':');
  const rule = newSlowRule(line, RuleFlag.hostsRecord, 'exact', name, '', `${address} ${name}`);
  rule.rewrite = makeRewrite(Rcode.NOERROR, v4 ? QType.A : QType.AAAA, address);
  out.slowRules.push(rule);
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
