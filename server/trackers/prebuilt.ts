/**
 * The prebuilt catalog (issue 16, start-up): `npm run build` (cli/build-catalog.ts) stores the checked
 * catalog sources and the shipped companies database as compact JSON in `dist/catalog/`, so a start
 * reads two JSON files instead of parsing YAML and re-checking 750 kB of companiesdb (0.6–0.8 s of CPU on
 * a small machine). The YAML and companiesdb.json stay the source of truth: each prebuilt file records a
 * hash of the files it was made from, and is used only while they are unchanged (else the sources are
 * read as before, e.g. after editing a company file without rebuilding).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { projectRoot } from '../paths.js';

/** Bumped whenever the shape of a prebuilt file changes: older files are then ignored. */
export const PREBUILT_FORMAT = 1;

/** Where the build writes the prebuilt files (shipped in the Docker image with the rest of dist/). */
export const prebuiltDir = join(projectRoot, 'dist', 'catalog');

interface PrebuiltFile<T> {
  format: number;
  /** sha256 over the source files' names (relative to `root`) and contents. */
  sources: string;
  data: T;
}

/** Hash of the files' names (relative to `root`) and contents; null when one cannot be read. */
export function sourcesHash(files: readonly string[], root: string): string | null {
  const hash = createHash('sha256');
  for (const file of files) {
    let content: Buffer;
    try {
      content = readFileSync(file);
    } catch {
      return null;
    }
    hash.update(`${relative(root, file)}\0${content.length}\0`);
    hash.update(content);
  }
  return hash.digest('hex');
}

/**
 * The data of prebuilt file `name` when it was made from exactly these source files (names and
 * contents) by this format; null when it is missing, stale, damaged or of another format.
 */
export function readPrebuilt<T>(
  name: string,
  files: readonly string[],
  root: string,
  dir: string = prebuiltDir,
): T | null {
  let doc: PrebuiltFile<T>;
  try {
    doc = JSON.parse(readFileSync(join(dir, name), 'utf8')) as PrebuiltFile<T>;
  } catch {
    return null;
  }
  if (doc?.format !== PREBUILT_FORMAT || typeof doc.sources !== 'string') return null;
  return doc.sources === sourcesHash(files, root) ? doc.data : null;
}

/** Writes prebuilt file `name` (atomically: a start never reads half a file). */
export function writePrebuilt(
  name: string,
  files: readonly string[],
  root: string,
  data: unknown,
  dir: string = prebuiltDir,
): void {
  const sources = sourcesHash(files, root);
  if (sources === null) throw new Error(`prebuilt ${name}: a source file cannot be read`);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  writeFileSync(`${path}.tmp`, JSON.stringify({ format: PREBUILT_FORMAT, sources, data }));
  renameSync(`${path}.tmp`, path);
}
