/**
 * unbound lists: `local-zone: "d" <type>` blocks d and its subdomains for the blocking zone types
 * (always_null, always_nxdomain, refuse, static, redirect, …); `local-data: "d A 0.0.0.0"` blocks that
 * exact name. Transparent zones answer normally and are ignored; `server:` and comments are skipped.
 */
import type { RuleCollector } from '../rule-collector.js';
import { RuleFlag } from '../rule-flags.js';
import { equalsAt, findChar, forEachLine, skipBlanks, startsWithAt, tokenEnd } from '../text-scan.js';

const BLOCKING_ZONE_TYPES = [
  'always_null',
  'always_nxdomain',
  'always_refuse',
  'always_deny',
  'refuse',
  'deny',
  'static',
  'redirect',
  'inform_deny',
  'inform_redirect',
  'always_nodata',
];

export function parseUnbound(text: string, out: RuleCollector): void {
  out.lines = forEachLine(text, (start, end, line) => {
    if (start === end || text.charCodeAt(start) === 35) return;
    if (equalsAt(text, start, end, 'server:')) return;
    const isZone = startsWithAt(text, start, 'local-zone:');
    const isData = !isZone && startsWithAt(text, start, 'local-data:');
    if (!isZone && !isData) {
      out.addInvalid(text, start, end, line, 'expected local-zone: or local-data:');
      return;
    }
    const open = skipBlanks(text, start + 11, end);
    if (text.charCodeAt(open) !== 34) {
      out.addInvalid(text, start, end, line, 'expected a quoted name');
      return;
    }
    const close = findChar(text, 34, open + 1, end);
    if (close === -1) {
      out.addInvalid(text, start, end, line, 'unterminated quote');
      return;
    }
    if (isData) {
      // local-data: "name TYPE rdata": the name is the first token inside the quotes.
      const nameEnd = tokenEnd(text, open + 1, close);
      out.addDomain(text, open + 1, nameEnd, line, 0);
      return;
    }
    const typeStart = skipBlanks(text, close + 1, end);
    const typeEnd = tokenEnd(text, typeStart, end);
    let blocking = false;
    for (const type of BLOCKING_ZONE_TYPES) if (equalsAt(text, typeStart, typeEnd, type)) blocking = true;
    if (!blocking) {
      out.addIgnored(text, start, end, line, 'zone type does not block');
      return;
    }
    out.addDomain(text, open + 1, close, line, RuleFlag.subdomain);
  });
}
