// Bundles the server for `npm start` (issue 16: DNS answering within a second of a start). tsc's build
// (dist/server/, one file per module, ~300 files) costs ~0.8 s of ESM resolution and linking before DNS
// answers on Node 20; the bundle is a handful of files. `npm run build:server` runs this after tsc;
// dist/server/main.js (tsc's, unchanged) imports bundle/serve.js when it exists (server/main.ts).
//
// Layout: ONE flat folder, dist/server/bundle/: the entry (serve.js), each worker thread's entry under its
// own file name (log-writer-worker.js, parse-worker.js, dns-worker.js) and the shared chunks. It must stay
// flat: a bundled module's `import.meta.url` is its chunk's, so `workerEntry(import.meta.url, name)`
// (server/worker-entry.ts) finds `<name>.js` beside whichever chunk calls it, and files the server reads
// (migrations, catalogs, the dashboard) are named from the project root (server/paths.ts), never relative
// to a module. The code loaded after DNS listens (Fastify and the routes, encrypted DNS, ACME, PostgreSQL)
// stays behind dynamic imports, so esbuild keeps it in chunks of its own that load when asked for.
// meta.json records which inputs went into which output (tests/integration/startup/bundle.test.ts reads it).
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const outdir = process.env.TRACKSINK_BUNDLE_OUT ?? join('dist', 'server', 'bundle');

/** Worker threads' entries: every `new Worker(workerEntry(import.meta.url, NAME))` in server/. */
export const WORKER_ENTRIES = {
  'log-writer-worker': 'server/store/log-writer-worker.ts',
  'parse-worker': 'server/lists/parse-worker.ts',
  'dns-worker': 'server/dns/workers/dns-worker.ts',
};

rmSync(outdir, { recursive: true, force: true });
const result = await build({
  entryPoints: { serve: 'server/serve.ts', ...WORKER_ENTRIES },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outdir,
  entryNames: '[name]',
  chunkNames: 'chunk-[hash]',
  // Node reads the maps only with --enable-source-maps; they cost disk, not memory.
  sourcemap: 'linked',
  // Two modules' classes of one name would otherwise be renamed (Foo2), and `.name` is read in places.
  keepNames: true,
  // V8 keeps every module's source text for as long as the isolate lives (functions compile lazily from it):
  // ~6.6 MB of the main isolate's heap before this (bench/GAP.md, "memory pass"). Whitespace and syntax are
  // minified; identifiers are not, so stack traces keep readable function names (and the linked source maps
  // give the original lines with --enable-source-maps).
  minifyWhitespace: true,
  minifySyntax: true,
  metafile: true,
  logLevel: 'warning',
  // Packages are bundled too: resolving Fastify's, pino's and TypeBox's hundreds of files was most of what
  // was left (measured: CPU at the first answer from the list 1.26-1.74 s with packages left in
  // node_modules, 1.13-1.31 s bundled; bench/GAP.md, "start-up, bundle pass"). Left out: better-sqlite3
  // (native), pg (only with PostgreSQL; pg-native is optional) and acme-client (only when a certificate is
  // ordered): they load from node_modules when asked for.
  // Native addons (*.node: the UDP batch transport, server/dns/udp-native.ts) are loaded by path at run time.
  // @peculiar/x509 is imported on demand (a certificate to make): bundled, esbuild's CommonJS interop gave the
  // dynamic import a namespace without its classes; Node's own loader gives them.
  external: ['better-sqlite3', 'pg', 'pg-native', 'acme-client', '@peculiar/x509', '*.node'],
  // Bundled CommonJS packages call require() for Node's own modules; an ES module has none of its own.
  // (__dirname stays undefined: the only bundled uses are pino's transports, which tracksink does not use,
  // and @fastify/swagger's version lookup, which falls back when it fails.)
  banner: {
    js: "import { createRequire as __tracksinkCreateRequire } from 'node:module'; const require = __tracksinkCreateRequire(import.meta.url);",
  },
});
writeFileSync(join(outdir, 'meta.json'), JSON.stringify(result.metafile));
// The build's id: a hash of every output, so any change to the code (the list parser's among it) gives a new
// id and the parsed-list caches made by another build are not used (server/lists/parsed-cache.ts).
const buildId = createHash('sha256');
for (const file of Object.keys(result.metafile.outputs).sort())
  buildId.update(file).update(readFileSync(file));
writeFileSync(join(outdir, 'build-id'), `${buildId.digest('hex')}\n`);
const outputs = Object.entries(result.metafile.outputs).filter(([file]) => file.endsWith('.js'));
const bytes = outputs.reduce((sum, [, output]) => sum + output.bytes, 0);
console.log(`server bundle: ${outputs.length} files, ${(bytes / 1024).toFixed(0)} kB → ${outdir}`);
