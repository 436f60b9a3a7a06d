/**
 * One line of a list's text, for explain. Only a line that is itself an entry of the list's format is
 * shown: whatever else a file holds (a comment, a stray setting, another program's data) stays unseen.
 */
import type { ListFormat } from '../filter/list-types.js';
import { parseList } from '../filter/parse.js';

/** Lines longer than this are never list rules worth showing. */
const MAX_SHOWN_CHARS = 1024;

/** Line `line` (1-based) of `text` without its line break; null past the end. */
export function lineAt(text: string, line: number): string | null {
  if (line < 1) return null;
  let start = 0;
  for (let i = 1; i < line; i++) {
    const next = text.indexOf('\n', start);
    if (next === -1) return null;
    start = next + 1;
  }
  if (start >= text.length && line > 1) return null;
  const end = text.indexOf('\n', start);
  return text.slice(start, end === -1 ? text.length : end).replace(/\r$/, '');
}

/** The line when, parsed alone in `format`, it is one list entry (or a $badfilter of one); else null. */
export function shownLine(line: string | null, listId: number, format: ListFormat): string | null {
  if (line === null || line.length > MAX_SHOWN_CHARS) return null;
  const parsed = parseList(line, { listId, format });
  const isEntry =
    parsed.invalidCount === 0 &&
    (parsed.entries > 0 || parsed.badFilters.length + parsed.badFilterKeys.length > 0);
  return isEntry ? line : null;
}
