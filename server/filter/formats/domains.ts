/**
 * Plain domain lists: one name per line, `#` comments. Each name matches exactly (its subdomains are
 * not covered), as Pi-hole and AdGuard treat domain-only lists. A hosts line or an adblock rule among
 * them is read in its own syntax (line-shape.ts).
 */
import type { RuleCollector } from '../rule-collector.js';
import { forEachLine, skipBlanks, stripHashComment, tokenEnd } from '../text-scan.js';
import { parseAdblockLine } from './adblock.js';
import { looksLikeAddress, parseHostsLine } from './hosts.js';
import { looksLikeAdblockRule } from './line-shape.js';

export function parseDomains(text: string, out: RuleCollector): void {
  out.lines = forEachLine(text, (start, end, line) => {
    if (start === end || text.charCodeAt(start) === 35) return;
    const nameEnd = tokenEnd(text, start, end);
    // The usual line is one name: only look for an inline `# comment` when something follows it.
    const contentEnd = nameEnd === end ? end : stripHashComment(text, start, end);
    if (skipBlanks(text, nameEnd, contentEnd) === contentEnd) {
      if (out.scanDomain(text, start, nameEnd)) out.commit(line, 0);
      else if (looksLikeAdblockRule(text, start, end)) parseAdblockLine(text, start, end, line, out);
      else out.addInvalid(text, start, nameEnd, line, out.lastError);
      return;
    }
    if (looksLikeAddress(text, start, nameEnd)) parseHostsLine(text, start, end, line, out, 0);
    else if (looksLikeAdblockRule(text, start, end)) parseAdblockLine(text, start, end, line, out);
    else out.addInvalid(text, start, end, line, 'more than one field on a domain-list line');
  });
}
