import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseStartScript, startCommand } from '../../../bench/lib/processes.js';

describe('the start command the bench runs tracksink with (package.json start)', () => {
  it('splits the environment, node flags and entry', () => {
    expect(parseStartScript('MALLOC_ARENA_MAX=2 node --max-semi-space-size=2 dist/server/main.js')).toEqual({
      env: { MALLOC_ARENA_MAX: '2' },
      nodeFlags: ['--max-semi-space-size=2'],
      entry: 'dist/server/main.js',
    });
    expect(parseStartScript('node dist/server/main.js')).toEqual({
      env: {},
      nodeFlags: [],
      entry: 'dist/server/main.js',
    });
  });

  it('refuses a start script it would run differently from npm', () => {
    expect(() => parseStartScript('tsx server/main.ts')).toThrow(/expected node/);
    expect(() => parseStartScript('node --flag')).toThrow(/one entry file/);
    expect(() => parseStartScript('node a.js && echo done')).toThrow(/one entry file/);
  });

  it("reads this repository's start script, and falls back to node dist/server/main.js without one", () => {
    const here = startCommand(resolve(import.meta.dirname, '../../..'));
    expect(here.entry).toMatch(/\.m?js$/);
    const dir = mkdtempSync(join(tmpdir(), 'start-command-'));
    try {
      writeFileSync(join(dir, 'package.json'), JSON.stringify({ scripts: {} }));
      expect(startCommand(dir)).toEqual({ env: {}, nodeFlags: [], entry: 'dist/server/main.js' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
