/**
 * Rules that cannot live in the hashed tables: adblock patterns with `*`, `/regex/`, unanchored
 * patterns, and any rule carrying a modifier other than `$important` (`$dnstype`, `$client`,
 * `$denyallow`). They are few in real lists and are checked one by one after the hashed lookup.
 */

export type SlowPattern = 'exact' | 'subdomain' | 'regex';

/** One `$client=` value: an address, a CIDR range or a device name, possibly negated with `~`. */
export interface ClientSpec {
  negated: boolean;
  value: string;
}

export interface SlowRule {
  /** 1-based line number in the list text. */
  line: number;
  /** RuleFlag bits (exception, important); `subdomain` is implied by `pattern`. */
  flags: number;
  pattern: SlowPattern;
  /** The domain for 'exact' / 'subdomain' patterns ('' for regex). */
  domain: string;
  regex: RegExp | null;
  /** `$dnstype=` restriction: qtypes the rule applies to (null = any). */
  dnsTypes: number[] | null;
  /** `$dnstype=~X`: qtypes the rule does not apply to (null = none excluded). */
  dnsTypesExcluded: number[] | null;
  /** `$client=` restriction (null = every client). */
  clients: ClientSpec[] | null;
  /** `$denyallow=`: names (and their subdomains) the rule never applies to. */
  denyAllow: string[] | null;
  /** Canonical text (pattern + sorted modifiers) used to match `$badfilter` rules. */
  key: string;
}

/** Does the pattern part of a slow rule match `name` (lower case, no trailing dot)? No allocation. */
export function slowPatternMatches(rule: SlowRule, name: string): boolean {
  switch (rule.pattern) {
    case 'exact':
      return name === rule.domain;
    case 'subdomain':
      return isSameOrSubdomain(name, rule.domain);
    case 'regex':
      return rule.regex !== null && rule.regex.test(name);
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
