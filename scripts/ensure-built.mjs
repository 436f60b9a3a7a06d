// Builds the server and the dashboard when the build output is missing or older than the sources, so
// `npm start` and `npm test` work straight after `npm install` on a fresh clone.
import { execSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function newestMtime(dir) {
  let newest = 0;
  if (!existsSync(dir)) return newest;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(path));
    else newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

function stale(output, sources) {
  if (!existsSync(output)) return true;
  const built = statSync(output).mtimeMs;
  return sources.some(
    (path) =>
      existsSync(path) && (statSync(path).isDirectory() ? newestMtime(path) : statSync(path).mtimeMs) > built,
  );
}

// A production install (npm ci --omit=dev, as in the Docker image) has no compiler and ships the build.
if (!existsSync('node_modules/typescript')) {
  if (!existsSync('dist/server/main.js'))
    console.error('tracksink: no build in dist/ and no dev dependencies to make one');
  process.exit(0);
}

if (stale('dist/server/main.js', ['server'])) {
  console.log('tracksink: building the server…');
  execSync('npm run build:server --silent', { stdio: 'inherit' });
} else {
  if (stale('dist/catalog/catalog-sources.json', ['blocklists'])) {
    // The prebuilt tracker catalog (server/trackers/prebuilt.ts): a stale one is ignored, so starts are slower.
    execSync('npm run build:catalog --silent', { stdio: 'inherit' });
  }
  // The bundle npm start runs (scripts/bundle-server.mjs): dist/server/main.js prefers it to tsc's files,
  // so an old one must never outlive a change to the sources (or to the packages it was built against).
  if (stale('dist/server/bundle/serve.js', ['server', 'scripts/bundle-server.mjs', 'package-lock.json'])) {
    execSync('npm run build:bundle --silent', { stdio: 'inherit' });
  }
}
if (
  stale('web/dist/index.html', [
    'web/src',
    'web/public',
    'web/index.html',
    'web/vite.config.ts',
    'server/api/schemas',
  ])
) {
  console.log('tracksink: building the dashboard…');
  // Warnings and errors only: the file-by-file size table is noise on a first `npm start`.
  execSync('npm run build:web --silent -- --logLevel warn', { stdio: 'inherit' });
}
