/**
 * The server's modules form a layered house: no file under server/ may reach itself through its imports
 * (static, `import type`, re-exports and dynamic `import()` all count: a type-only loop still ties two
 * modules into one). A cycle is reported with its files in order, so the failure says which import to move.
 * The same holds for the top-level folders (the layers of server/WIRING.md: none imports one above it).
 * The same test keeps the size limit (no file under server/ over 450 lines) and keeps SQL inside store/.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../../..');
const serverDir = join(root, 'server');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Each server file → the server files it imports (relative specifiers only; `.js` names the `.ts`). */
function importGraph(files: string[]): Map<string, string[]> {
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const targets = info.importedFiles
      .map((ref) => ref.fileName)
      .filter((name) => name.startsWith('.'))
      .map((name) => resolve(dirname(file), name).replace(/\.js$/, '.ts'))
      .filter((target) => known.has(target));
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

/** Strongly connected components of more than one file, or a file that imports itself (Tarjan). */
function cycles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, next);
    low.set(node, next);
    next += 1;
    stack.push(node);
    onStack.add(node);
    for (const target of graph.get(node) ?? []) {
      if (!index.has(target)) {
        visit(target);
        low.set(node, Math.min(low.get(node)!, low.get(target)!));
      } else if (onStack.has(target)) {
        low.set(node, Math.min(low.get(node)!, index.get(target)!));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1 || (graph.get(node) ?? []).includes(node)) found.push(component.sort());
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return found;
}

const name = (file: string) => relative(root, file);

describe('server structure', () => {
  const files = sourceFiles(serverDir);

  it('reads the whole server', () => {
    expect(files.length).toBeGreaterThan(100);
  });

  it('has no import cycle', () => {
    const graph = importGraph(files);
    const found = cycles(graph).map((component) => {
      const members = new Set(component);
      const edges = component.flatMap((file) =>
        (graph.get(file) ?? [])
          .filter((target) => members.has(target))
          .map((t) => `${name(file)} -> ${name(t)}`),
      );
      return edges.join('\n');
    });
    expect(found, `import cycles:\n\n${found.join('\n\n')}`).toEqual([]);
  });

  it('keeps the folders layered: no loop between top-level folders of server/ (server/WIRING.md, Layers)', () => {
    // A folder (or a file at the top of server/) is one node; an import between two is an edge. A loop
    // means some import climbs back up the layers, even when no single file reaches itself.
    const graph = importGraph(files);
    const top = (file: string) => relative(serverDir, file).split('/')[0]!;
    const folders = new Map<string, string[]>();
    const evidence = new Map<string, string>();
    for (const [file, targets] of graph) {
      const from = top(file);
      const edges = folders.get(from) ?? [];
      for (const target of targets) {
        const to = top(target);
        if (to === from) continue;
        edges.push(to);
        evidence.set(`${from} -> ${to}`, `${name(file)} -> ${name(target)}`);
      }
      folders.set(from, [...new Set(edges)]);
    }
    const found = cycles(folders).map((component) => {
      const members = new Set(component);
      return component
        .flatMap((from) =>
          (folders.get(from) ?? []).filter((to) => members.has(to)).map((to) => `${from} -> ${to}`),
        )
        .map((edge) => `${edge} (${evidence.get(edge)})`)
        .join('\n');
    });
    expect(found, `folders importing each other:\n\n${found.join('\n\n')}`).toEqual([]);
  });

  it('finds a cycle when there is one', () => {
    const a = '/x/a.ts';
    const b = '/x/b.ts';
    const c = '/x/c.ts';
    expect(
      cycles(
        new Map([
          [a, [b]],
          [b, [c]],
          [c, [a]],
        ]),
      ),
    ).toEqual([[a, b, c]]);
    expect(
      cycles(
        new Map([
          [a, [b]],
          [b, [c]],
          [c, []],
        ]),
      ),
    ).toEqual([]);
  });

  it('keeps every file at 450 lines or fewer', () => {
    const long = files
      .map((file) => ({ file: name(file), lines: readFileSync(file, 'utf8').split('\n').length - 1 }))
      .filter(({ lines }) => lines > 450);
    expect(long).toEqual([]);
  });

  it('keeps SQL inside server/store/', () => {
    const sql = /\.(prepare|pragma)\(|\.exec\(\s*['`"]|\b(SELECT|INSERT INTO|DELETE FROM)\s+[\w*]/;
    const outside = files
      .filter((file) => !file.startsWith(join(serverDir, 'store') + '/'))
      .filter((file) => sql.test(readFileSync(file, 'utf8')))
      .map(name);
    expect(outside).toEqual([]);
  });
});
