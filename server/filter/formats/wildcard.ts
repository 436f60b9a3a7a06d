/**
 * Wildcard lists (DNSCrypt/YogaDNS style): `*.example.com` blocks the domain and every subdomain,
 * a bare `example.com` matches exactly, and any other `*` (e.g. `ads.*`) is a glob over the whole name,
 * kept as a slow rule.
 */
import type { RuleCollector } from '../rule-collector.js';
import { RuleFlag } from '../rule-flags.js';
import { findChar, forEachLine, skipBlanks, stripHashComment, tokenEnd } from '../text-scan.js';
import { newSlowRule } from './slow-rule-builder.js';

export function parseWildcard(text: string, out: RuleCollector): void {
  out.lines = forEachLine(text, (start, end, line) => {
    if (start === end || text.charCodeAt(start) === 35) return;
    const nameEnd = tokenEnd(text, start, end);
    // The usual line is one name: only look for an inline `# comment` when something follows it.
    const contentEnd = nameEnd === end ? end : stripHashComment(text, start, end);
    if (skipBlanks(text, nameEnd, contentEnd) !== contentEnd) {
      out.addInvalid(text, start, end, line, 'more than one field on a wildcard-list line');
      return;
    }
    if (text.charCodeAt(start) === 42 && text.charCodeAt(start + 1) === 46) {
      if (findChar(text, 42, start + 2, nameEnd) === -1) {
        out.addDomain(text, start + 2, nameEnd, line, RuleFlag.subdomain);
        return;
      }
    } else if (findChar(text, 42, start, nameEnd) === -1) {
      out.addDomain(text, start, nameEnd, line, 0);
      return;
    }
    const pattern = text.slice(start, nameEnd).toLowerCase();
    if (!/^[a-z0-9._*-]+$/.test(pattern)) {
      out.addInvalid(text, start, end, line, 'character not allowed in a wildcard pattern');
      return;
    }
    out.slowRules.push(newSlowRule(line, 0, 'regex', '', globToRegex(pattern), pattern));
  });
}

/** A glob where `*` is any run of characters, anchored at both ends of the name (run on RE2). */
function globToRegex(glob: string): string {
  return (
    '^' +
    glob
      .split('*')
      .map((part) => part.replace(/[.\\-]/g, '\\$&'))
      .join('.*') +
    '$'
  );
}
