/**
 * The user's own allow/deny rules (exact, subdomain, regex; global, per device or per group; optionally
 * timed), compiled into a small hash table keyed like the list matcher so a lookup walks the name's
 * suffixes once without allocating. Expired rules simply stop matching (no timer needed).
 */
import { domainToASCII } from 'node:url';
import { HASH1_SEED, HASH2_SEED, bucketOf, hashDomain } from './domain-hash.js';
import { compileNameRegex, regexProblem } from './name-pattern.js';
import type { NameMatcher } from './name-pattern.js';

export const RULE_ACTIONS = ['allow', 'deny'] as const;
export const RULE_MATCHES = ['exact', 'subdomain', 'regex'] as const;

/** A user rule as the policy takes it; stored rules add a comment and a creation time (RuleRow). */
export interface UserRule {
  id: number;
  action: (typeof RULE_ACTIONS)[number];
  match: (typeof RULE_MATCHES)[number];
  pattern: string;
  /** Only for this device (null: not device-scoped). */
  deviceId: number | null;
  /** Only for devices in this group (null: not group-scoped). With both null the rule is global. */
  groupId: number | null;
  /** Expiry time, ms since the epoch (null: never). */
  expiresAt: number | null;
}

export interface CompiledUserRule {
  rule: UserRule;
  /** Normalised domain for exact/subdomain rules. */
  domain: string;
  /** Regex rules run on RE2 (linear time): a rule can never stall DNS. */
  regex: NameMatcher | null;
}

/** Best allow and deny rule for one lookup (indexes into `rules`, -1: none). Reused by the caller. */
export interface UserRuleMatch {
  allow: number;
  deny: number;
}

export class UserRuleError extends Error {
  constructor(
    readonly ruleId: number,
    message: string,
  ) {
    super(`user rule ${ruleId}: ${message}`);
    this.name = 'UserRuleError';
  }
}

/** Checks one rule; returns what is wrong with it, or null. Use before storing a rule. */
export function validateUserRule(rule: UserRule): string | null {
  if (rule.action !== 'allow' && rule.action !== 'deny')
    return `action must be "allow" or "deny", got "${String(rule.action)}"`;
  if (rule.match === 'regex') {
    const problem = regexProblem(rule.pattern);
    return problem === '' ? null : `bad regular expression /${rule.pattern}/: ${problem}`;
  }
  if (rule.match !== 'exact' && rule.match !== 'subdomain') {
    return `match must be "exact", "subdomain" or "regex", got "${String(rule.match)}"`;
  }
  return normaliseRuleDomain(rule.pattern) === '' ? `"${rule.pattern}" is not a domain name` : null;
}

/** Lower case, no trailing dot, leading `*.` dropped, IDN as punycode; '' when not a host name. */
export function normaliseRuleDomain(pattern: string): string {
  let d = pattern.trim().toLowerCase();
  if (d.startsWith('*.')) d = d.slice(2);
  if (d.endsWith('.')) d = d.slice(0, -1);
  const ascii = domainToASCII(d);
  if (ascii === '' || !/^[a-z0-9_-]+(\.[a-z0-9_-]+)*$/.test(ascii) || ascii.length > 253) return '';
  return ascii;
}

const SEED1 = HASH1_SEED;
const SEED2 = HASH2_SEED;

export class UserRuleSet {
  readonly rules: CompiledUserRule[];
  private readonly slots: Int32Array;
  private readonly keyHi: Uint32Array;
  private readonly keyLo: Uint32Array;
  private readonly next: Int32Array;
  private readonly mask: number;
  private readonly regexRules: number[];
  readonly hasTimedRules: boolean;

  /** Compiles the rules; throws UserRuleError naming the first bad rule (nothing is half-applied). */
  constructor(rules: readonly UserRule[]) {
    const compiled: CompiledUserRule[] = [];
    for (const rule of rules) {
      const problem = validateUserRule(rule);
      if (problem !== null) throw new UserRuleError(rule.id, problem);
      compiled.push({
        rule,
        domain: rule.match === 'regex' ? '' : normaliseRuleDomain(rule.pattern),
        regex: rule.match === 'regex' ? compileNameRegex(rule.pattern) : null,
      });
    }
    this.rules = compiled;
    this.hasTimedRules = rules.some((r) => r.expiresAt !== null);
    let capacity = 16;
    while (capacity * 0.5 < compiled.length) capacity *= 2;
    this.mask = capacity - 1;
    this.slots = new Int32Array(capacity);
    this.keyHi = new Uint32Array(compiled.length);
    this.keyLo = new Uint32Array(compiled.length);
    this.next = new Int32Array(compiled.length);
    this.regexRules = [];
    const key = { hi: 0, lo: 0 };
    compiled.forEach((c, index) => {
      if (c.regex !== null) {
        this.regexRules.push(index);
        return;
      }
      hashDomain(c.domain, key);
      this.keyHi[index] = key.hi;
      this.keyLo[index] = key.lo;
      let i = bucketOf(key.hi, key.lo) & this.mask;
      while (true) {
        const head = this.slots[i]! - 1;
        if (head < 0 || (this.keyHi[head] === key.hi && this.keyLo[head] === key.lo)) {
          this.next[index] = head;
          this.slots[i] = index + 1;
          break;
        }
        i = (i + 1) & this.mask;
      }
    });
  }

  get size(): number {
    return this.rules.length;
  }

  /** Fills `out` with the most specific matching allow and deny rules that apply to the device. */
  match(
    name: string,
    deviceId: number,
    groups: readonly number[] | undefined,
    now: () => number,
    out: UserRuleMatch,
  ): void {
    out.allow = -1;
    out.deny = -1;
    if (this.rules.length === 0) return;
    let h1 = SEED1;
    let h2 = SEED2;
    for (let i = name.length - 1; i >= 0; i--) {
      let c = name.charCodeAt(i);
      if (c >= 65 && c <= 90) c |= 0x20;
      h1 = Math.imul(h1 ^ c, 0x01000193);
      h2 = Math.imul(h2 ^ c, 0x5bd1e995);
      h2 ^= h2 >>> 15;
      if (i !== 0 && name.charCodeAt(i - 1) !== 46) continue;
      const full = i === 0;
      for (let r = this.find(h1 >>> 0, h2 >>> 0); r >= 0; r = this.next[r]!) {
        const rule = this.rules[r]!.rule;
        if (!full && rule.match !== 'subdomain') continue;
        if (!ruleApplies(rule, deviceId, groups, now)) continue;
        if (rule.action === 'allow') out.allow = r;
        else out.deny = r;
      }
    }
    for (let k = 0; k < this.regexRules.length; k++) {
      const r = this.regexRules[k]!;
      const compiled = this.rules[r]!;
      const rule = compiled.rule;
      if ((rule.action === 'allow' ? out.allow : out.deny) >= 0) continue;
      if (!ruleApplies(rule, deviceId, groups, now) || !compiled.regex!.test(name)) continue;
      if (rule.action === 'allow') out.allow = r;
      else out.deny = r;
    }
  }

  /** Every rule whose pattern matches `name`, applicable or not (explain). */
  matching(name: string): CompiledUserRule[] {
    return this.rules.filter((c) => {
      if (c.regex !== null) return c.regex.test(name);
      if (c.rule.match === 'exact') return name === c.domain;
      return name === c.domain || name.endsWith('.' + c.domain);
    });
  }

  private find(h1: number, h2: number): number {
    let i = bucketOf(h1, h2) & this.mask;
    while (true) {
      const head = this.slots[i]! - 1;
      if (head < 0) return -1;
      if (this.keyHi[head] === h1 && this.keyLo[head] === h2) return head;
      i = (i + 1) & this.mask;
    }
  }
}

/** Scope and expiry of one rule for one device. */
export function ruleApplies(
  rule: UserRule,
  deviceId: number,
  groups: readonly number[] | undefined,
  now: () => number,
): boolean {
  if (rule.deviceId !== null && rule.deviceId !== deviceId) return false;
  if (rule.groupId !== null && (groups === undefined || !groups.includes(rule.groupId))) return false;
  return rule.expiresAt === null || rule.expiresAt > now();
}
