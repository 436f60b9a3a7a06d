/**
 * Reading one YAML file of the catalog: every problem names the file and line; the parsed document
 * comes with the line of every sequence item and of every string value, so attribution records and
 * schema problems can point at the line a contributor must look at.
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, visit } from 'yaml';

export interface YamlFile {
  /** Path relative to the project root (as problems and sources show it). */
  file: string;
  doc: unknown;
  /** Line of the first occurrence of each string value (e.g. a domain). */
  valueLine(value: string): number | null;
  /** Line where item `index` of the top-level list `key` starts. */
  itemLine(key: string, index: number): number | null;
  /** Line of the top-level key `key`. */
  keyLine(key: string): number | null;
}

export function readYamlFile(path: string, root: string, problems: string[]): YamlFile | undefined {
  const file = relative(root, path) || path;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    problems.push(
      `${file}: cannot read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
    return undefined;
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: true, lineCounter });
  if (doc.errors.length > 0) {
    for (const error of doc.errors) {
      const line = error.linePos?.[0]?.line;
      problems.push(
        `${file}${line ? `:${line}` : ''}: YAML error: ${error.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '')}`,
      );
    }
    return undefined;
  }
  const lineAt = (offset: number | undefined): number | null =>
    offset === undefined ? null : lineCounter.linePos(offset).line;
  const values = new Map<string, number>();
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value === 'string' && !values.has(node.value)) {
        const line = lineAt(node.range?.[0]);
        if (line !== null) values.set(node.value, line);
      }
    },
  });
  return {
    file,
    doc: doc.toJS(),
    valueLine: (value) => values.get(value) ?? null,
    keyLine(key) {
      const top = doc.contents;
      if (!isMap(top)) return null;
      const pair = top.items.find((p) => isScalar(p.key) && p.key.value === key);
      return pair && isScalar(pair.key) ? lineAt(pair.key.range?.[0]) : null;
    },
    itemLine(key, index) {
      const top = doc.contents;
      if (!isMap(top)) return null;
      const list = top.get(key, true);
      if (!isSeq(list)) return null;
      const item = list.items[index];
      if (!item || !(isMap(item) || isScalar(item) || isSeq(item))) return null;
      return lineAt(item.range?.[0]);
    },
  };
}
