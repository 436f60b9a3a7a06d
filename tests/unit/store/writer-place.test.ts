import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../server/config/load.js';
import { writerPlace } from '../../../server/store/writer-place.js';

const dir = mkdtempSync(join(tmpdir(), 'tracksink-writer-place-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function problemsOf(action: () => unknown): string[] {
  try {
    action();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('log.writer (where the query log is written)', () => {
  it('defaults to auto and takes main or thread from the file or TRACKSINK_LOG_WRITER', () => {
    expect(loadConfig({ env: {}, cwd: dir }).config.log.writer).toBe('auto');
    const file = join(dir, 'main.yaml');
    writeFileSync(file, 'log:\n  writer: main\n');
    expect(loadConfig({ env: {}, file, cwd: dir }).config.log.writer).toBe('main');
    expect(loadConfig({ env: { TRACKSINK_LOG_WRITER: 'thread' }, file, cwd: dir }).config.log.writer).toBe(
      'thread',
    );
  });

  it('refuses a bad value with the key, where it came from and the choices', () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'log:\n  writer: threads\n');
    expect(problemsOf(() => loadConfig({ env: {}, file, cwd: dir }))).toEqual([
      `log.writer (${file}:2): "threads" is not one of the choices. Write one of auto, main, thread (the default is auto)`,
    ]);
    const fromEnv = problemsOf(() => loadConfig({ env: { TRACKSINK_LOG_WRITER: 'true' }, cwd: dir }));
    expect(fromEnv).toHaveLength(1);
    expect(fromEnv[0]).toMatch(/^log\.writer \(TRACKSINK_LOG_WRITER\): "true" is not one of the choices/);
    writeFileSync(file, 'log:\n  writer: false\n');
    expect(problemsOf(() => loadConfig({ env: {}, file, cwd: dir }))[0]).toMatch(
      /^log\.writer \(.*bad\.yaml:2\)/,
    );
  });

  it('auto is the writer thread (the measured default); main and thread are taken as they are', () => {
    expect(writerPlace('auto')).toBe('thread');
    expect(writerPlace('main')).toBe('main');
    expect(writerPlace('thread')).toBe('thread');
  });
});
