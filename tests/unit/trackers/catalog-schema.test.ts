/** A malformed catalog is refused with every problem named by file, line, entry and field. */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { blocklistsDir } from '../../../server/paths.js';
import { CatalogError, loadCatalog } from '../../../server/trackers/catalog.js';

const dirs: string[] = [];

/** A copy of the shipped catalog with one company file replaced. */
function catalogWith(file: string, text: string): string {
  const root = mkdtempSync(join(tmpdir(), 'tracksink-catalog-'));
  dirs.push(root);
  const dir = join(root, 'blocklists');
  cpSync(blocklistsDir, dir, { recursive: true });
  writeFileSync(join(dir, file), text);
  return dir;
}

function problemsOf(dir: string): string[] {
  try {
    loadCatalog(dir);
  } catch (error) {
    expect(error).toBeInstanceOf(CatalogError);
    return [...(error as CatalogError).problems];
  }
  throw new Error('the catalog loaded although it is malformed');
}

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('catalog schema check', () => {
  it('names file, line, entry and field of each bad value, and reports them all', () => {
    const dir = catalogWith(
      'companies/zz-bad.yaml',
      [
        'key: zz-bad',
        'name: Bad Co',
        'website: https://bad.example',
        'source: not-a-url',
        'category: advertising',
        'endpoints:',
        '  - { domain: track.bad.example, use: maybe, category: advertising, what: x, source: "https://bad.example/p" }',
        '  - { domain: "*.wild.example", use: tracking, category: nope, what: x, source: "https://bad.example/p" }',
        '  - { domain: x.bad.example, use: tracking, category: advertising, app: ghost, what: x, source: "https://bad.example/p" }',
        '',
      ].join('\n'),
    );
    const problems = problemsOf(dir);
    const text = problems.join('\n');
    expect(text).toMatch(
      /blocklists\/companies\/zz-bad\.yaml:4: field 'source' must be a public http\(s\) URL/,
    );
    expect(text).toMatch(
      /zz-bad\.yaml:7: endpoints\[0\] \(track\.bad\.example\): field 'use' must be 'tracking'/,
    );
    expect(text).toMatch(
      /zz-bad\.yaml:8: endpoints\[1\] \(\*\.wild\.example\): field 'domain' must be a lower-case domain/,
    );
    expect(text).toMatch(/endpoints\[1\].*unknown category 'nope'/);
    expect(text).toMatch(/zz-bad\.yaml:9: endpoints\[2\] \(x\.bad\.example\): field 'app' names 'ghost'/);
    expect(problems.length).toBeGreaterThanOrEqual(5);
  });

  it('refuses a domain described twice and a duplicate company key', () => {
    const dir = catalogWith(
      'companies/zz-dup.yaml',
      'key: meta\nname: Dup\nwebsite: https://dup.example\nsource: https://dup.example\ncategory: social\ndomains: [facebook.com]\n',
    );
    const text = problemsOf(dir).join('\n');
    expect(text).toMatch(
      /zz-dup\.yaml:1: company key 'meta' is already used by blocklists\/companies\/meta\.yaml/,
    );
    expect(text).toMatch(
      /zz-dup\.yaml:6: domains\[0\]: domain 'facebook\.com' is already described at blocklists\/companies\/meta\.yaml:\d+: apps\[0\]/,
    );
  });

  it('reports YAML syntax errors with the line, and unknown fields', () => {
    const dir = catalogWith('companies/zz-syntax.yaml', 'key: a\nname: [unclosed\n');
    expect(problemsOf(dir).join('\n')).toMatch(/zz-syntax\.yaml:\d+: YAML error/);
    const dir2 = catalogWith(
      'companies/zz-field.yaml',
      'key: zz\nname: Z\nwebsite: https://z.example\nsource: https://z.example\ncategory: misc\ncolour: red\n',
    );
    expect(problemsOf(dir2).join('\n')).toMatch(/zz-field\.yaml:6: field 'colour' is not a known field/);
  });
});
