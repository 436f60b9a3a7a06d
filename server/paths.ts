/**
 * Where the project's own files are, whether running from TypeScript sources (server/…) or from the build
 * (dist/server/…): the root is the nearest folder above this module that holds package.json.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('tracksink: cannot find the project root (package.json)');
    dir = parent;
  }
  return dir;
}

export const projectRoot = findRoot();
export const webRoot = join(projectRoot, 'web', 'dist');
export const blocklistsDir = join(projectRoot, 'blocklists');
