/**
 * Per-line syntax detection for lists that mix syntaxes (a hosts list with `||x^` and `@@||x^` lines,
 * a domain list with hosts lines): the list's declared or detected format is the default, and a line
 * whose shape can only belong to another syntax is read in that syntax, instead of being dropped.
 */
import { isBlank } from '../text-scan.js';

/** `||d^`, `|d|`, `@@…`, `/regex/`, or a name followed by `^` or `$modifiers`. */
export function looksLikeAdblockRule(text: string, start: number, end: number): boolean {
  const c = text.charCodeAt(start);
  // `!` comments and `[Adblock]` headers are not rules: in a hosts or domain list they stay reported.
  if (c === 33 /* ! */ || c === 91 /* [ */) return false;
  if (c === 124 /* | */) return true;
  if (c === 64 /* @ */ && text.charCodeAt(start + 1) === 64) return true;
  if (c === 47 /* / */ && end - start > 2 && text.charCodeAt(end - 1) === 47) return true;
  for (let i = start; i < end; i++) {
    const ch = text.charCodeAt(i);
    if (isBlank(ch) || ch === 35 /* # */) return false;
    if (ch === 94 /* ^ */ || ch === 36 /* $ */) return true;
  }
  return false;
}
