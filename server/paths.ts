/**
 * Where the project's own files are, whether running from TypeScript sources (server/…), from tsc's build
 * (dist/server/…) or from the bundle (dist/server/bundle/, where every module's `import.meta.url` is its
 * chunk's, not its source file's): the root is the nearest folder above this module that holds
 * package.json, and every file the server reads at run time is named from the root, never relative to a
 * module.
 */
import { chmodSync, existsSync, mkdirSync, statSync } from 'node:fs';
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
/** The SQL migrations (store/migrations/{config,querylog,postgres}): read from the source tree, tsc and
 * the bundle do not copy .sql files (the Docker image copies this folder). */
export const migrationsRoot = join(projectRoot, 'server', 'store', 'migrations');

/**
 * Creates the data directory readable by tracksink's user only (0700), and tightens an existing one
 * that is open to others (an older install, a Docker volume made from the image's 0755 folder): it holds
 * the query log, the password hash, sessions and the setup code. A folder owned by someone else is left
 * as it is (the operator chose it).
 */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stat = statSync(dir);
  const ownedByUs = typeof process.getuid !== 'function' || stat.uid === process.getuid();
  if (ownedByUs && (stat.mode & 0o077) !== 0) chmodSync(dir, stat.mode & 0o700);
}
