/**
 * Adblock / AdGuard DNS filter syntax.
 *   `||d^`   d and its subdomains            `|d^`, `|d|`, plain `d`   d exactly
 *   `@@…`    exception (un-blocks)           `*`, unanchored patterns  glob over the name (slow rule)
 *   `/re/`   regular expression (slow rule)  `$important`, `$badfilter`, `$dnstype=`, `$client=`, `$denyallow=`
 * hosts lines (`0.0.0.0 d`) are accepted too, as AdGuard Home does. `!` and `#` lines are comments;
 * cosmetic rules (`##`, `#@#`, `#$#` …) are skipped and counted as ignored, and so is a rule with a
 * modifier this engine does not implement (the AdGuard syntax says such a rule must not apply).
 * The common shapes (`||d^`, `@@||d^`, `||d^$important`) go straight into the compact tables.
 */
import { toAsciiHostName } from '../host-name.js';
import type { RuleCollector } from '../rule-collector.js';
import { RuleFlag } from '../rule-flags.js';
import { findChar, forEachLine, isBlank } from '../text-scan.js';
import { parseModifiers } from './adblock-modifiers.js';
import type { ParsedModifiers } from './adblock-modifiers.js';
import { looksLikeAddress, parseHostsLine } from './hosts.js';
import { escapeRegExpChar, newSlowRule } from './slow-rule-builder.js';
import type { SlowPattern } from '../slow-rule.js';

export function parseAdblock(text: string, out: RuleCollector): void {
  out.lines = forEachLine(text, (start, end, line) => parseAdblockLine(text, start, end, line, out));
}

function parseAdblockLine(text: string, start: number, end: number, line: number, out: RuleCollector): void {
  if (start === end) return;
  const first = text.charCodeAt(start);
  if (first === 33 /* ! */ || first === 91 /* [ */) return;
  if (first !== 47 /* / */ && isCosmetic(text, start, end)) {
    out.addIgnored(text, start, end, line, 'cosmetic rule (not a DNS rule)');
    return;
  }
  if (first === 35 /* # */) return;
  if (isHostsLine(text, start, end)) {
    parseHostsLine(text, start, end, line, out, 0);
    return;
  }

  let pos = start;
  let flags = 0;
  if (first === 64 && text.charCodeAt(start + 1) === 64) {
    flags |= RuleFlag.exception;
    pos += 2;
  }
  // Where the modifiers start: after a regex's closing slash, else at the first '$'.
  let dollar: number;
  if (text.charCodeAt(pos) === 47) {
    const closing = text.lastIndexOf('/', end - 1);
    dollar = closing > pos ? findChar(text, 36, closing, end) : -1;
  } else dollar = findChar(text, 36, pos, end);
  const patternEnd = dollar === -1 ? end : dollar;

  let modifiers: ParsedModifiers | null = null;
  if (dollar !== -1) {
    const result = parseModifiers(text.slice(dollar + 1, end));
    if (!result.ok) {
      if (result.ignored) out.addIgnored(text, start, end, line, result.reason);
      else out.addInvalid(text, start, end, line, result.reason);
      return;
    }
    modifiers = result.modifiers;
    if (modifiers.important) flags |= RuleFlag.important;
  }
  const onlyFlagModifiers =
    modifiers === null ||
    (modifiers.dnsTypes === null &&
      modifiers.dnsTypesExcluded === null &&
      modifiers.clients === null &&
      modifiers.denyAllow === null);

  // Fast shapes: ||d^ (subdomains), |d^ / |d| / d (exact).
  const shape = domainShape(text, pos, patternEnd);
  if (shape !== null && onlyFlagModifiers) {
    const ruleFlags = flags | (shape.subdomain ? RuleFlag.subdomain : 0);
    if (!out.scanDomain(text, shape.start, shape.end)) {
      out.addInvalid(text, start, end, line, out.lastError);
      return;
    }
    if (modifiers?.badfilter) out.badFilters.push({ hi: out.pendingHi, lo: out.pendingLo, flags: ruleFlags });
    else out.commit(line, ruleFlags);
    return;
  }

  // Slow rules: regex, wildcard or unanchored patterns, or domain rules with restricting modifiers.
  const patternText = text.slice(pos, patternEnd).toLowerCase();
  const exceptionPrefix = flags & RuleFlag.exception ? '@@' : '';
  const key =
    exceptionPrefix + patternText + (modifiers && modifiers.canonical ? '$' + modifiers.canonical : '');
  if (modifiers?.badfilter) {
    out.badFilterKeys.push(key);
    return;
  }
  let pattern: SlowPattern = 'regex';
  let domain = '';
  let regex: RegExp | null = null;
  if (shape !== null) {
    if (!out.scanDomain(text, shape.start, shape.end)) {
      out.addInvalid(text, start, end, line, out.lastError);
      return;
    }
    pattern = shape.subdomain ? 'subdomain' : 'exact';
    // scanDomain accepted it, so this is the same name in the form the slow rules compare.
    domain = toAsciiHostName(text.slice(shape.start, shape.end));
  } else if (patternText.length > 1 && patternText.startsWith('/') && patternText.endsWith('/')) {
    try {
      regex = new RegExp(text.slice(pos + 1, patternEnd - 1), 'i');
    } catch (error) {
      out.addInvalid(text, start, end, line, `bad regular expression: ${(error as Error).message}`);
      return;
    }
  } else {
    const bad = firstNonHostPatternChar(patternText);
    if (bad !== '') {
      out.addIgnored(text, start, end, line, `"${bad}" in the pattern: a URL rule, not a DNS rule`);
      return;
    }
    if (/^[|*^]*$/.test(patternText) && onlyFlagModifiers) {
      out.addInvalid(text, start, end, line, 'rule would match every name');
      return;
    }
    regex = adblockPatternToRegExp(patternText);
  }
  const rule = newSlowRule(line, flags, pattern, domain, regex, key);
  if (modifiers !== null) {
    rule.dnsTypes = modifiers.dnsTypes;
    rule.dnsTypesExcluded = modifiers.dnsTypesExcluded;
    rule.clients = modifiers.clients;
    rule.denyAllow = modifiers.denyAllow;
  }
  out.slowRules.push(rule);
}

/** `||d^`, `||d^|`, `|d^`, `|d|`, `|d^|` or a bare `d` made of host-name characters only. */
function domainShape(
  text: string,
  start: number,
  end: number,
): { start: number; end: number; subdomain: boolean } | null {
  let subdomain = false;
  let s = start;
  let e = end;
  let anchoredStart = false;
  if (text.charCodeAt(s) === 124) {
    anchoredStart = true;
    if (text.charCodeAt(s + 1) === 124) {
      subdomain = true;
      s += 2;
    } else s += 1;
  }
  let anchoredEnd = false;
  if (e > s && text.charCodeAt(e - 1) === 124) {
    e--;
    anchoredEnd = true;
  }
  if (e > s && text.charCodeAt(e - 1) === 94) {
    e--;
    anchoredEnd = true;
  }
  // `||d` without `^` also matches longer names (d.example…): not a plain domain rule.
  if (anchoredStart !== anchoredEnd) return null;
  if (e <= s) return null;
  for (let i = s; i < e; i++) {
    const c = text.charCodeAt(i);
    const hostChar =
      (c >= 97 && c <= 122) ||
      (c >= 65 && c <= 90) ||
      (c >= 48 && c <= 57) ||
      c === 45 ||
      c === 46 ||
      c === 95 ||
      c > 127;
    if (!hostChar) return null;
  }
  return { start: s, end: e, subdomain };
}

function isHostsLine(text: string, start: number, end: number): boolean {
  const c = text.charCodeAt(start);
  if (!((c >= 48 && c <= 57) || c === 58)) return false;
  let blank = start;
  while (blank < end && !isBlank(text.charCodeAt(blank))) blank++;
  return blank < end && looksLikeAddress(text, start, blank);
}

/** `##`, `#@#`, `#?#`, `#$#`, `#%#`, `#@$#`, `#@%#`, `#@?#`, `$$`, `$@$` anywhere in the line. */
function isCosmetic(text: string, start: number, end: number): boolean {
  for (let i = start; i < end - 1; i++) {
    const c = text.charCodeAt(i);
    const n = text.charCodeAt(i + 1);
    if (c === 35) {
      if (n === 35) return true;
      if (n === 64 || n === 63 || n === 36 || n === 37) {
        const n2 = text.charCodeAt(i + 2);
        if (n2 === 35) return true;
        if (n === 64 && (n2 === 36 || n2 === 37 || n2 === 63) && text.charCodeAt(i + 3) === 35) return true;
      }
    } else if (c === 36 && (n === 36 || (n === 64 && text.charCodeAt(i + 2) === 36))) return true;
  }
  return false;
}

function firstNonHostPatternChar(pattern: string): string {
  for (const ch of pattern) {
    if (!/[a-z0-9._\-*|^]/.test(ch) && ch.charCodeAt(0) <= 127) return ch;
  }
  return '';
}

/** Adblock pattern → RegExp over a host name: `||` label start, `|` name edge, `*` anything, `^` separator/end. */
export function adblockPatternToRegExp(pattern: string): RegExp {
  let source = '';
  let i = 0;
  let stop = pattern.length;
  if (pattern.startsWith('||')) {
    source = '(?:^|\\.)';
    i = 2;
  } else if (pattern.startsWith('|')) {
    source = '^';
    i = 1;
  }
  let anchorEnd = false;
  if (stop > i && pattern.endsWith('|')) {
    anchorEnd = true;
    stop--;
  }
  for (; i < stop; i++) {
    const ch = pattern[i]!;
    if (ch === '*') source += '.*';
    else if (ch === '^') source += '(?:[^a-z0-9_.%-]|$)';
    else source += escapeRegExpChar(ch);
  }
  if (anchorEnd) source += '$';
  return new RegExp(source);
}
