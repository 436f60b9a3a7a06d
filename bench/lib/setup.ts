/**
 * Makes sure the programs the run drives exist: dnsperf and dnsmasq (installed with apt when missing)
 * and tracksink's server build (rebuilt when older than its sources).
 */
import { execFileSync, execSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function has(command: string): boolean {
  try {
    execSync(`command -v ${command}`, { stdio: 'ignore', shell: '/bin/sh' });
    return true;
  } catch {
    return false;
  }
}

export function ensureTools(progress: (line: string) => void): void {
  const missing = ['dnsperf', 'dnsmasq'].filter((tool) => !has(tool));
  if (missing.length === 0) return;
  progress(`installing ${missing.join(', ')} with apt`);
  const sudo = process.getuid?.() === 0 ? [] : ['sudo'];
  const run = (args: string[]): void => {
    const all = [...sudo, ...args];
    execFileSync(all[0] as string, all.slice(1), {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  };
  try {
    run(['apt-get', 'update', '-qq']);
    run(['apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...missing]);
  } catch (error) {
    throw new Error(
      `could not install ${missing.join(', ')} with apt (${(error as Error).message}); install them by hand`,
      {
        cause: error,
      },
    );
  }
  // Debian's dnsmasq package starts a system service on port 53; the harness runs its own instances.
  if (has('systemctl')) {
    try {
      const args = [...sudo, 'systemctl', 'disable', '--now', 'dnsmasq'];
      execFileSync(args[0] as string, args.slice(1), { stdio: 'ignore' });
    } catch {
      // not running as a service: nothing to stop
    }
  }
}

function newestMtime(dir: string): number {
  let newest = 0;
  if (!existsSync(dir)) return newest;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Builds dist/server when it is missing or older than server/. */
export function ensureServerBuilt(repoRoot: string, progress: (line: string) => void): void {
  const entry = join(repoRoot, 'dist/server/main.js');
  if (existsSync(entry) && statSync(entry).mtimeMs >= newestMtime(join(repoRoot, 'server'))) return;
  progress('building the server (npm run build:server)');
  const before = existsSync(entry) ? statSync(entry).mtimeMs : 0;
  try {
    execSync('npm run build:server --silent', { cwd: repoRoot, stdio: 'inherit' });
  } catch (error) {
    // tsc still emits JavaScript when some file has type errors; run what was built, but say so.
    if (existsSync(entry) && statSync(entry).mtimeMs > before) {
      progress('warning: the server build reported type errors (see above); benchmarking what it emitted');
      return;
    }
    throw new Error(
      `npm run build:server failed (${(error as Error).message}); fix the build or run with --candidate=dnsmasq`,
      {
        cause: error,
      },
    );
  }
  if (!existsSync(entry)) throw new Error(`the build did not produce ${entry}`);
}
