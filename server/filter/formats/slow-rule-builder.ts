/** Small constructors for slow rules, shared by the wildcard and adblock parsers. */
import type { SlowPattern, SlowRule } from '../slow-rule.js';

export function newSlowRule(
  line: number,
  flags: number,
  pattern: SlowPattern,
  domain: string,
  regex: RegExp | null,
  key: string,
): SlowRule {
  return {
    line,
    flags,
    pattern,
    domain,
    regex,
    dnsTypes: null,
    dnsTypesExcluded: null,
    clients: null,
    denyAllow: null,
    key,
  };
}

/** A glob where `*` is any run of characters, anchored at both ends of the name. */
export function globToRegExp(glob: string): RegExp {
  let source = '^';
  for (const ch of glob) source += ch === '*' ? '.*' : escapeRegExpChar(ch);
  return new RegExp(source + '$');
}

export function escapeRegExpChar(ch: string): string {
  return /[\\^$.*+?()[\]{}|/-]/.test(ch) ? '\\' + ch : ch;
}
