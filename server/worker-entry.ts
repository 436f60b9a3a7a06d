/**
 * The entry URL of a worker thread that lives beside its caller: the built `.js` file when there is one
 * (dist/), else (Vitest, tsx, from the TypeScript sources) a tiny ESM bootstrap that registers tsx's hooks
 * inside the worker and then imports the `.ts` file. On Node 20, `execArgv: ['--import', 'tsx']` does not
 * reach a worker's own module loader (ERR_UNKNOWN_FILE_EXTENSION), hence the bootstrap.
 * In the bundle (dist/server/bundle/, scripts/bundle-server.mjs) `baseUrl` is the calling chunk's URL; the
 * bundle is one flat folder with each worker's entry under its name, so the same `./<name>.js` finds it.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

/** `baseUrl` is the caller's `import.meta.url`; `name` the worker's file name without extension. */
export function workerEntry(baseUrl: string, name: string): URL {
  const built = new URL(`./${name}.js`, baseUrl);
  if (existsSync(built)) return built;
  const source = new URL(`./${name}.ts`, baseUrl).href;
  // tsx's ESM api entry; require.resolve finds its CommonJS twin next to it.
  const tsxApi = pathToFileURL(
    createRequire(baseUrl)
      .resolve('tsx/esm/api')
      .replace(/\.cjs$/, '.mjs'),
  ).href;
  const bootstrap = `import { register } from ${JSON.stringify(tsxApi)}; register(); await import(${JSON.stringify(source)});`;
  return new URL(`data:text/javascript,${encodeURIComponent(bootstrap)}`);
}
