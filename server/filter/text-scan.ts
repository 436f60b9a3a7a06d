/**
 * Character-level helpers the format parsers share. Parsers walk the whole list text by index (no
 * split, no regex per line); these helpers keep that readable.
 */

/** Space, tab, or other ASCII blank (vertical tab, form feed) — never a newline here. */
export function isBlank(c: number): boolean {
  return c === 32 || c === 9 || c === 11 || c === 12;
}

/**
 * Calls `visit(start, end, line)` for every line with surrounding blanks, a CR before the LF and a
 * leading BOM removed. Blank lines are visited too (start === end) so counts stay honest.
 * Returns the number of lines.
 */
export function forEachLine(text: string, visit: (start: number, end: number, line: number) => void): number {
  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 0;
  const length = text.length;
  while (pos < length) {
    let next = text.indexOf('\n', pos);
    if (next === -1) next = length;
    let start = pos;
    let end = next;
    while (start < end && isBlank(text.charCodeAt(start))) start++;
    while (end > start) {
      const c = text.charCodeAt(end - 1);
      if (c === 13 || isBlank(c)) end--;
      else break;
    }
    visit(start, end, ++line);
    pos = next + 1;
  }
  return line;
}

/** Index of the first `code` in text[start, end), or -1. */
export function findChar(text: string, code: number, start: number, end: number): number {
  for (let i = start; i < end; i++) if (text.charCodeAt(i) === code) return i;
  return -1;
}

/** End of the token starting at `start` (first blank or `end`). */
export function tokenEnd(text: string, start: number, end: number): number {
  let i = start;
  while (i < end && !isBlank(text.charCodeAt(i))) i++;
  return i;
}

/** First non-blank index at or after `start` (or `end`). */
export function skipBlanks(text: string, start: number, end: number): number {
  let i = start;
  while (i < end && isBlank(text.charCodeAt(i))) i++;
  return i;
}

/** End of the content before an inline `#` comment that follows a blank (trailing blanks removed). */
export function stripHashComment(text: string, start: number, end: number): number {
  for (let i = start; i < end; i++) {
    if (text.charCodeAt(i) === 35 && (i === start || isBlank(text.charCodeAt(i - 1)))) {
      end = i;
      break;
    }
  }
  while (end > start && isBlank(text.charCodeAt(end - 1))) end--;
  return end;
}

/** Does text at `pos` start with `word` (ASCII, case-insensitive for letters)? */
export function startsWithAt(text: string, pos: number, word: string): boolean {
  if (pos + word.length > text.length) return false;
  for (let i = 0; i < word.length; i++) {
    let c = text.charCodeAt(pos + i);
    if (c >= 65 && c <= 90) c |= 0x20;
    if (c !== word.charCodeAt(i)) return false;
  }
  return true;
}

/** Is text[start, end) exactly `word` (case-insensitive)? */
export function equalsAt(text: string, start: number, end: number, word: string): boolean {
  return end - start === word.length && startsWithAt(text, start, word);
}
