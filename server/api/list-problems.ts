/**
 * Lists that should be blocking but are not: an enabled list whose last download failed and that has no
 * copy in use. One source of these sentences for /api/health, the overview page and the start banner,
 * so a failed main blocklist is never only a line on the Blocklists page.
 */
import type { ListView } from '../lists/list-manager.js';
import { STEVENBLACK_UNIFIED } from '../lists/list-source.js';

export interface ListProblem {
  listId: number;
  list: string;
  source: string;
  /** The download error as the list manager recorded it. */
  reason: string;
  /** The default blocklist a new install subscribes to. */
  main: boolean;
  /** What it means for the household, in words. */
  message: string;
}

export function listProblems(lists: readonly ListView[]): ListProblem[] {
  const downloadedInUse = lists.some((list) => list.enabled && list.loaded && !list.builtin);
  const fallback = downloadedInUse
    ? 'blocking with your other lists meanwhile'
    : 'blocking with the built-in list only';
  return lists
    .filter((list) => list.enabled && !list.loaded && list.lastError !== null)
    .map((list) => {
      const main = list.source === STEVENBLACK_UNIFIED;
      const reason = list.lastError ?? '';
      const what = main ? 'your main blocklist' : `the blocklist "${list.name}"`;
      return {
        listId: list.id,
        list: list.name,
        source: list.source,
        reason,
        main,
        // "no copy to fall back on" is implied by the list not being in use.
        message: `${what} could not be downloaded: ${reason.replace(/; no copy to fall back on$/, '')}; ${fallback}`,
      };
    });
}
