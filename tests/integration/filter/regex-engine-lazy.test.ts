// re2js loads on the first `/regex/` rule, not with the filter (server/filter/name-pattern.ts): most lists have
// none, and its source and tables would stay in every isolate that imports the filter (bench/GAP.md).
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const repoRoot = join(import.meta.dirname, '..', '..', '..');

describe('the regex engine', () => {
  it('is loaded on the first regex rule, not with the filter', () => {
    const modulePath = pathToFileURL(join(repoRoot, 'dist', 'server', 'filter', 'name-pattern.js')).href;
    const script = `
      import { createRequire } from 'node:module';
      const require = createRequire(import.meta.url);
      const loaded = () => Object.keys(require.cache).some((file) => file.includes('/re2js/'));
      const pattern = await import(${JSON.stringify(modulePath)});
      const before = loaded();
      const matches = pattern.compileNameRegex('^ads?[0-9]*\\\\.').test('ADS2.example.com');
      const refused = pattern.regexProblem('(a)\\\\1');
      console.log(JSON.stringify({ before, matches, refused, after: loaded() }));
    `;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: repoRoot });
    const result = JSON.parse(out.toString()) as Record<string, unknown>;
    expect(result).toEqual({
      before: false,
      matches: true,
      refused: expect.stringMatching(/\S/),
      after: true,
    });
  });
});
