import Database from 'better-sqlite3';
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { emptyQueryEvent } from '../../../server/events/query-event.js';
import type { Logger } from '../../../server/logger.js';
import { silentLogger } from '../../../server/logger.js';
import { QueryLog } from '../../../server/store/query-log.js';
import { makeEvent, tempDir } from '../../integration/store/log-fixtures.js';
import { canMountTmpfs } from '../helpers/mount.js';

const dirs: Array<{ remove(): void }> = [];
const mounts: string[] = [];
const logs: QueryLog[] = [];
afterAll(async () => {
  for (const log of logs) await log.close().catch(() => {});
  for (const mount of mounts) {
    try {
      execFileSync('umount', ['-l', mount]);
    } catch {
      // already unmounted
    }
  }
  for (const dir of dirs) dir.remove();
});

function newDir(prefix: string): string {
  const dir = tempDir(prefix);
  dirs.push(dir);
  return dir.path;
}

function openLog(dataDir: string, logger: Logger = silentLogger): Promise<QueryLog> {
  return QueryLog.open({
    dataDir,
    retentionDays: 30,
    rollupRetentionDays: 365,
    queries: 'all',
    anonymizeClients: false,
    logger,
    intervalMs: 20,
  }).then((log) => {
    logs.push(log);
    return log;
  });
}

function capturingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const push = (_obj: unknown, message?: string) => lines.push(String(message ?? _obj));
  const logger = {
    info: push,
    warn: push,
    error: push,
    debug: () => {},
    trace: () => {},
    fatal: push,
  } as unknown as Logger;
  return { logger, lines };
}

const mountable = canMountTmpfs();

function mountTmpfs(options: string): string {
  const path = newDir('tmpfs');
  execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', path]);
  mounts.push(path);
  return path;
}

/** The writer retries a failed database about once a second: probe until a write lands (bounded). */
async function waitForRecovery(log: QueryLog): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const written = log.stats().written;
    await recordAndFlush(log, 1);
    if (log.stats().error === null && log.stats().written > written) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`query log did not recover: ${log.stats().error}`);
}

async function recordAndFlush(log: QueryLog, count: number): Promise<void> {
  const ev = emptyQueryEvent();
  for (let i = 0; i < count; i++) expect(() => log.record(makeEvent(i, Date.now(), ev))).not.toThrow();
  await log.flush();
}

describe('query log storage faults', () => {
  it('kill -9 mid-write: the database opens cleanly and only the uncommitted tail is missing', async () => {
    const dataDir = newDir('kill9');
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(new URL('./log-writer-child.ts', import.meta.url)), dataDir],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let committed = 0;
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`child committed only ${committed} events in time; stderr: ${stderr}`)),
          45_000,
        );
        child.stdout.on('data', (chunk: Buffer) => {
          for (const match of chunk.toString().matchAll(/committed (\d+)/g))
            committed = Math.max(committed, Number(match[1]));
          if (committed >= 30_000) {
            clearTimeout(timer);
            resolve();
          }
        });
        child.on('exit', (code) => reject(new Error(`child exited early (${code}): ${stderr}`)));
      });
    } finally {
      child.kill('SIGKILL');
      await new Promise((resolve) =>
        child.exitCode !== null || child.signalCode !== null ? resolve(null) : child.once('exit', resolve),
      );
    }
    const db = new Database(join(dataDir, 'querylog.db'));
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    const count = db.prepare('SELECT count(*) FROM queries').pluck().get() as number;
    const maxSeq = db.prepare('SELECT max(rule_id) FROM queries').pluck().get() as number;
    db.close();
    // Everything acknowledged is there, with no gap; at most what was recorded after it (< 1 s) is lost.
    expect(count).toBeGreaterThanOrEqual(committed);
    expect(maxSeq + 1).toBe(count);
    const reopened = await openLog(dataDir);
    await recordAndFlush(reopened, 100);
    expect(reopened.stats()).toMatchObject({ error: null, dropped: 0, written: 100 });
  }, 60_000);

  it('a corrupt querylog.db is moved aside, recreated, and the user is told', async () => {
    const dataDir = newDir('corrupt');
    writeFileSync(join(dataDir, 'querylog.db'), Buffer.alloc(64 * 1024, 'this is not a database '));
    const { logger, lines } = capturingLogger();
    const log = await openLog(dataDir, logger);
    await recordAndFlush(log, 500);
    expect(log.stats()).toMatchObject({ written: 500, dropped: 0, error: null });
    expect(readdirSync(dataDir).some((f) => f.startsWith('querylog.db.corrupt-'))).toBe(true);
    expect(lines.join('\n')).toMatch(/was corrupt .* moved it to .*querylog\.db\.corrupt-/);
  });

  it.skipIf(!mountable)(
    'read-only data directory: clear error, record() never throws, resumes when writable',
    async () => {
      const dataDir = mountTmpfs('ro,size=16m');
      const log = await openLog(dataDir);
      await recordAndFlush(log, 300);
      const failed = log.stats();
      expect(failed.error).toMatch(/query log stopped .*querylog\.db/);
      expect(failed.written).toBe(0);
      expect(failed.dropped).toBe(300);
      execFileSync('mount', ['-o', 'remount,rw', dataDir]);
      await waitForRecovery(log);
      const before = log.stats();
      await recordAndFlush(log, 200);
      expect(log.stats()).toMatchObject({
        error: null,
        written: before.written + 200,
        dropped: before.dropped,
      });
    },
  );

  it.skipIf(!mountable)(
    'disk full: logging stops with SQLITE_FULL, DNS side unaffected, resumes when space returns',
    async () => {
      const dataDir = mountTmpfs('size=1m');
      mkdirSync(join(dataDir, 'x'));
      const log = await openLog(dataDir);
      for (let round = 0; round < 40 && log.stats().error === null; round++) await recordAndFlush(log, 5000);
      expect(log.stats().error).toMatch(/SQLITE_FULL|full/i);
      const before = log.stats();
      await recordAndFlush(log, 1000);
      expect(log.stats().dropped).toBeGreaterThanOrEqual(before.dropped + 1000);
      execFileSync('mount', ['-o', 'remount,size=64m', dataDir]);
      await waitForRecovery(log);
      const writtenBefore = log.stats().written;
      await recordAndFlush(log, 1000);
      expect(log.stats().error).toBeNull();
      expect(log.stats().written).toBe(writtenBefore + 1000);
      const db = new Database(join(dataDir, 'querylog.db'), { readonly: true });
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      db.close();
    },
    60_000,
  );
});
