/**
 * Plain domain lists: one name per line, `#` comments. Each name matches exactly (its subdomains are
 * not covered), as Pi-hole and AdGuard treat domain-only lists.
 */
import type { RuleCollector } from '../rule-collector.js';
import { forEachLine, skipBlanks, stripHashComment, tokenEnd } from '../text-scan.js';

export function parseDomains(text: string, out: RuleCollector): void {
  out.lines = forEachLine(text, (start, end, line) => {
    if (start === end || text.charCodeAt(start) === 35) return;
    const nameEnd = tokenEnd(text, start, end);
    // The usual line is one name: only look for an inline `# comment` when something follows it.
    const contentEnd = nameEnd === end ? end : stripHashComment(text, start, end);
    if (skipBlanks(text, nameEnd, contentEnd) !== contentEnd) {
      out.addInvalid(text, start, end, line, 'more than one field on a domain-list line');
      return;
    }
    out.addDomain(text, start, nameEnd, line, 0);
  });
}
