/**
 * RPZ zone files (BIND response policy zones): `d CNAME .` (NXDOMAIN) blocks d exactly, `*.d CNAME .`
 * blocks d's subdomains (taken here, like the other formats' wildcards, to cover d as well);
 * `CNAME *.` (NODATA), `CNAME rpz-drop.` and local A/AAAA data block too; `CNAME rpz-passthru.` is an
 * exception. Owners written absolutely (`d.rpz.zone.`) lose the `$ORIGIN`. SOA/NS records, directives
 * and `;` comments are skipped, including a SOA spread over several lines with parentheses.
 */
import type { RuleCollector } from '../rule-collector.js';
import { RuleFlag } from '../rule-flags.js';
import {
  equalsAt,
  findChar,
  forEachLine,
  isBlank,
  skipBlanks,
  startsWithAt,
  tokenEnd,
} from '../text-scan.js';

const SKIPPED_TYPES = ['soa', 'ns', 'txt', 'mx', 'srv', 'ptr', 'caa', 'dname', 'ds', 'dnskey', 'rrsig'];
const CLASSES = ['in', 'ch', 'hs', 'cs'];

export function parseRpz(text: string, out: RuleCollector): void {
  let parenDepth = 0;
  let origin = '';
  out.lines = forEachLine(text, (start, end, line) => {
    // Cut a `;` comment (RPZ data never contains ';').
    const semi = findChar(text, 59, start, end);
    if (semi !== -1) end = semi;
    while (end > start && isBlank(text.charCodeAt(end - 1))) end--;
    if (parenDepth > 0) {
      parenDepth += parenBalance(text, start, end);
      return;
    }
    if (start === end) return;
    if (text.charCodeAt(start) === 36) {
      if (startsWithAt(text, start, '$origin')) {
        const s = skipBlanks(text, start + 7, end);
        origin = text.slice(s, tokenEnd(text, s, end)).toLowerCase();
        if (origin !== '' && !origin.endsWith('.')) origin += '.';
      }
      return;
    }
    parenDepth += parenBalance(text, start, end);
    // A line starting with a blank continues the previous owner: only SOA/NS live there in RPZ files.
    const ownerStart = start;
    const ownerEnd = tokenEnd(text, start, end);
    if (equalsAt(text, ownerStart, ownerEnd, '@')) return;
    // Lines are trimmed, so an owner-less continuation (`  NS ns.local.`) starts with its type or TTL.
    if (SKIPPED_TYPES.some((t) => equalsAt(text, ownerStart, ownerEnd, t))) return;
    if (isNumber(text, ownerStart, ownerEnd)) return;
    let pos = skipBlanks(text, ownerEnd, end);
    // Optional TTL and class, in either order.
    for (let k = 0; k < 2; k++) {
      const tEnd = tokenEnd(text, pos, end);
      if (isNumber(text, pos, tEnd) || CLASSES.some((c) => equalsAt(text, pos, tEnd, c))) {
        pos = skipBlanks(text, tEnd, end);
      }
    }
    const typeEnd = tokenEnd(text, pos, end);
    if (pos === end) {
      out.addInvalid(text, start, end, line, 'expected "<name> CNAME ." (record type missing)');
      return;
    }
    const typeStart = pos;
    if (SKIPPED_TYPES.some((t) => equalsAt(text, typeStart, typeEnd, t))) return;
    const dataStart = skipBlanks(text, typeEnd, end);
    const dataEnd = tokenEnd(text, dataStart, end);
    let flags = 0;
    if (equalsAt(text, typeStart, typeEnd, 'cname')) {
      if (equalsAt(text, dataStart, dataEnd, 'rpz-passthru.')) flags = RuleFlag.exception;
      else if (dataStart === dataEnd) {
        out.addInvalid(text, start, end, line, 'CNAME without a target');
        return;
      }
    } else if (!equalsAt(text, typeStart, typeEnd, 'a') && !equalsAt(text, typeStart, typeEnd, 'aaaa')) {
      out.addIgnored(text, start, end, line, 'record type is not a blocking policy');
      return;
    }
    let nameStart = ownerStart;
    let nameEnd = ownerEnd;
    if (text.charCodeAt(nameStart) === 42 && text.charCodeAt(nameStart + 1) === 46) {
      nameStart += 2;
      flags |= RuleFlag.subdomain;
    }
    if (origin !== '' && text.charCodeAt(nameEnd - 1) === 46) {
      const suffixStart = nameEnd - origin.length;
      if (
        suffixStart > nameStart &&
        text.charCodeAt(suffixStart - 1) === 46 &&
        startsWithAt(text, suffixStart, origin)
      ) {
        nameEnd = suffixStart - 1;
      }
    }
    out.addDomain(text, nameStart, nameEnd, line, flags);
  });
}

function parenBalance(text: string, start: number, end: number): number {
  let depth = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 40) depth++;
    else if (c === 41) depth--;
  }
  return depth;
}

function isNumber(text: string, start: number, end: number): boolean {
  if (start === end) return false;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}
