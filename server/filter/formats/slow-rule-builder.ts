/** Small constructors for slow rules, shared by the wildcard, hosts and adblock parsers. */
import type { SlowPattern, SlowRule } from '../slow-rule.js';

export function newSlowRule(
  line: number,
  flags: number,
  pattern: SlowPattern,
  domain: string,
  source: string,
  key: string,
): SlowRule {
  return {
    line,
    flags,
    pattern,
    domain,
    source,
    dnsTypes: null,
    dnsTypesExcluded: null,
    clients: null,
    denyAllow: null,
    rewrite: null,
    key,
  };
}
