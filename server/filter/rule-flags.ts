/**
 * Bits stored with every compact domain rule (low bits of its `meta` word; the line number is above
 * them). Slow rules use the same bits.
 */
export const RuleFlag = {
  /** Matches the domain and all its subdomains (`||d^`, `*.d`, dnsmasq, RPZ `*.d`); else exact only. */
  subdomain: 1,
  /** An exception (`@@`, RPZ passthru): un-blocks what non-important blocks would block. */
  exception: 2,
  /** `$important`: beats non-important exceptions. */
  important: 4,
  /**
   * Slow rules only (never in `meta`): a hosts line with a real address. Its answer ranks below list
   * block and exception rules, as AdGuard Home ranks hosts rules below network rules.
   */
  hostsRecord: 8,
} as const;

/** How many low bits of `meta` the flags take. */
export const FLAG_BITS = 3;
export const FLAG_MASK = (1 << FLAG_BITS) - 1;

/** Largest line number that fits in `meta` beside the flags (2^29 - 1). */
export const MAX_LINE = (2 ** 32 - 1) >>> FLAG_BITS;
