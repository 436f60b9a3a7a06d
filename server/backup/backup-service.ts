/**
 * Export and import of the whole configuration as one JSON document. The API routes and the CLI
 * (`npm run backup`) both use these two functions, so a file from one restores through the other.
 */
import { Compile } from 'typebox/compile';
import { BackupFile } from '../store/repos/backup-file.js';
import { BackupImportError, type BackupRepo, type ImportCounts } from '../store/repos/backup-repo.js';
import { type BackupCheckOptions, checkBackupContent, isImportableSetting } from './check-backup.js';

export { BackupImportError };
export type { BackupCheckOptions };

const checker = Compile(BackupFile);

/**
 * The configuration as a backup file. Settings are limited to what an import accepts (the dashboard's
 * settings): a value saved by other means, such as http.password, never leaves the machine this way.
 */
export function exportConfiguration(repo: Pick<BackupRepo, 'read'>, now = Date.now()): BackupFile {
  const data = repo.read();
  const settings = Object.fromEntries(
    Object.entries(data.settings).filter(([key]) => isImportableSetting(key)),
  );
  return { format: 'tracksink-backup', version: 1, exportedAt: now, ...data, settings };
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

/**
 * Validates everything (shape, rules, list sources and formats, settings, references), then replaces the
 * configuration in one transaction: all or nothing.
 */
export function importConfiguration(
  repo: Pick<BackupRepo, 'replace'>,
  data: unknown,
  options: BackupCheckOptions = {},
): ImportCounts {
  const file = checkBackupContent(checkBackupFile(data), options);
  // The file's header is not configuration; everything else is what the repository replaces.
  const { format: _format, version: _version, exportedAt: _exportedAt, ...configuration } = file;
  return repo.replace(configuration);
}
