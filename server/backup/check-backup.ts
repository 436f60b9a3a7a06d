/**
 * Everything a backup brings is checked before the import's transaction begins, with the same code the
 * rest of tracksink uses: each rule through the filter's own rule check (so a rule that imports is a rule
 * that loads at the next start), each list's source and format as the list manager checks them, each
 * setting against the dashboard's own list and the config loader's rules, each schedule, the time zone and
 * each ClientID as the schedules and devices check them. A problem names the entry and its field
 * (`rules[2].pattern: …`); nothing is written unless every entry passes.
 */
import { loadConfig } from '../config/load.js';
import { parseClientId } from '../devices/client-ids.js';
import { LIST_FORMAT_SETTINGS } from '../filter/list-types.js';
import { scheduleProblems } from '../filter/schedule-types.js';
import { validateUserRule } from '../filter/user-rules.js';
import { DEFAULTS_APPLIED_KEY } from '../lists/list-manager.js';
import { normaliseSource, sourceKind } from '../lists/list-source.js';
import { type ListSourcePolicy, sourceProblem } from '../lists/source-policy.js';
import { isDashboardSetting } from '../settings/dashboard-settings.js';
import { isValidTimeZone } from '../schedules/wall-clock.js';
import { validateChanges } from '../settings/validate-settings.js';
import type { BackupFile } from '../store/repos/backup-file.js';
import { BackupImportError } from '../store/repos/backup-repo.js';

export interface BackupCheckOptions {
  /** Where list sources may point (the running server's lists.fileDir etc.); unchecked when absent (CLI). */
  listSources?: ListSourcePolicy;
}

/** State keys (not settings) that a backup carries: "the default lists were subscribed once". */
const IMPORTABLE_STATE = new Set([DEFAULTS_APPLIED_KEY]);

/** A settings key a backup may hold: a dashboard setting, or one of the state keys above. */
export function isImportableSetting(key: string): boolean {
  return isDashboardSetting(key) || IMPORTABLE_STATE.has(key);
}

const MAX_REPORTED = 10;

/**
 * Checks every entry; returns the file with its ClientIDs in their stored form (lower case), or throws a
 * BackupImportError naming the first problems.
 */
export function checkBackupContent(file: BackupFile, options: BackupCheckOptions = {}): BackupFile {
  const problems: string[] = [];
  checkSettings(file.settings, problems);
  file.rules.forEach((rule, index) => {
    const problem = validateUserRule(rule);
    if (problem !== null) problems.push(`rules[${index}].pattern: ${problem}`);
  });
  file.lists.forEach((list, index) => {
    const where = `lists[${index}]`;
    if (!LIST_FORMAT_SETTINGS.includes(list.format as never))
      problems.push(`${where}.format: must be one of ${LIST_FORMAT_SETTINGS.join(', ')}`);
    let source: string;
    try {
      source = normaliseSource(list.source);
    } catch (error) {
      problems.push(`${where}.source: ${(error as Error).message}`);
      return;
    }
    if (list.builtin !== (sourceKind(source) === 'builtin'))
      problems.push(`${where}.builtin: only a builtin: source is a built-in list`);
    const refused = options.listSources ? sourceProblem(options.listSources, source) : null;
    if (refused !== null) problems.push(`${where}.source: ${refused}`);
  });
  (file.schedules ?? []).forEach((schedule, index) =>
    problems.push(...scheduleProblems(schedule).map((problem) => `schedules[${index}].${problem}`)),
  );
  if (file.timeZone != null && !isValidTimeZone(file.timeZone))
    problems.push(`timeZone: "${file.timeZone}" is not a time zone name such as Europe/Berlin`);
  const clientIds = file.clientIds && checkClientIds(file.clientIds, problems);
  if (problems.length > 0) throw new BackupImportError(problems.slice(0, MAX_REPORTED).join('; '));
  return clientIds ? { ...file, clientIds } : file;
}

/** Each ClientID as a device would give it (one label, compared without case), each once. */
function checkClientIds(rows: NonNullable<BackupFile['clientIds']>, problems: string[]) {
  const seen = new Set<string>();
  return rows.map((row, index) => {
    const where = `clientIds[${index}].clientId`;
    try {
      const clientId = parseClientId(row.clientId);
      if (seen.has(clientId)) problems.push(`${where}: "${clientId}" appears twice`);
      seen.add(clientId);
      return { ...row, clientId };
    } catch (error) {
      problems.push(`${where}: ${(error as Error).message}`);
      return row;
    }
  });
}

function checkSettings(settings: Record<string, unknown>, problems: string[]): void {
  const dashboard: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(settings)) {
    if (isDashboardSetting(key)) dashboard[key] = value;
    else if (!IMPORTABLE_STATE.has(key))
      problems.push(
        `settings["${key}"]: not a setting the dashboard can change, so a backup cannot set it (use the config file or the environment)`,
      );
    else if (typeof value !== 'boolean') problems.push(`settings["${key}"]: must be true or false`);
  }
  if (Object.keys(dashboard).length === 0) return;
  // The loader's own rules (types, ranges, cross-checks), over the built-in defaults.
  const { config: defaults } = loadConfig({ env: {}, cwd: '/nonexistent/tracksink-backup-check' });
  try {
    validateChanges(defaults, dashboard);
  } catch (error) {
    problems.push(`settings: ${(error as Error).message}`);
  }
}
