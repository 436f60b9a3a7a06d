// Builds the native UDP batch transport (native/udp-batch, an N-API addon in C) with node-gyp. Run by
// `npm install` (postinstall) and by `npm run build:server` (which also copies it to dist/native/, where the
// Docker image and a bundled server find it). Never fails the install: without a compiler (python3, make,
// g++) it prints one line and DNS uses Node's dgram, which answers the same with more CPU per query.
//
// Usage: node native/build.mjs [--dist] [--force] [--nodedir=DIR]
//   --dist     also copy the addon to dist/native/udp_batch.node
//   --nodedir  headers of another Node (scripts/node24.sh); default: this Node's own when installed beside it
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'native', 'udp-batch');
const built = join(source, 'build', 'Release', 'udp_batch.node');
const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const option = (name) => args.find((a) => a.startsWith(`${name}=`))?.slice(name.length + 1);

function say(line) {
  console.log(`tracksink: ${line}`);
}

function upToDate() {
  if (flag('--force') || option('--nodedir') !== undefined || !existsSync(built)) return false;
  const at = statSync(built).mtimeMs;
  return ['udp_batch.c', 'binding.gyp'].every((f) => statSync(join(source, f)).mtimeMs <= at);
}

/** node-gyp: the one npm passes to install scripts, else the one bundled with npm, else on PATH. */
function findNodeGyp() {
  const candidates = [process.env.npm_config_node_gyp];
  try {
    const npm = spawnSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).stdout.trim();
    if (npm)
      candidates.push(
        join(dirname(realpathSync(npm)), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
      );
  } catch {
    // no npm on PATH
  }
  return candidates.find((c) => c && existsSync(c));
}

/** This Node's headers when they are installed with it (/usr/include/node, a tarball's include/node): no download. */
function localNodeDir() {
  const prefix = resolve(dirname(process.execPath), '..');
  return existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? prefix : undefined;
}

function build() {
  if (process.platform !== 'linux') return 'recvmmsg/sendmmsg are Linux-only';
  const gyp = findNodeGyp();
  if (gyp === undefined) return 'node-gyp not found';
  const nodedir = option('--nodedir') ?? localNodeDir();
  const gypArgs = [gyp, 'rebuild', '--release', ...(nodedir ? [`--nodedir=${nodedir}`] : [])];
  const run = spawnSync(process.execPath, gypArgs, { cwd: source, encoding: 'utf8' });
  const log = join(source, 'build.log');
  writeFileSync(log, `${run.stdout ?? ''}${run.stderr ?? ''}${run.error ? String(run.error) : ''}`);
  if (run.status !== 0 || !existsSync(built))
    return `node-gyp failed (a C compiler, make and python3 are needed; see ${log})`;
  return null;
}

const failure = upToDate() ? null : build();
if (failure !== null) {
  say(
    `native UDP transport not built: ${failure}. DNS over UDP uses Node's dgram instead (same answers, more CPU).`,
  );
} else if (flag('--dist')) {
  mkdirSync(join(root, 'dist', 'native'), { recursive: true });
  copyFileSync(built, join(root, 'dist', 'native', 'udp_batch.node'));
}
process.exit(0);
