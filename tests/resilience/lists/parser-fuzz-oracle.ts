/**
 * What must hold for any list text, checked independently of the parsers' own code: every rule points
 * at a real line and is the hash of a valid lower-case domain written on that line; every reported line
 * carries its number and its text; no line vanishes without a rule, a report, or being a comment.
 */
import { domainToASCII } from 'node:url';
import { hashDomain } from '../../../server/filter/domain-hash.js';
import type { ListFormat, ParsedList } from '../../../server/filter/parse.js';
import { FLAG_BITS, FLAG_MASK } from '../../../server/filter/rule-flags.js';

/** A host name as the matcher stores it: lower-case ASCII labels of 1–63, at most 253 in all. */
const VALID_DOMAIN = /^(?=.{1,253}$)[a-z0-9_-]{1,63}(\.[a-z0-9_-]{1,63})*$/;

export function isValidDomain(name: string): boolean {
  return VALID_DOMAIN.test(name);
}

export function hashKey(domain: string): string {
  const out = { hi: 0, lo: 0 };
  hashDomain(domain, out);
  return `${out.hi}:${out.lo}`;
}

/** The lines as the parsers see them: split on LF, BOM dropped, blanks and a trailing CR trimmed. */
export function linesOf(text: string): string[] {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body === '') return [];
  const raw = body.split('\n');
  if (body.endsWith('\n')) raw.pop();
  return raw.map((line) => line.replace(/^[ \t\v\f]+/, '').replace(/[ \t\v\f\r]+$/, ''));
}

/**
 * Hash keys of every valid domain that could be read off a line: each run of host-name characters
 * (and non-ASCII, for IDN), cut at any dot on either side (wildcards, RPZ origins, `||`…`^`), as the
 * parsers normalise it (lower case, IDN to punycode).
 */
function candidateKeys(line: string): Set<string> {
  const keys = new Set<string>();
  for (const match of line.matchAll(/[A-Za-z0-9_.-]*(?:[\u0080-\uffff][A-Za-z0-9_.-]*)*/g)) {
    const run = match[0];
    if (run === '' || run.length > 2000) continue;
    const starts = [0];
    const ends = [run.length];
    for (let i = 0; i < run.length; i++) {
      if (run[i] === '.') {
        starts.push(i + 1);
        ends.push(i);
      }
    }
    for (const s of starts) {
      for (const e of ends) {
        if (e <= s) continue;
        const lower = run.slice(s, e).toLowerCase();
        const ascii = /[\u0080-\uffff]/.test(lower) ? domainToASCII(lower) : lower;
        if (isValidDomain(ascii)) keys.add(hashKey(ascii));
      }
    }
  }
  return keys;
}

/** Lines each format skips on purpose without a report (comments, headers, directives). */
function silentlySkipped(format: ListFormat, line: string): boolean {
  if (line === '' || line.startsWith('#')) return true;
  switch (format) {
    case 'adblock':
      return line.startsWith('!') || line.startsWith('[') || /\$.*badfilter/i.test(line) || hostsHeader(line);
    // Hosts and domain lists read an adblock-shaped line as adblock (lists mix syntaxes): a `$badfilter`
    // rule takes effect by removing another rule, not as one of its own.
    case 'hosts':
      return hostsHeader(line) || /\$.*badfilter/i.test(line);
    case 'domains':
      return /\$.*badfilter/i.test(line);
    case 'unbound':
      return line.toLowerCase() === 'server:';
    default:
      return false;
  }
}

/** `<address> localhost …`: a hosts line naming only the machine itself. */
function hostsHeader(line: string): boolean {
  const names = line
    .split('#')[0]!
    .trim()
    .split(/[ \t\v\f]+/)
    .slice(1);
  return (
    names.length > 0 &&
    names.every((n) => /^(localhost|localhost\.localdomain|local|broadcasthost|ip6-.*|0\.0\.0\.0)$/i.test(n))
  );
}

/**
 * Problems with one parse result; [] when every invariant holds. `complete` also asks that every line
 * is accounted for (off for RPZ, whose multi-line records make a line's fate depend on earlier lines).
 */
export function checkParsed(
  text: string,
  format: ListFormat,
  parsed: ParsedList,
  complete: boolean,
): string[] {
  const problems: string[] = [];
  const lines = linesOf(text);
  if (parsed.lines !== lines.length) problems.push(`lines ${parsed.lines}, expected ${lines.length}`);
  const accounted = new Set<number>();
  const inRange = (line: number): boolean => Number.isInteger(line) && line >= 1 && line <= lines.length;

  for (let i = 0; i < parsed.domainCount; i++) {
    const meta = parsed.meta[i]!;
    const line = meta >>> FLAG_BITS;
    if (!inRange(line)) {
      problems.push(`rule ${i} on line ${line}, outside 1..${lines.length}`);
      continue;
    }
    accounted.add(line);
    const key = `${parsed.hashHi[i]}:${parsed.hashLo[i]}`;
    if (!candidateKeys(lines[line - 1]!).has(key)) {
      problems.push(
        `rule ${i} (flags ${meta & FLAG_MASK}) is no valid domain of line ${line}: ${lines[line - 1]}`,
      );
    }
  }
  for (const rule of parsed.slowRules) {
    if (!inRange(rule.line)) problems.push(`slow rule on line ${rule.line}, outside 1..${lines.length}`);
    accounted.add(rule.line);
    if (rule.pattern === 'regex' || rule.pattern === 'glob') {
      if (rule.source === '' && rule.pattern === 'regex')
        problems.push(`regex rule on line ${rule.line} has no source`);
    } else if (!isValidDomain(rule.domain)) {
      problems.push(`slow ${rule.pattern} rule on line ${rule.line}: "${rule.domain}" is not a valid domain`);
    }
    for (const d of rule.denyAllow ?? []) {
      if (!isValidDomain(d)) problems.push(`$denyallow "${d}" on line ${rule.line} is not a valid domain`);
    }
  }
  for (const [kind, reports, count] of [
    ['invalid', parsed.invalid, parsed.invalidCount],
    ['ignored', parsed.ignored, parsed.ignoredCount],
  ] as const) {
    if (count < reports.length || (count <= 100 && count !== reports.length)) {
      problems.push(`${kind}: count ${count} but ${reports.length} reported`);
    }
    for (const report of reports) {
      if (!inRange(report.line)) {
        problems.push(`${kind} report on line ${report.line}, outside 1..${lines.length}`);
        continue;
      }
      accounted.add(report.line);
      // The whole line, or the field of it at fault (one bad name among several), cut at 200.
      if (!lines[report.line - 1]!.includes(report.text) || report.text.length > 200) {
        problems.push(`${kind} line ${report.line} reported as ${JSON.stringify(report.text)}`);
      }
      if (typeof report.reason !== 'string' || report.reason === '') {
        problems.push(`${kind} line ${report.line} has no reason`);
      }
    }
  }
  if (complete && parsed.invalidCount <= 100 && parsed.ignoredCount <= 100) {
    lines.forEach((line, index) => {
      if (!accounted.has(index + 1) && !silentlySkipped(format, line)) {
        problems.push(`line ${index + 1} vanished without a rule or a report: ${JSON.stringify(line)}`);
      }
    });
  }
  return problems;
}
