/** The matcher's inputs: every enabled list that has a copy in memory, with its device and group scope. */
import type { ListInput } from '../filter/matcher.js';
import type { ListAssignment, ListRow } from '../store/repos/lists-repo.js';
import type { Loaded } from './list-manager-types.js';
import { BUILTIN_CATALOG } from './list-source.js';

export function matcherInputs(
  rows: ListRow[],
  loaded: ReadonlyMap<number, Loaded>,
  assignments: ReadonlyMap<number, ListAssignment>,
): ListInput[] {
  const inputs: ListInput[] = [];
  for (const row of rows) {
    const copy = loaded.get(row.id);
    if (!row.enabled || !copy) continue;
    const assignment = assignments.get(row.id);
    inputs.push({
      id: row.id,
      name: row.name,
      kind: row.kind,
      parsed: copy.parsed,
      catalog: row.source === BUILTIN_CATALOG,
      ...(assignment?.deviceIds.length ? { deviceIds: assignment.deviceIds } : {}),
      ...(assignment?.groupIds.length ? { groupIds: assignment.groupIds } : {}),
    });
  }
  return inputs;
}
