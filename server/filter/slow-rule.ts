/**
 * Rules that cannot live in the hashed tables: adblock patterns with `*` or a URL shape, `/regex/`,
 * unanchored patterns, any rule carrying a modifier other than `$important` (`$dnstype`, `$client`,
 * `$denyallow`, `$dnsrewrite`), and hosts lines that give a name a real address. They are few in real
 * lists and are checked one by one after the hashed lookup (exact-name ones through a Map).
 *
 * A SlowRule is plain data (it may cross a worker boundary by structured clone): patterns are kept as
 * text and compiled by the matcher (`compiledPattern`).
 */
import { AdblockPattern, compileNameRegex, type NameMatcher } from './name-pattern.js';
import type { Rewrite } from './rewrite.js';

/** 'glob': an adblock pattern matched against `http://<name>/`; 'regex': a `/regex/` (RE2). */
export type SlowPattern = 'exact' | 'subdomain' | 'regex' | 'glob';

/** One `$client=` value: an address, a CIDR range or a device name, possibly negated with `~`. */
export interface ClientSpec {
  negated: boolean;
  /** As written, unquoted and unescaped (a name keeps its letter case). */
  value: string;
  /** 16-byte address (IPv4 as IPv4-mapped IPv6) for addresses and ranges; null for names. */
  address: Uint8Array | null;
  /** Prefix length over the 16 bytes (128 for a single address). */
  bits: number;
}

export interface SlowRule {
  /** 1-based line number in the list text. */
  line: number;
  /** RuleFlag bits (exception, important); `subdomain` is implied by `pattern`. */
  flags: number;
  pattern: SlowPattern;
  /** The domain for 'exact' / 'subdomain' patterns ('' otherwise). */
  domain: string;
  /** The regex body ('regex') or adblock pattern ('glob'); '' otherwise. */
  source: string;
  /** `$dnstype=` restriction: qtypes the rule applies to (null = any). */
  dnsTypes: number[] | null;
  /** `$dnstype=~X`: qtypes the rule does not apply to (null = none excluded). */
  dnsTypesExcluded: number[] | null;
  /** `$client=` restriction (null = every client). */
  clients: ClientSpec[] | null;
  /** `$denyallow=`: names (and their subdomains) the rule never applies to. */
  denyAllow: string[] | null;
  /** `$dnsrewrite` (or a hosts line with a real address): the answer it gives; null for block/allow. */
  rewrite: Rewrite | null;
  /** Canonical text (pattern + sorted modifiers) used to match `$badfilter` rules. */
  key: string;
}

/** A compiled pattern per slow rule, built once by the matcher. */
export function compilePattern(rule: SlowRule): NameMatcher | null {
  if (rule.pattern === 'regex') return compileNameRegex(rule.source);
  if (rule.pattern === 'glob') return new AdblockPattern(rule.source);
  return null;
}

/** Does the pattern part of a slow rule match `name` (lower case, no trailing dot)? No allocation. */
export function slowPatternMatches(rule: SlowRule, compiled: NameMatcher | null, name: string): boolean {
  switch (rule.pattern) {
    case 'exact':
      return name === rule.domain;
    case 'subdomain':
      return isSameOrSubdomain(name, rule.domain);
    default:
      return compiled !== null && compiled.test(name);
  }
}

/** True when `name` equals `domain` or ends with `.domain`. */
export function isSameOrSubdomain(name: string, domain: string): boolean {
  const d = name.length - domain.length;
  if (d === 0) return name === domain;
  return d > 0 && name.charCodeAt(d - 1) === 46 && name.endsWith(domain);
}

/** Does the qtype pass the rule's `$dnstype` restriction? */
export function dnsTypeAllows(rule: SlowRule, qtype: number): boolean {
  if (rule.dnsTypes !== null && !rule.dnsTypes.includes(qtype)) return false;
  if (rule.dnsTypesExcluded !== null && rule.dnsTypesExcluded.includes(qtype)) return false;
  return true;
}

/** Is `name` exempted by the rule's `$denyallow` domains? */
export function denyAllowExempts(rule: SlowRule, name: string): boolean {
  const list = rule.denyAllow;
  if (list === null) return false;
  for (let i = 0; i < list.length; i++) if (isSameOrSubdomain(name, list[i]!)) return true;
  return false;
}
