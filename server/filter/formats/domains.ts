/**
 * Plain domain lists: one name per line, `#` comments. Each name matches exactly (its subdomains are
 * not covered), as Pi-hole and AdGuard treat domain-only lists. Lines in another syntax are read in
 * theirs, as Blocky's list parser reads a mixed list: a hosts line, an adblock rule or `/regex/`
 * (line-shape.ts), and `*.example.com` (the name and its subdomains).
 */
import type { RuleCollector } from '../rule-collector.js';
import { RuleFlag } from '../rule-flags.js';
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
      parseDomainToken(text, start, nameEnd, end, line, out);
      return;
    }
    if (looksLikeAddress(text, start, nameEnd)) parseHostsLine(text, start, end, line, out, 0);
    else if (looksLikeAdblockRule(text, start, end)) parseAdblockLine(text, start, end, line, out);
    else out.addInvalid(text, start, end, line, 'more than one field on a domain-list line');
  });
}

/**
 * A line that is one token: a name (exact), `*.name` (the name and its subdomains), or an adblock rule
 * or `/regex/`. Shared with the hosts parser, whose lists carry such lines too.
 */
export function parseDomainToken(
  text: string,
  start: number,
  nameEnd: number,
  end: number,
  line: number,
  out: RuleCollector,
): void {
  if (out.scanDomain(text, start, nameEnd)) {
    out.commit(line, 0);
    return;
  }
  const error = out.lastError;
  if (text.charCodeAt(start) === 42 && text.charCodeAt(start + 1) === 46) {
    if (out.scanDomain(text, start + 2, nameEnd)) out.commit(line, RuleFlag.subdomain);
    else out.addInvalid(text, start, nameEnd, line, out.lastError);
  } else if (looksLikeAdblockRule(text, start, end)) parseAdblockLine(text, start, end, line, out);
  else out.addInvalid(text, start, nameEnd, line, error);
}
