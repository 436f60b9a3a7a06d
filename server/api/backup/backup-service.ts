/**
 * Export and import of the whole configuration as one JSON document. The API routes and the CLI
 * (`npm run backup`) both use these two functions, so a file from one restores through the other.
 */
import { Compile } from 'typebox/compile';
import {
  BackupImportError,
  readBackup,
  replaceWithBackup,
  type ImportCounts,
} from '../../store/repos/backup-repo.js';
import type { Db } from '../../store/sqlite.js';
import { BackupFile } from '../schemas/backup.js';

export { BackupImportError };

const checker = Compile(BackupFile);

export function exportConfiguration(db: Db, now = Date.now()): BackupFile {
  return { format: 'tracksink-backup', version: 1, exportedAt: now, ...readBackup(db) };
}

function where(instancePath: string): string {
  const path = instancePath
    .split('/')
    .filter(Boolean)
    .map((part) => (/^\d+$/.test(part) ? `[${part}]` : `.${part}`))
    .join('')
    .replace(/^\./, '');
  return path || '(top level)';
}

/** Checks a parsed file against the schema; throws BackupImportError naming the first problems. */
export function checkBackupFile(data: unknown): BackupFile {
  if (checker.Check(data)) return data as BackupFile;
  if (
    data === null ||
    typeof data !== 'object' ||
    (data as { format?: unknown }).format !== 'tracksink-backup'
  ) {
    throw new BackupImportError('not a tracksink backup: "format" must be "tracksink-backup"');
  }
  const problems: string[] = [];
  for (const error of checker.Errors(data)) {
    if (error.keyword === 'boolean') continue;
    const params = error.params as { additionalProperties?: string[]; requiredProperties?: string[] };
    const quoted = (names: string[] | undefined) => (names ?? []).map((name) => `"${name}"`).join(', ');
    const message =
      error.keyword === 'additionalProperties'
        ? `unknown field ${quoted(params.additionalProperties)}`
        : error.keyword === 'required'
          ? `missing ${quoted(params.requiredProperties)}`
          : error.message;
    problems.push(`${where(error.instancePath)}: ${message}`);
    if (problems.length >= 5) break;
  }
  throw new BackupImportError(`the backup file is not valid: ${problems.join('; ')}`);
}

/** Validates and replaces the configuration, all or nothing. */
export function importConfiguration(db: Db, data: unknown): ImportCounts {
  const file = checkBackupFile(data);
  const { settings, groups, devices, lists, rules, companyPolicies } = file;
  return replaceWithBackup(db, { settings, groups, devices, lists, rules, companyPolicies });
}
