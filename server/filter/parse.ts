/**
 * Entry point for list parsing: picks the format (given, or detected) and runs that format's parser
 * over the whole text. Never throws on content: bad lines are counted and reported with their number.
 */
import { detectFormat } from './detect-format.js';
import { parseAdblock } from './formats/adblock.js';
import { parseDnsmasq } from './formats/dnsmasq.js';
import { parseDomains } from './formats/domains.js';
import { parseHosts } from './formats/hosts-list.js';
import { parseRpz } from './formats/rpz.js';
import { parseUnbound } from './formats/unbound.js';
import { parseWildcard } from './formats/wildcard.js';
import type { ListFormat, ParsedList } from './list-types.js';
import { LIST_FORMATS } from './list-types.js';
import { RuleCollector } from './rule-collector.js';

export type { CompactBadFilter, InvalidLine, ListFormat, ParsedList } from './list-types.js';
export { LIST_FORMATS } from './list-types.js';
export { detectFormat } from './detect-format.js';

export interface ParseOptions {
  listId: number;
  /** The list's format; 'auto' or absent detects it from the text. */
  format?: ListFormat | 'auto';
}

const PARSERS: Record<ListFormat, (text: string, out: RuleCollector) => void> = {
  hosts: parseHosts,
  domains: parseDomains,
  wildcard: parseWildcard,
  dnsmasq: parseDnsmasq,
  unbound: parseUnbound,
  rpz: parseRpz,
  adblock: parseAdblock,
};

export function parseList(text: string, options: ParseOptions): ParsedList {
  const requested = options.format ?? 'auto';
  if (requested !== 'auto' && !LIST_FORMATS.includes(requested)) {
    throw new TypeError(
      `parseList: unknown format "${String(requested)}" (expected one of ${LIST_FORMATS.join(', ')} or auto)`,
    );
  }
  const format = requested === 'auto' ? detectFormat(text) : requested;
  const out = new RuleCollector(estimateLines(text));
  PARSERS[format](text, out);
  return out.finish(options.listId, format);
}

/** Newline count, to size the rule arrays once instead of growing them many times. */
function estimateLines(text: string): number {
  let count = 1;
  let pos = text.indexOf('\n');
  while (pos !== -1) {
    count++;
    pos = text.indexOf('\n', pos + 1);
  }
  return count;
}
