/**
 * A whole hosts list (hosts.ts reads one line). A line in adblock syntax (`||d^`, `@@||d^`) inside a hosts
 * list is read as adblock, and a bare name or `*.name` as in a domain list: lists mix them (Blocky's hosts
 * parser reads all of these). Kept apart from the line parsers so each of them imports only the ones
 * below it.
 */
import type { RuleCollector } from '../rule-collector.js';
import { forEachLine, skipBlanks, stripHashComment, tokenEnd } from '../text-scan.js';
import { parseAdblockLine } from './adblock.js';
import { parseDomainToken } from './domains.js';
import { parseHostsLine } from './hosts.js';
import { looksLikeAdblockRule } from './line-shape.js';

export function parseHosts(text: string, out: RuleCollector): void {
  out.lines = forEachLine(text, (start, end, line) => {
    // Hosts lines start with a digit or ':'; only other lines need the adblock shape check.
    const c = text.charCodeAt(start);
    const addressStart = (c >= 48 && c <= 57) || c === 58;
    if (addressStart || start === end || c === 35) parseHostsLine(text, start, end, line, out, 0);
    else if (looksLikeAdblockRule(text, start, end)) parseAdblockLine(text, start, end, line, out);
    else {
      // A bare name or `*.name` in a hosts list (Blocky reads them): one token, else not a hosts line.
      const nameEnd = tokenEnd(text, start, end);
      const contentEnd = nameEnd === end ? end : stripHashComment(text, start, end);
      if (skipBlanks(text, nameEnd, contentEnd) === contentEnd) {
        parseDomainToken(text, start, nameEnd, end, line, out);
      } else parseHostsLine(text, start, end, line, out, 0);
    }
  });
}
