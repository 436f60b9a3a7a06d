/**
 * A running process's resident memory grouped by mapping (`/proc/PID/smaps`), for the memory breakdown in
 * bench/GAP.md: the node binary, shared libraries, addons, glibc's main heap (brk), glibc's other malloc arenas
 * (64 MiB-aligned heaps), thread stacks (a 4 KiB guard page, then the stack), SQLite's mapped files, and the rest
 * of the anonymous memory: V8's heaps (pages of 256 KiB, code space, large objects) and malloc's own mappings of
 * large blocks, told apart with the probe's figures (V8's physical sizes, glibc's mallinfo2).
 */
import { readFileSync } from 'node:fs';

interface Region {
  start: bigint;
  end: bigint;
  perms: string;
  path: string;
  rssKb: number;
}

const ARENA_ALIGN = 64n * 1024n * 1024n;

function parse(text: string): Region[] {
  const regions: Region[] = [];
  for (const line of text.split('\n')) {
    const header = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (header) {
      regions.push({
        start: BigInt(`0x${header[1]}`),
        end: BigInt(`0x${header[2]}`),
        perms: header[3] as string,
        path: (header[4] as string).trim(),
        rssKb: 0,
      });
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    const last = regions.at(-1);
    if (rss && last) last.rssKb = Number(rss[1]);
  }
  return regions;
}

function group(regions: Region[], i: number): string {
  const r = regions[i] as Region;
  const p = r.path;
  if (p === '[heap]') return 'glibc main arena (brk heap)';
  if (p === '[stack]') return 'main thread stack';
  if (p.startsWith('[')) return 'kernel ([vdso], [vvar], …)';
  if (/\/node$/.test(p) || /\/node\d*$/.test(p)) return 'node binary (text, data)';
  if (p.endsWith('.node')) return 'addons (better-sqlite3, udp_batch)';
  if (/\.so(\.|$)/.test(p)) return 'shared libraries (libc, libstdc++, …)';
  if (/\.db(-shm|-wal)?$/.test(p)) return 'SQLite files (mapped)';
  if (p !== '') return `other files`;
  // Anonymous memory.
  const prev = regions[i - 1];
  if (
    r.perms.startsWith('rw') &&
    prev &&
    prev.path === '' &&
    prev.perms.startsWith('---') &&
    prev.end === r.start &&
    prev.end - prev.start <= 64n * 1024n
  )
    return 'thread stacks (guard page + stack)';
  const next = regions[i + 1];
  if (
    r.start % ARENA_ALIGN === 0n &&
    (r.end - r.start === ARENA_ALIGN ||
      (next && next.path === '' && next.start === r.end && next.end - r.start === ARENA_ALIGN))
  )
    return 'glibc thread arenas (64 MiB heaps)';
  if (r.perms.startsWith('---')) return 'reserved, not accessible';
  return 'other anonymous (V8 heaps, malloc mmapped blocks)';
}

/** Resident kB per group, largest first. */
export function smapsBreakdown(pid: number): Array<[string, number, number]> {
  const regions = parse(readFileSync(`/proc/${pid}/smaps`, 'utf8'));
  const sums = new Map<string, { rss: number; count: number }>();
  regions.forEach((_, i) => {
    const key = group(regions, i);
    const entry = sums.get(key) ?? { rss: 0, count: 0 };
    entry.rss += (regions[i] as Region).rssKb;
    entry.count++;
    sums.set(key, entry);
  });
  return [...sums.entries()]
    .map(([k, v]): [string, number, number] => [k, v.rss, v.count])
    .sort((a, b) => b[1] - a[1]);
}
