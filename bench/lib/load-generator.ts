/**
 * The latency load generator of bench:small. Two implementations with the same arguments and JSON output:
 * - `c` (udp-latency.c, built here with the system's C compiler into bench/work/): paced sends at absolute
 *   deadlines, kernel receive timestamps, optionally a real-time priority. A server that answers in
 *   microseconds reads as such (dnsmasq: p50 ~0.09 ms, p99 ~0.3 ms with --rt).
 * - `node` (latency-load.mjs): a JavaScript event loop; its 1 ms timers send in bursts of 2–3 and its answers
 *   are timed when its loop gets to them, which added ~1.5 ms to every server's p99 on this machine.
 * `c` is the default when a compiler is there; `node` otherwise.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export type GeneratorKind = 'c' | 'node';

export interface Generator {
  kind: GeneratorKind;
  /** Command and leading arguments; then PORT FILE RATE SECONDS [RT_PRIORITY] follow. */
  command: string[];
}

function compiler(): string | null {
  for (const cc of ['cc', 'gcc', 'clang']) {
    try {
      execFileSync(cc, ['--version'], { stdio: 'ignore' });
      return cc;
    } catch {
      // try the next one
    }
  }
  return null;
}

/** The generator to use: `wanted` if given (fails when `c` cannot be built), else `c` when it can be built. */
export function loadGenerator(
  repoRoot: string,
  wanted: GeneratorKind | undefined,
  progress: (line: string) => void,
): Generator {
  const node: Generator = {
    kind: 'node',
    command: [process.execPath, join(repoRoot, 'bench/lib/latency-load.mjs')],
  };
  if (wanted === 'node') return node;
  const source = join(repoRoot, 'bench/lib/udp-latency.c');
  const binary = join(repoRoot, 'bench/work/udp-latency');
  if (existsSync(binary) && statSync(binary).mtimeMs >= statSync(source).mtimeMs) {
    return { kind: 'c', command: [binary] };
  }
  const cc = compiler();
  if (cc === null) {
    if (wanted === 'c') throw new Error('--load=c: no C compiler (cc, gcc or clang) to build udp-latency.c');
    progress('no C compiler: the JavaScript load generator times the queries (adds ~1.5 ms at p99)');
    return node;
  }
  mkdirSync(join(repoRoot, 'bench/work'), { recursive: true });
  execFileSync(cc, ['-O2', '-o', binary, source], { stdio: 'inherit' });
  progress(`built ${binary} with ${cc}`);
  return { kind: 'c', command: [binary] };
}
