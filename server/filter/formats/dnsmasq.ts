/**
 * dnsmasq lists: `address=/d/[…]`, `local=/d/`, `server=/d/` (several `/d1/d2/` allowed). Each domain
 * is blocked with its subdomains, as dnsmasq itself does. `server=/d/1.2.3.4` forwards rather than
 * blocks, so it is ignored; other directives are not list entries and are reported as invalid.
 */
import type { RuleCollector } from '../rule-collector.js';
import { RuleFlag } from '../rule-flags.js';
import { findChar, forEachLine, startsWithAt } from '../text-scan.js';

export function parseDnsmasq(text: string, out: RuleCollector): void {
  out.lines = forEachLine(text, (start, end, line) => {
    if (start === end || text.charCodeAt(start) === 35) return;
    let pos: number;
    let isServer = false;
    if (startsWithAt(text, start, 'address=/')) pos = start + 9;
    else if (startsWithAt(text, start, 'local=/')) pos = start + 7;
    else if (startsWithAt(text, start, 'server=/')) {
      pos = start + 8;
      isServer = true;
    } else {
      out.addInvalid(text, start, end, line, 'expected address=/domain/, local=/domain/ or server=/domain/');
      return;
    }
    const lastSlash = text.lastIndexOf('/', end - 1);
    if (lastSlash < pos) {
      out.addInvalid(text, start, end, line, 'missing "/" after the domain');
      return;
    }
    if (lastSlash === pos) {
      // `//` is dnsmasq for "names without a dot": no domain to block, but not silently dropped either.
      out.addIgnored(text, start, end, line, '"//" (names without a dot) is not a list entry');
      return;
    }
    if (isServer && lastSlash + 1 < end) {
      out.addIgnored(text, start, end, line, 'server=/domain/address forwards, it does not block');
      return;
    }
    while (pos < lastSlash) {
      let next = findChar(text, 47, pos, lastSlash);
      if (next === -1) next = lastSlash;
      if (next - pos === 1 && text.charCodeAt(pos) === 35) {
        out.addIgnored(text, start, end, line, '"#" (every domain) is not supported in a list');
      } else {
        out.addDomain(text, pos, next, line, RuleFlag.subdomain);
      }
      pos = next + 1;
    }
  });
}
