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
 * build beside it stays for the command-line tools; TRACKSINK_UNBUNDLED=1 starts from it instead.
 */
import { existsSync } from 'node:fs';
import module from 'node:module';

(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();
const bundled = new URL('./bundle/serve.js', import.meta.url);
const useBundle = process.env.TRACKSINK_UNBUNDLED !== '1' && existsSync(bundled);
await import(useBundle ? bundled.href : './serve.js');
