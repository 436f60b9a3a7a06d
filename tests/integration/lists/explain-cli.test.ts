/** `npm run explain` as a real process over a data directory: lists from the on-disk copy, no download. */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../../server/paths.js';
import { BUILTIN_CATALOG } from '../../../server/lists/list-source.js';
import { ListsRepo } from '../../../server/store/repos/lists-repo.js';
import { openConfigDb } from '../../../server/store/sqlite.js';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'tracksink-explain-'));

async function explain(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  const tsx = join(projectRoot, 'node_modules', '.bin', 'tsx');
  try {
    const { stdout, stderr } = await run(tsx, [join(projectRoot, 'server/cli/explain.ts'), ...args], {
      cwd: dir,
      env: { ...process.env, TRACKSINK_DATA_DIR: dir, TRACKSINK_CONFIG: '' },
      timeout: 30_000,
    });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const e = error as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}

beforeAll(() => {
  const db = openConfigDb(join(dir, 'tracksink.db'));
  const repo = new ListsRepo(db);
  repo.insert({
    name: 'tracksink tracker catalog',
    source: BUILTIN_CATALOG,
    format: 'adblock',
    builtin: true,
  });
  const mine = repo.insert({ name: 'Mine', source: 'http://127.0.0.1:9/mine.txt' });
  repo.insert({ name: 'Never downloaded', source: 'http://127.0.0.1:9/never.txt' });
  db.close();
  mkdirSync(join(dir, 'lists'));
  writeFileSync(join(dir, 'lists', `${mine.id}.txt`), '! mine\n||ads.mine.test^\n@@||ok.ads.mine.test^\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Each case starts a tsx process: slow on a shared 2-core machine, hence the generous timeout.
describe('explain CLI', { timeout: 90_000 }, () => {
  it('shows the winning list rule with its text, and the lists it could not consider', async () => {
    const { stdout, code } = await explain('x.ads.mine.test');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^x\.ads\.mine\.test: BLOCK \(list\)/);
    expect(stdout).toContain('→ block Mine, line 2: ||ads.mine.test^');
    expect(stdout).toMatch(/Never downloaded/);
  });

  it('shows company, category, app and whether an endpoint is dual-use', async () => {
    const pinterest = await explain('ct.pinterest.com');
    expect(pinterest.stdout).toMatch(/BLOCK \(catalog\)/);
    expect(pinterest.stdout).toMatch(/company: +Pinterest/);
    expect(pinterest.stdout).toMatch(/category: Advertising/);
    const graph = await explain('graph.facebook.com', '--json');
    const result = JSON.parse(graph.stdout);
    expect(result.explanation.action).toBe('none');
    expect(result.attribution).toMatchObject({ company: 'Meta Platforms', app: 'Facebook', use: 'dual-use' });
  });

  it('says clearly what is wrong with bad input', async () => {
    const none = await explain();
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/give a name to explain/);
  });
});
