/**
 * Backup and restore of the whole configuration from the command line (same code as the dashboard's
 * export/import):
 *
 *   npm run backup -- export FILE [--with-log]   tracksink.db → FILE (JSON); --with-log also copies
 *                                                querylog.db to FILE.querylog.db (a consistent snapshot)
 *   npm run backup -- import FILE [--with-log]   FILE → tracksink.db (all or nothing); --with-log also
 *                                                restores FILE.querylog.db as querylog.db
 *
 * Options: --data-dir DIR (else the config's dataDir), --config FILE. Stop tracksink before an import:
 * a running server keeps its rules in memory and would not see the change until restarted.
 */
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { BackupImportError, exportConfiguration, importConfiguration } from '../backup/backup-service.js';
import { BackupRepo } from '../store/repos/backup-repo.js';
import { publishShared, readShared, sharedConfigured } from './backup-shared.js';
import { ConfigError, loadConfig } from '../config/load.js';
import { DATABASE_URL_ENV } from '../store/pg/pg-url.js';
import { openConfigDb, openDatabase } from '../store/sqlite.js';

const USAGE = `usage: npm run backup -- export FILE [--with-log] [--data-dir DIR] [--config FILE]
       npm run backup -- import FILE [--with-log] [--data-dir DIR] [--config FILE]`;

export const CONFIG_DB = 'tracksink.db';
export const QUERY_LOG_DB = 'querylog.db';

export function logCopyPath(file: string): string {
  return `${file}.querylog.db`;
}

export interface BackupCliResult {
  message: string;
}

/** Runs one command; throws an Error whose message is meant for the person at the terminal. */
export async function runBackupCli(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<BackupCliResult> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'with-log': { type: 'boolean', default: false },
      'data-dir': { type: 'string' },
      config: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command, file] = positionals;
  if (values.help) return { message: USAGE };
  if ((command !== 'export' && command !== 'import') || !file || positionals.length > 2) {
    throw new Error(`expected "export FILE" or "import FILE"\n${USAGE}`);
  }
  const config =
    values['data-dir'] === undefined || values.config !== undefined
      ? loadConfig({ env, file: values.config }).config
      : null;
  const dataDir = values['data-dir'] ?? (config as { dataDir: string }).dataDir;
  // database.url in the config file stands for TRACKSINK_DATABASE_URL (the loaded value: the variable wins).
  const databaseUrl = config?.database.url.trim() ?? '';
  const dbEnv = databaseUrl === '' ? env : { ...env, [DATABASE_URL_ENV]: databaseUrl };
  const target = resolve(file);

  const shared = sharedConfigured(dbEnv);
  if (shared && values['with-log']) {
    throw new Error(
      "--with-log copies querylog.db; with TRACKSINK_DATABASE_URL the shared log is in PostgreSQL: copy it with pg_dump -t 'query_log*'",
    );
  }
  if (command === 'export' && shared) {
    // Replicas share the configuration in PostgreSQL: that is the one to save.
    const document = await readShared(dbEnv, dataDir);
    if (document !== null) {
      writeFileSync(target, `${JSON.stringify({ ...document.data, exportedAt: Date.now() }, null, 2)}\n`);
      return { message: `exported the configuration shared in PostgreSQL ${document.describe} to ${target}` };
    }
  }
  if (command === 'export') {
    const dbPath = join(dataDir, CONFIG_DB);
    if (!existsSync(dbPath)) throw new Error(`no ${CONFIG_DB} in ${resolve(dataDir)}: nothing to export`);
    const db = openConfigDb(dbPath);
    try {
      const backup = exportConfiguration(new BackupRepo(db));
      writeFileSync(target, `${JSON.stringify(backup, null, 2)}\n`);
    } finally {
      db.close();
    }
    let extra = '';
    if (values['with-log']) {
      const logPath = join(dataDir, QUERY_LOG_DB);
      if (!existsSync(logPath)) throw new Error(`--with-log: no ${QUERY_LOG_DB} in ${resolve(dataDir)}`);
      const log = openDatabase(logPath, { readonly: true });
      try {
        // SQLite's online backup: a consistent copy even while tracksink writes the log.
        await log.backup(logCopyPath(target));
      } finally {
        log.close();
      }
      extra = ` and the query log to ${logCopyPath(target)}`;
    }
    return { message: `exported the configuration of ${resolve(dataDir)} to ${target}${extra}` };
  }

  let data: unknown;
  try {
    data = JSON.parse(readFileSync(target, 'utf8')) as unknown;
  } catch (error) {
    const why =
      (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (error as Error).message;
    throw new Error(`cannot read ${target}: ${why}`, { cause: error });
  }
  if (values['with-log'] && !existsSync(logCopyPath(target))) {
    throw new Error(`--with-log: ${logCopyPath(target)} does not exist (export with --with-log makes it)`);
  }
  mkdirSync(dataDir, { recursive: true });
  const db = openConfigDb(join(dataDir, CONFIG_DB));
  let counts;
  let imported: Record<string, unknown>;
  try {
    counts = importConfiguration(new BackupRepo(db), data);
    imported = exportConfiguration(new BackupRepo(db)) as unknown as Record<string, unknown>;
  } finally {
    db.close();
  }
  let extra = '';
  if (shared) {
    const { version, describe } = await publishShared(dbEnv, dataDir, imported);
    extra += ` and shared it with the replicas through PostgreSQL ${describe} (version ${version})`;
  }
  if (values['with-log']) {
    const logPath = join(dataDir, QUERY_LOG_DB);
    // Copy beside, then rename over: a crash never leaves half a log; stale WAL files would not match.
    copyFileSync(logCopyPath(target), `${logPath}.restoring`);
    for (const suffix of ['-wal', '-shm']) rmSync(`${logPath}${suffix}`, { force: true });
    renameSync(`${logPath}.restoring`, logPath);
    extra = ' and the query log';
  }
  const summary = Object.entries(counts)
    .map(([what, count]) => `${count} ${what}`)
    .join(', ');
  return { message: `imported ${summary}${extra} into ${resolve(dataDir)}` };
}

async function main(): Promise<void> {
  try {
    const { message } = await runBackupCli(process.argv.slice(2));
    console.log(message);
  } catch (error) {
    const prefix = error instanceof BackupImportError ? 'import refused, nothing changed: ' : '';
    const message = error instanceof ConfigError ? error.message : (error as Error).message;
    console.error(`tracksink backup: ${prefix}${message}`);
    process.exit(error instanceof BackupImportError ? 3 : 2);
  }
}

// Run only as a program, not when a test imports runBackupCli.
if (process.argv[1] && /backup\.(ts|js)$/.test(process.argv[1])) await main();
