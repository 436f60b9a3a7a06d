/**
 * Adblock / AdGuard DNS filter syntax.
 *   `||d^`   d and its subdomains            `|d^`, `|d|`, plain `d`   d exactly
 *   `@@…`    exception (un-blocks)           `*`, unanchored patterns  glob over the name (slow rule)
 *   `/re/`   regular expression (RE2)        `$important`, `$badfilter`, `$dnstype=`, `$client=`, `$denyallow=`
 *   `||d/*`, `://d`, `/sub.`  URL-shaped patterns, matched against `http://<name>/` as urlfilter does
 *   `$dnsrewrite=…`  answers with records (see rewrite.ts)
 * hosts lines (`0.0.0.0 d`, `192.168.1.2 nas`) are accepted too, as AdGuard Home does. `!` and `#` lines are comments;
 * cosmetic rules (`##`, `#@#`, `#$#` …) are skipped and counted as ignored, and so is a rule with a
 * modifier this engine does not implement (the AdGuard syntax says such a rule must not apply).
 * The common shapes (`||d^`, `@@||d^`, `||d^$important`) go straight into the compact tables.
 */
import { toAsciiHostName } from '../host-name.js';
import type { RuleCollector } from '../rule-collector.js';
import { RuleFlag } from '../rule-flags.js';
import { findChar, forEachLine, isBlank, stripHashComment } from '../text-scan.js';
import { parseModifiers } from './adblock-modifiers.js';
import type { ParsedModifiers } from './adblock-modifiers.js';
import { looksLikeAddress, parseHostsLine } from './hosts.js';
import { newSlowRule } from './slow-rule-builder.js';
import { adblockPatternProblem, regexProblem } from '../name-pattern.js';
import { makeRewrite } from '../rewrite.js';
import type { SlowPattern } from '../slow-rule.js';

export function parseAdblock(text: string, out: RuleCollector): void {
  out.lines = forEachLine(text, (start, end, line) => parseAdblockLine(text, start, end, line, out));
}

export function parseAdblockLine(
  text: string,
  start: number,
  end: number,
  line: number,
  out: RuleCollector,
): void {
  if (start === end) return;
  const first = text.charCodeAt(start);
  if (first === 33 /* ! */ || first === 91 /* [ */) return;
  if (first !== 47 /* / */ && isCosmetic(text, start, end)) {
    out.addIgnored(text, start, end, line, 'cosmetic rule (not a DNS rule)');
    return;
  }
  if (first === 35 /* # */) return;
  // `rule # comment`: a `#` after a blank starts a comment (cosmetic `##` was handled above).
  if (findChar(text, 35, start, end) !== -1) end = stripHashComment(text, start, end);
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
    dollar = findChar(text, 36, closing > pos ? closing : pos, end);
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
      modifiers.denyAllow === null &&
      !modifiers.hasRewrite);
  if (modifiers?.hasRewrite && modifiers.rewrite === null && (flags & RuleFlag.exception) === 0) {
    out.addInvalid(
      text,
      start,
      end,
      line,
      '$dnsrewrite needs a value (only an @@ exception may leave it empty)',
    );
    return;
  }

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

  // Slow rules: regex, wildcard, URL-shaped or unanchored patterns, or rules with restricting modifiers.
  const patternText = text.slice(pos, patternEnd).toLowerCase();
  const exceptionPrefix = flags & RuleFlag.exception ? '@@' : '';
  const canonicalPattern = shape !== null ? canonicalShape(patternText, shape.subdomain) : patternText;
  const key =
    exceptionPrefix + canonicalPattern + (modifiers && modifiers.canonical ? '$' + modifiers.canonical : '');
  if (shape === null && onlyFlagModifiers && /^[|*^]*$/.test(patternText)) {
    out.addInvalid(text, start, end, line, 'rule would match every name');
    return;
  }
  if (modifiers?.badfilter) {
    out.badFilterKeys.push(key);
    return;
  }
  let pattern: SlowPattern = 'glob';
  let domain = '';
  let source = '';
  if (shape !== null) {
    if (!out.scanDomain(text, shape.start, shape.end)) {
      out.addInvalid(text, start, end, line, out.lastError);
      return;
    }
    pattern = shape.subdomain ? 'subdomain' : 'exact';
    // scanDomain accepted it, so this is the same name in the form the slow rules compare.
    domain = toAsciiHostName(text.slice(shape.start, shape.end));
  } else if (patternText.length > 1 && patternText.startsWith('/') && patternText.endsWith('/')) {
    source = text.slice(pos + 1, patternEnd - 1);
    const problem = regexProblem(source);
    if (problem !== '') {
      out.addInvalid(text, start, end, line, `bad regular expression: ${problem}`);
      return;
    }
    pattern = 'regex';
  } else {
    const { problem, tooWide } = adblockPatternProblem(patternText);
    if (problem !== '') {
      out.addIgnored(text, start, end, line, problem);
      return;
    }
    if (tooWide && onlyFlagModifiers) {
      out.addInvalid(text, start, end, line, 'rule would match every name');
      return;
    }
    if (tooWide && /[/:]/.test(patternText)) {
      out.addInvalid(text, start, end, line, 'no name in the pattern');
      return;
    }
    source = patternText;
  }
  const rule = newSlowRule(line, flags, pattern, domain, source, key);
  if (modifiers !== null) {
    rule.dnsTypes = modifiers.dnsTypes;
    rule.dnsTypesExcluded = modifiers.dnsTypesExcluded;
    rule.clients = modifiers.clients;
    rule.denyAllow = modifiers.denyAllow;
    if (modifiers.hasRewrite) rule.rewrite = modifiers.rewrite ?? ALL_REWRITES;
  }
  out.slowRules.push(rule);
}

/** The rewrite an `@@…$dnsrewrite` exception with no value names: every rewrite of the name. */
const ALL_REWRITES = makeRewrite(0, 0, '*');

/** `||d^` and `||d^|` are one rule for `$badfilter`; so are `|d^`, `|d|` and `d`. */
function canonicalShape(pattern: string, subdomain: boolean): string {
  const name = pattern
    .replace(/^\|\|?/, '')
    .replace(/\|$/, '')
    .replace(/\^$/, '');
  return subdomain ? `||${name}^` : `|${name}^`;
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
