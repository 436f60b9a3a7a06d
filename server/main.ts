/**
 * The entry point (`npm start`, the Docker image's CMD): turns on Node's on-disk compile cache, then
 * starts tracksink (serve.ts: configuration, the services, signals). The cache (Node ≥ 22.1; Node 20 has
 * none and skips this) keeps V8's compiled code of every module between starts, so a restart compiles
 * nothing it compiled before (issue 16: DNS answering within a second of a start; bench/GAP.md). It must
 * be on before serve.ts is imported: a static import would be compiled before any line here runs.
 * The cache lives in the system's temporary folder (NODE_COMPILE_CACHE=dir to move it,
 * NODE_DISABLE_COMPILE_CACHE=1 to turn it off); a lost or stale cache only costs a normal start.
 *
 * From the build, serve.ts is taken from the bundle (dist/server/bundle/, scripts/bundle-server.mjs):
 * a few files instead of ~300 modules to resolve and link before DNS answers. tsc's one-file-per-module
 * build beside it stays for the command-line tools; TRACKSINK_UNBUNDLED=1 starts from it instead, and so
 * does a bundle older than tsc's build.
 */
import { statSync } from 'node:fs';
import module from 'node:module';

(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();

const COPY_SLACK_MS = 2_000;

/**
 * The bundle, unless it is missing, turned off, or older than tsc's build (a `tsc` run without the bundler
 * after a change: the newer code must run, not a stale bundle). A few seconds' slack: `cp -r dist`
 * (no -p) stamps the files in copy order, which must not turn a fresh bundle into a stale one; a tsc run
 * takes longer than that.
 */
function bundleToRun(): URL | null {
  if (process.env.TRACKSINK_UNBUNDLED === '1') return null;
  const bundled = new URL('./bundle/serve.js', import.meta.url);
  const bundleTime = statSync(bundled, { throwIfNoEntry: false })?.mtimeMs;
  if (bundleTime === undefined) return null;
  const tscTime = statSync(new URL('./serve.js', import.meta.url), { throwIfNoEntry: false })?.mtimeMs ?? 0;
  return bundleTime + COPY_SLACK_MS >= tscTime ? bundled : null;
}

await import(bundleToRun()?.href ?? './serve.js');
